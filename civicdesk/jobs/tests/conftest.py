import pytest

from civicdesk.jobs import registry
from civicdesk.jobs.services import JobContext


@pytest.fixture(autouse=True)
def test_handlers(monkeypatch):
    """Job kinds for these tests only: counting with progress, failing, writing a file."""

    def count(context: JobContext) -> dict:
        total = context.params["up_to"]
        for n in range(1, total + 1):
            context.progress(n, total, force=True)
        context.log(f"counted to {total}")
        return {"counted": total}

    def fail(context: JobContext) -> None:
        context.progress(1, 4, force=True)
        raise ValueError("the spreadsheet has no header row")

    def export(context: JobContext) -> dict:
        context.save_result_file("people.csv", b"name\nAlice\n")
        return {"rows": 1}

    for kind, handler in {"test.count": count, "test.fail": fail, "test.export": export}.items():
        monkeypatch.setitem(registry.JOB_HANDLERS, kind, handler)
