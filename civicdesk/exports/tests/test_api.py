"""POST /api/v1/exports/people: the file for a short list, a job for a long one; the same
filters as GET /people; refusals with the API's error shape."""

import csv
import io
import json

import openpyxl

from civicdesk.audit.models import AuditEvent
from civicdesk.exports import services
from civicdesk.jobs.models import Job

from .conftest import run_job


def post(client, payload: dict):
    return client.post(
        "/api/v1/exports/people", json.dumps(payload), content_type="application/json"
    )


def csv_rows(response) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(content, newline="")))


def test_a_short_list_comes_back_as_the_file(api, manny, john, maria, potholes):
    response = post(api(manny), {"filters": {"tag_ids": [potholes.pk]}, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [row["last_name"] for row in csv_rows(response)] == ["Smith"]
    event = AuditEvent.objects.get(action="people.exported")
    assert event.changes["filter"]["tag_ids"] == [potholes.pk]


def test_the_default_is_everyone_as_csv(api, manny, john, maria, wren):
    rows = csv_rows(post(api(manny), {}))

    assert sorted(row["last_name"] for row in rows) == ["Gómez", "Smith"]


def test_an_xlsx_with_a_text_filter(api, manny, john, maria):
    response = post(api(manny), {"filters": {"q": "gomez"}, "format": "xlsx"})

    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    header, *rows = list(workbook["People"].values)
    assert [row[header.index("first_name")] for row in rows] == ["María"]


def test_a_long_list_answers_202_with_the_job(api, manny, john, maria, monkeypatch):
    monkeypatch.setattr(services, "INLINE_LIMIT", 1)
    client = api(manny)

    response = post(client, {"format": "vcard"})

    assert response.status_code == 202
    job_id = response.json()["job"]["id"]
    assert response.json()["count"] == 2
    assert response.json()["job"]["kind"] == "exports.people"
    run_job(Job.objects.get(pk=job_id))
    job = client.get(f"/api/v1/jobs/{job_id}").json()
    assert (job["state"], job["result"]) == ("succeeded", {"count": 2, "format": "vcard"})
    assert job["result_url"] == f"/jobs/{job_id}/download/"


def test_an_unknown_flag_is_a_400(api, manny, john):
    response = post(api(manny), {"filters": {"flags": ["is_teleported"]}})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_flag"


def test_an_unknown_format_is_a_422(api, manny, john):
    assert post(api(manny), {"format": "pdf"}).status_code == 422


def test_a_caseworker_may_not_export(api, alice, john):
    response = post(api(alice), {})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not AuditEvent.objects.filter(action="people.exported").exists()
