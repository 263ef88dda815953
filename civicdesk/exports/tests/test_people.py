"""People list exports through the page's Export menu: CSV and XLSX of the list's filters, every
formula neutralized, vCards of a list, a long list as a job, who may export, and the audit."""

import csv
import io

import openpyxl
import pytest

from civicdesk.audit.models import AuditEvent
from civicdesk.constituents.models import Person
from civicdesk.exports import people as people_module
from civicdesk.exports import services
from civicdesk.jobs.models import Job

from .conftest import run_job
from .test_vcard import parse_cards, props


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def read_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs for UTF-8
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def export(client, query: str = "", format: str = "csv"):
    return client.post(f"/exports/people/{query}", {"format": format})


@pytest.fixture
def everyone(john, maria, mallory, wren):
    return [john, maria, mallory]


# ---------------------------------------------------------------- CSV


def test_the_csv_holds_the_offices_people_with_useful_columns(web, manny, everyone, ward_layer):
    response = export(web(manny))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="people-')
    assert response["Cache-Control"] == "no-store"
    rows = read_csv(body(response))
    assert sorted(row["last_name"] for row in rows) == ["'+SUM(1,2)", "Gómez", "Smith"]
    john = next(row for row in rows if row["last_name"] == "Smith")
    assert john == {
        "id": str(everyone[0].pk),
        "prefix": "Mr.", "first_name": "John", "middle_name": "Quincy", "last_name": "Smith",
        "suffix": "Jr.", "preferred_name": "Jack", "salutation": "",
        "birth_date": "1961-04-12", "birth_year": "1961", "gender": "male", "pronouns": "",
        "language": "en",
        "email": "john.smith@example.org", "other_emails": "jack@example.net",
        "phone": "(202) 555-0147", "other_phones": "",
        "line1": "1420 U Street NW", "line2": "Apt 4", "city": "Washington", "region": "DC",
        "postcode": "20009", "country": "US", "latitude": "38.905", "longitude": "-77.025",
        "district:ward": "South",
        "household": "", "tags": "Potholes",
        "do_not_email": "no", "do_not_mail": "no", "do_not_call": "no", "do_not_text": "no",
        "is_deceased": "no", "is_vip": "yes", "is_out_of_district": "no", "is_of_concern": "no",
        "custom:party": "DEM",
        "external_id:voter": "NC-000123",
        "created_at": john["created_at"], "updated_at": john["updated_at"],
    }  # fmt: skip
    assert len(john["created_at"]) == len("2024-01-02 03:04:05")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?tags={potholes}", ["Smith"]),
        ("?tags={potholes}&tags={parks}", ["Gómez", "Smith"]),
        ("?tags={potholes}&tag_mode=none", ["'+SUM(1,2)", "Gómez"]),
        ("?q=maria", ["Gómez"]),
        ("?language=es", ["Gómez"]),
        ("?flags=is_vip", ["Smith"]),
        ("?district={south}", ["Smith"]),
        ("?district={north}", []),
        # What the list ignores, the export ignores: another office's tag, an unknown flag.
        ("?tags={other_tag}", ["'+SUM(1,2)", "Gómez", "Smith"]),
        ("?flags=is_teleported", ["'+SUM(1,2)", "Gómez", "Smith"]),
    ],
)
def test_the_export_holds_the_people_the_filters_choose(
    web, manny, everyone, potholes, parks, ward_layer, ward2, query, expected
):
    from civicdesk.constituents.tests.conftest import make_tag

    _layer, south, north = ward_layer
    other_tag = make_tag(ward2, "Ward 2 only")
    query = query.format(
        potholes=potholes.pk, parks=parks.pk, south=south.pk, north=north.pk, other_tag=other_tag.pk
    )

    rows = read_csv(body(export(web(manny), query)))

    assert sorted(row["last_name"] for row in rows) == expected


def test_the_export_counts_what_the_list_counts(web, manny, everyone, potholes, parks):
    client = web(manny)
    query = f"?tags={potholes.pk}&tags={parks.pk}&order=-name"

    page = client.get(f"/people/{query}")
    rows = read_csv(body(export(client, query)))

    assert "2 people match these filters" in page.text
    assert [row["last_name"] for row in rows] == ["Smith", "Gómez"]  # in the list's order


