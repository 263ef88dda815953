"""What the isolation walk (accounts/tests/test_isolation.py) needs of the interchange: a run of
an office, with a result file so that its download answers for its own office."""

from typing import Any

from django.core.files.base import ContentFile

from civicdesk.interchange.models import InterchangeRun, RunKind, RunState


def _run(side, made: dict[str, Any]) -> InterchangeRun:
    run = InterchangeRun(
        office=side.office, kind=RunKind.EXPORT, state=RunState.FINISHED,
        filename=f"cms-export-{side.label}.zip", report={"kind": "export"},
    )  # fmt: skip
    run.result.save(
        f"cms-export-{side.label}.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18), save=False
    )
    run.save()
    return run


OBJECT_MAKERS = {"run_id": _run}
