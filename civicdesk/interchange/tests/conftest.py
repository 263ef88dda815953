"""Fixtures of the interchange tests: the UGA sample export, and exports written by the test."""

from collections.abc import Callable
from pathlib import Path

import pytest

from civicdesk.interchange import services
from civicdesk.interchange.models import InterchangeRun

UGA = Path(__file__).parent / "data" / "uga-test-export"


@pytest.fixture
def uga() -> Path:
    return UGA


@pytest.fixture
def write_export(tmp_path) -> Callable[..., Path]:
    """write_export({"1A": ["1A\\t1\\t...", ...]}, documents={"in-email/1.txt": b"..."}) -> the
    folder. Lines are given as text (joined with \\n, no newline at the end) or as bytes."""
    counter = iter(range(1000))

    def write(files: dict, documents: dict | None = None, *, name: str = "") -> Path:
        root = tmp_path / (name or f"export-{next(counter)}")
        root.mkdir()
        for record_type, lines in files.items():
            content = lines if isinstance(lines, bytes) else "\n".join(lines).encode()
            (root / f"{record_type}.out").write_bytes(content)
        for relative, content in (documents or {}).items():
            path = root / "documents" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        return root

    return write


def line(*values: object) -> str:
    return "\t".join(str(value) for value in values)


@pytest.fixture
def import_uga(ward1, uga) -> Callable[[], InterchangeRun]:
    def run() -> InterchangeRun:
        return services.import_folder(ward1, uga, by=None)

    return run