def test_formulas_are_neutralized_in_the_csv(web, manny, mallory):
    [row] = read_csv(body(export(web(manny))))

    assert row["first_name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["last_name"] == "'+SUM(1,2)"
    assert row["gender"] == "'@cmd"
    assert row["pronouns"] == "'-2+3"
    assert row["line1"] == "'=1+1"


# ---------------------------------------------------------------- XLSX


def read_xlsx(content: bytes) -> tuple[openpyxl.worksheet.worksheet.Worksheet, list[dict]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook["People"]
    header, *rows = list(sheet.values)
    return sheet, [dict(zip(header, row, strict=True)) for row in rows]


def test_the_xlsx_holds_the_same_rows_with_numbers_as_numbers(web, manny, john, maria):
    response = export(web(manny), format="xlsx")

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    _sheet, rows = read_xlsx(body(response))
    assert [row["last_name"] for row in rows] == ["Gómez", "Smith"]
    smith = rows[1]
    assert (smith["id"], smith["birth_year"], smith["latitude"]) == (john.pk, 1961, 38.905)
    assert (smith["email"], smith["district:ward"], smith["tags"]) == (
        "john.smith@example.org", "South", "Potholes",
    )  # fmt: skip


def test_formulas_are_neutralized_in_the_xlsx(web, manny, mallory):
    sheet, [row] = read_xlsx(body(export(web(manny), format="xlsx")))

    assert row["first_name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["last_name"] == "'+SUM(1,2)"
    assert row["line1"] == "'=1+1"
    assert [cell.data_type for cell in sheet[2] if cell.data_type == "f"] == []


# ---------------------------------------------------------------- vCards of a list


def test_a_list_exports_as_one_vcard_per_person(web, manny, everyone, potholes):
    response = export(web(manny), f"?tags={potholes.pk}", format="vcard")
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    [card] = parse_cards(body(response).decode())
    assert props(card, "FN") == [({}, "Mr. John Quincy Smith Jr.")]

    cards = parse_cards(body(export(web(manny), format="vcard")).decode())
    assert len(cards) == 3


# ---------------------------------------------------------------- long lists run as jobs


def test_a_long_list_runs_as_a_job_whose_file_the_job_page_offers(
    web, manny, everyone, monkeypatch
):
    monkeypatch.setattr(services, "INLINE_LIMIT", 2)
    monkeypatch.setattr(people_module, "CHUNK_SIZE", 2)  # several chunks: the keyset moves on
    client = web(manny)

    response = export(client, "?order=-name")

    job = Job.objects.get(kind="exports.people")
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert (job.state, job.total, job.started_by) == ("queued", 3, manny)
    job = run_job(job)
    assert (job.state, job.done, job.total, job.result) == (
        "succeeded", 3, 3, {"count": 3, "format": "csv"},
    )  # fmt: skip
    assert "Download the result" in client.get(f"/jobs/{job.pk}/").text
    download = client.get(f"/jobs/{job.pk}/download/")
    rows = read_csv(body(download))
    in_order = Person.objects.filter(office=manny.office).order_by("-sort_name", "-id")
    assert [int(row["id"]) for row in rows] == [person.pk for person in in_order]


def test_a_long_xlsx_list_as_a_job(web, manny, everyone, monkeypatch):
    monkeypatch.setattr(services, "INLINE_LIMIT", 1)
    export(web(manny), format="xlsx")

    job = run_job(Job.objects.get(kind="exports.people"))

    assert job.result_file.name.endswith(".xlsx")
    with job.result_file.open("rb") as handle:
        _sheet, rows = read_xlsx(handle.read())
    assert len(rows) == 3


def test_the_job_is_refused_if_its_starter_may_no_longer_export(web, manny, john, monkeypatch):
    monkeypatch.setattr(services, "INLINE_LIMIT", 0)
    export(web(manny))
    manny.role = "caseworker"
    manny.save(update_fields=["role"])

    job = run_job(Job.objects.get(kind="exports.people"))

    assert job.state == "failed"
    assert "may no longer export people" in job.error
    assert not job.result_file


def test_exports_read_a_fixed_number_of_queries_per_chunk(ward1, everyone, ward_layer):
    def queries_for_export() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            services.write_people(
                ward1, services.PersonFilter(), io.BytesIO(), format="csv", may_see_concern=True
            )
        return len(captured.captured_queries)

    few = queries_for_export()
    for n in range(20):
        services_person(ward1, n)
    many = queries_for_export()

    assert Person.objects.filter(office=ward1).count() == 23
    assert few == many


def services_person(office, n):
    from civicdesk.constituents import services as person_services
    from civicdesk.constituents.validation import AddressIn, EmailIn, PhoneIn

    person_services.create_person(
        office, by=None, fields={"first_name": f"Person{n}", "last_name": "Many"},
        emails=[EmailIn(f"p{n}@example.org")], phones=[PhoneIn(f"202555{n:04d}")],
        addresses=[AddressIn(f"{n} Main St", latitude=38.905, longitude=-77.025)],
    )  # fmt: skip


# ---------------------------------------------------------------- who may export; the audit


def test_a_caseworker_may_not_export_people(web, alice, everyone):
    response = export(web(alice))

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="people.exported").exists()
    assert not Job.objects.exists()


def test_the_export_only_answers_a_post(web, manny):
    assert web(manny).get("/exports/people/").status_code == 405


def test_an_export_is_audited_with_its_filter_and_count(web, manny, everyone, potholes):
    export(web(manny), f"?tags={potholes.pk}&q=smith", format="xlsx")

    event = AuditEvent.objects.get(action="people.exported")
    assert event.actor_id == manny.pk
    assert event.changes == {
        "filter": {
            "text": "smith", "district_id": None, "tag_ids": [potholes.pk], "tag_mode": "any",
            "flags": [], "language": "", "order": "name",
        },
        "format": "xlsx", "count": 1, "delivery": "download",
    }  # fmt: skip


def test_a_long_export_is_audited_when_it_starts(web, manny, everyone, monkeypatch):
    monkeypatch.setattr(services, "INLINE_LIMIT", 1)
    export(web(manny))

    event = AuditEvent.objects.get(action="people.exported")
    job = Job.objects.get(kind="exports.people")
    assert (event.object_type, event.object_id) == ("jobs.job", str(job.pk))
    assert (event.changes["count"], event.changes["delivery"]) == (3, "job")


def test_an_unknown_format_is_refused_with_a_message(web, manny, everyone):
    response = web(manny).post("/exports/people/?q=smith", {"format": "pdf"}, follow=True)

    assert response.redirect_chain == [("/people/?q=smith", 302)]
    assert "“pdf” is not a format we export" in response.text
    assert not AuditEvent.objects.filter(action="people.exported").exists()


def test_the_people_list_offers_the_export_menu_to_managers_only(web, manny, alice, john):
    page = web(manny).get("/people/?q=john")
    assert 'action="/exports/people/?q=john"' in page.text
    assert 'name="format" value="xlsx"' in page.text

    assert 'action="/exports/people/' not in web(alice).get("/people/").text


def test_the_person_page_offers_the_vcard(web, alice, john):
    assert f'href="/exports/people/{john.pk}/vcard/"' in web(alice).get(f"/people/{john.pk}/").text


@pytest.mark.parametrize("order", ["name", "-name", "updated", "-updated"])
def test_chunks_lose_and_repeat_nobody_when_names_tie(ward1, john, order, monkeypatch):
    from civicdesk.constituents import services as person_services

    for _ in range(5):
        person_services.create_person(
            ward1, by=None, fields={"first_name": "Sam", "last_name": "Same"}
        )
    monkeypatch.setattr(people_module, "CHUNK_SIZE", 2)

    exported = [
        details.person.pk
        for details in people_module.iter_people(ward1, services.PersonFilter(), order=order)
    ]

    expected = Person.objects.filter(office=ward1).order_by(*people_module.ORDERS[order])
    assert exported == [person.pk for person in expected]
    assert len(exported) == 6
