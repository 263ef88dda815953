"""The imports API: upload, shape, mapping (by hand, preset, saved), preview, start and follow
the job, failed rows and their retry, presets, fields and saved mappings; refusals and their
error shapes; permissions and another office's imports."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicdesk.accounts.permissions import Role
from civicdesk.constituents.models import Person
from civicdesk.imports.models import ImportBatch, ImportFailure, ImportState, SavedMapping
from civicdesk.jobs.tasks import run_job
from conftest import make_member

SAMPLES = Path(__file__).resolve().parents[3] / "tests/data/voter-files/synthetic-samples"
JSON = "application/json"
PEOPLE_CSV = (
    b"First Name,Last Name,Email,Birth Date,ZIP\n"
    b"Ada,Lovelace,ada@example.org,12/10/1985,20001\n"
    b"Alan,Turing,alan@example.org,13/45/1990,20002\n"
    b"Grace,Hopper,grace@example.org,12/09/1956,20003\n"
)
PEOPLE_MAPPING = {
    "columns": {
        "first_name": ["First Name"], "last_name": ["Last Name"], "email": ["Email"],
        "birth_date": ["Birth Date"], "postcode": ["ZIP"],
    },
    "id_system": "crm",
    "date_order": "MDY",
}  # fmt: skip


@pytest.fixture
def nina(ward2):
    return make_member(ward2, "nina@ward2.example", Role.MANAGER, "Nina Nakamura")


def post_file(client, name: str, content: bytes):
    return client.post("/api/v1/imports", {"file": SimpleUploadedFile(name, content)})


def put(client, url: str, body: dict):
    return client.put(url, body, content_type=JSON)


def uploaded(client, name: str = "people.csv", content: bytes = PEOPLE_CSV) -> dict:
    answer = post_file(client, name, content)
    assert answer.status_code == 201, answer.content
    return answer.json()


def started(client, batch_id: int) -> dict:
    answer = client.post(f"/api/v1/imports/{batch_id}/start")
    assert answer.status_code == 202, answer.content
    job = answer.json()
    assert run_job.call(job_id=job["id"]) == "succeeded"
    return client.get(f"/api/v1/imports/{batch_id}").json()


# ---------------------------------------------------------------- the whole flow


def test_the_nc_sample_through_the_api(api, manny):
    client = api(manny)

    batch = uploaded(client, "nc.csv", (SAMPLES / "nc.csv").read_bytes())
    assert (batch["state"], batch["filename"]) == ("uploaded", "nc.csv")
    assert (batch["shape"]["delimiter"], batch["shape"]["has_header"]) == ("\t", True)
    assert len(batch["shape"]["columns"]) == 71

    mapped = put(client, f"/api/v1/imports/{batch['id']}/mapping", {"preset": "nc"})
    assert mapped.status_code == 200, mapped.content
    assert mapped.json()["state"] == "mapped"
    assert mapped.json()["tag"]["name"].startswith("Import nc.csv ")

    preview = client.get(f"/api/v1/imports/{batch['id']}/preview", {"limit": 5})
    assert preview.status_code == 200
    rows = preview.json()
    assert [row["number"] for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["record"]["last_name"] == "Landry"
    assert rows[0]["match"] == "new"

    answer = client.post(f"/api/v1/imports/{batch['id']}/start")
    assert answer.status_code == 202
    job = answer.json()
    assert (job["kind"], job["state"], job["batch_id"]) == ("imports.people", "queued", batch["id"])
    assert client.get(f"/api/v1/imports/{batch['id']}").json()["state"] == "queued"
    run_job.call(job_id=job["id"])

    done = client.get(f"/api/v1/imports/{batch['id']}").json()
    assert (done["state"], done["rows_done"], done["percent"]) == ("finished", 100, 100)
    assert done["created"] + done["failed"] == 100
    assert Person.objects.filter(office=manny.office).count() == done["created"]


def test_a_mapping_given_by_hand_and_its_failed_row_retried(api, manny):
    client = api(manny)
    batch = uploaded(client)
    mapped = put(
        client, f"/api/v1/imports/{batch['id']}/mapping",
        {"mapping": PEOPLE_MAPPING, "match_rules": ["email", "external_id"],
         "tag_name": "Old CRM", "save_as": "CRM export"},
    )  # fmt: skip
    assert mapped.status_code == 200, mapped.content
    assert mapped.json()["match_rules"] == ["email", "external_id"]
    assert mapped.json()["tag"]["name"] == "Old CRM"
    assert SavedMapping.objects.get(office=manny.office).name == "CRM export"

    done = started(client, batch["id"])
    assert (done["created"], done["failed"]) == (2, 1)

    failures = client.get(f"/api/v1/imports/{batch['id']}/failures")
    assert failures.status_code == 200
    [failure] = failures.json()["results"]
    assert failure["row_number"] == 2
    assert failure["cells"] == ["Alan", "Turing", "alan@example.org", "13/45/1990", "20002"]
    assert "13/45/1990" in failure["reason"]

    csv = client.get(f"/api/v1/imports/{batch['id']}/failures.csv")
    assert csv.status_code == 200
    assert csv.content.decode("utf-8-sig").splitlines()[0].endswith(",reason")

    url = f"/api/v1/imports/{batch['id']}/failures/{failure['id']}/retry"
    still_wrong = client.post(url, {"cells": ["Alan", "Turing", "", "31/31/1912", "20002"]},
                              content_type=JSON)  # fmt: skip
    assert still_wrong.status_code == 409
    assert still_wrong.json()["error"]["code"] == "import_refused"
    fixed = client.post(url, {"cells": ["Alan", "Turing", "", "06/23/1912", "20002"]},
                        content_type=JSON)  # fmt: skip
    assert fixed.status_code == 200, fixed.content
    assert (fixed.json()["created"], fixed.json()["failed"]) == (3, 0)
    assert ImportFailure.objects.get().is_fixed is True


def test_a_saved_mapping_is_used_by_id(api, manny):
    client = api(manny)
    saved = client.post("/api/v1/import-mappings", {"name": "CRM", "mapping": PEOPLE_MAPPING},
                        content_type=JSON)  # fmt: skip
    assert saved.status_code == 201, saved.content
    assert client.get("/api/v1/import-mappings").json()[0]["name"] == "CRM"
    batch = uploaded(client)

    mapped = put(client, f"/api/v1/imports/{batch['id']}/mapping",
                 {"saved_mapping_id": saved.json()["id"]})  # fmt: skip

    assert mapped.status_code == 200
    assert mapped.json()["mapping"]["id_system"] == "crm"
    deleted = client.delete(f"/api/v1/import-mappings/{saved.json()['id']}")
    assert deleted.status_code == 204
    assert SavedMapping.objects.count() == 0


def test_the_shape_can_be_changed(api, manny):
    client = api(manny)
    batch = uploaded(client)

    answer = put(client, f"/api/v1/imports/{batch['id']}/shape", {"has_header": False})

    assert answer.status_code == 200
    assert answer.json()["shape"]["columns"][:2] == ["Column 1", "Column 2"]


def test_presets_and_targets_are_listed(api, manny):
    client = api(manny)

    presets = client.get("/api/v1/import-presets").json()
    targets = client.get("/api/v1/import-targets").json()

    assert {"nc", "fl", "oh", "ny", "nj", "de", "ut", "ok"} <= {p["key"] for p in presets}
    fl = next(p for p in presets if p["key"] == "fl")
    assert fl["shape_hint"]["header"] is False
    assert fl["mapping"]["columns"]["last_name"] == ["Column 3"]
    assert {"first_name", "postcode", "district:ward", "custom:party"} <= {
        t["target"] for t in targets
    }


# ---------------------------------------------------------------- refusals


def test_a_mapping_naming_a_missing_column_is_422(api, manny):
    client = api(manny)
    batch = uploaded(client)
    mapping = {**PEOPLE_MAPPING, "columns": {"last_name": ["Surname"]}}

    answer = put(client, f"/api/v1/imports/{batch['id']}/mapping", {"mapping": mapping})

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_mapping"
    assert "Surname" in answer.json()["error"]["message"]
    assert ImportBatch.objects.get().state == ImportState.UPLOADED


def test_an_unknown_field_or_preset_is_422(api, manny):
    client = api(manny)
    batch = uploaded(client)
    url = f"/api/v1/imports/{batch['id']}/mapping"

    field = put(client, url, {"mapping": {"columns": {"shoe_size": ["ZIP"]}}})
    preset = put(client, url, {"preset": "zz"})
    both = put(client, url, {"preset": "nc", "mapping": PEOPLE_MAPPING})

    assert (field.status_code, field.json()["error"]["code"]) == (422, "invalid_mapping")
    assert (preset.status_code, preset.json()["error"]["code"]) == (422, "invalid_mapping")
    assert (both.status_code, both.json()["error"]["code"]) == (422, "invalid")


def test_another_offices_saved_mapping_is_an_unknown_reference(api, manny, nina):
    theirs = api(nina).post("/api/v1/import-mappings", {"name": "X", "mapping": PEOPLE_MAPPING},
                            content_type=JSON).json()  # fmt: skip
    client = api(manny)
    batch = uploaded(client)

    answer = put(client, f"/api/v1/imports/{batch['id']}/mapping",
                 {"saved_mapping_id": theirs["id"]})  # fmt: skip

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "unknown_reference"


def test_starting_before_the_mapping_is_409(api, manny):
    client = api(manny)
    batch = uploaded(client)

    answer = client.post(f"/api/v1/imports/{batch['id']}/start")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "import_refused"


@pytest.mark.parametrize(
    ("content", "status", "text"),
    [
        (b"", 400, "The file is empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, 409, "bad.csv: "),
    ],
)
def test_bad_files_are_refused(api, manny, content, status, text):
    answer = post_file(api(manny), "bad.csv", content)

    assert answer.status_code == status
    assert text in answer.json()["error"]["message"]
    assert ImportBatch.objects.count() == 0


def test_a_file_over_the_limit_is_413(api, manny, settings):
    settings.CIVICDESK_IMPORT_MAX_MB = 1

    answer = post_file(api(manny), "big.csv", PEOPLE_CSV * 30_000)

    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "import_too_big"
    assert ImportBatch.objects.count() == 0


def test_no_file_is_400(api, manny):
    answer = api(manny).post("/api/v1/imports", {})

    assert answer.status_code == 400
    assert "multipart/form-data" in answer.json()["error"]["message"]


# ---------------------------------------------------------------- who may


def test_a_caseworker_gets_403(api, manny, alice):
    batch = uploaded(api(manny))
    client = api(alice)

    assert post_file(client, "people.csv", PEOPLE_CSV).status_code == 403
    assert client.get(f"/api/v1/imports/{batch['id']}").status_code == 403
    assert client.get("/api/v1/imports").status_code == 403
    assert client.get("/api/v1/import-presets").status_code == 403
    assert ImportBatch.objects.count() == 1


def test_another_offices_import_is_404(api, manny, nina):
    batch = uploaded(api(manny))
    client = api(nina)

    for answer in (
        client.get(f"/api/v1/imports/{batch['id']}"),
        client.get(f"/api/v1/imports/{batch['id']}/preview"),
        put(client, f"/api/v1/imports/{batch['id']}/mapping", {"preset": "nc"}),
        client.post(f"/api/v1/imports/{batch['id']}/start"),
    ):
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/imports").json()["results"] == []
    assert ImportBatch.objects.get().state == ImportState.UPLOADED


def test_the_list_is_the_offices_newest_first(api, manny):
    client = api(manny)
    first = uploaded(client, "first.csv")
    second = uploaded(client, "second.csv")

    listed = client.get("/api/v1/imports").json()["results"]

    assert [b["id"] for b in listed] == [second["id"], first["id"]]


def test_a_finished_import_has_nothing_to_resume(api, manny):
    client = api(manny)
    batch = uploaded(client)
    put(client, f"/api/v1/imports/{batch['id']}/mapping", {"mapping": PEOPLE_MAPPING})
    started(client, batch["id"])

    answer = client.post(f"/api/v1/imports/{batch['id']}/resume")

    assert answer.status_code == 409
    assert "nothing to resume" in answer.json()["error"]["message"]
