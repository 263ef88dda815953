from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[3] / "tests" / "data"
SAMPLES = DATA / "voter-files" / "synthetic-samples"
LAYOUTS = DATA / "voter-files" / "layouts"
CHICAGO = DATA / "record-linkage" / "dedupe-chicago-early-childhood"
STATES = ("nc", "fl", "oh", "ny", "nj", "de", "ut", "ok")


@pytest.fixture
def write(tmp_path):
    """write(bytes or str, name=...) -> the path of a new file holding it (str as UTF-8)."""

    def _write(content: bytes | str, name: str = "people.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return _write
