"""Exporting an office in the House CMS format: the shape of the files, nothing of an imported
export lost on the way out, and a round trip into a new office that gives the same records."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services as casework
from civicdesk.casework.models import Case, CaseDocument, LetterTemplate
from civicdesk.constituents import services as people
from civicdesk.constituents.models import Household, Person
from civicdesk.constituents.validation import AddressIn, EmailIn, PhoneIn
from civicdesk.interchange import services
from civicdesk.interchange.handlers.cases import imported_mark
from civicdesk.interchange.layout import RECORD_TYPES
from civicdesk.interchange.report import Report
from civicdesk.tags.services import create_tag


def lines_of(folder: Path) -> dict[str, list[list[str]]]:
    return {
        path.stem: [row.split("\t") for row in path.read_text(encoding="utf-8").splitlines()]
        for path in sorted(folder.glob("*.out"))
    }


def as_written(folder: Path) -> dict[str, set[tuple[str, ...]]]:
    """Each file's lines as the format writes them: padded or cut to the type's field count."""
    found = {}
    for path in folder.glob("*.out"):
        count = RECORD_TYPES[path.stem].field_count
        rows = set()
        for raw in path.read_text(encoding="utf-8").splitlines():
            values = [value.strip() for value in raw.split("\t")][:count]
            rows.add(tuple(values + [""] * (count - len(values))))
        found[path.stem] = rows
    return found


# ---------------------------------------------------------------- a busy office


@pytest.fixture
def busy_office(ward1, alice):
    """People with everything the format holds, a household, positions, cases with their
    history and a document, and the letter library."""
    housing = create_tag(ward1, name="Housing", by=None)
    transport = create_tag(ward1, name="Transportation", by=None)
    repair = create_tag(ward1, name="Street repair", parent=transport, by=None)
    john = people.create_person(
        ward1, by=None,
        fields={"prefix": "Mr.", "first_name": "John", "middle_name": "A", "last_name": "Smith",
                "suffix": "Jr.", "salutation": "Dear Mr. Smith", "birth_date": "1970-05-04",
                "do_not_mail": True},
        emails=[EmailIn("john@example.org", "home", True), EmailIn("js@work.example", "work")],
        phones=[PhoneIn("+12025550147", "mobile", True), PhoneIn("+12025550100", "work", False, "204")],
        addresses=[AddressIn("1420 U Street NW", line2="Apt 5", city="Washington", region="DC",
                             postcode="20009", is_primary=True),
                   AddressIn("2 Main St", city="Washington", region="DC", postcode="20001",
                             kind="work")],
        tag_ids=[housing.pk, repair.pk],
    )  # fmt: skip
    maria = people.create_person(
        ward1, by=None, fields={"first_name": "María", "last_name": "García", "is_deceased": True},
        addresses=[AddressIn("1420 U Street NW", line2="Apt 5", city="Washington", region="DC",
                             postcode="20009")],
    )  # fmt: skip
    people.create_household(
        ward1, by=None, name="Smith–García household",
        joint_salutation="Mr. Smith and Ms. García", member_ids=[john.pk, maria.pk],
    )  # fmt: skip
    people.log_interaction(john, by=None, kind="note", subject="Rent", notes="Rent went up\tagain",
                           occurred_at=timezone.now())  # fmt: skip
    people.log_interaction(maria, by=None, kind="call", subject="Asked about the bus",
                           occurred_at=timezone.now())  # fmt: skip
    people.add_position(john, by=None, stance="support", tag_id=housing.pk,
                        noted_on=dt.date(2024, 3, 1))  # fmt: skip
    people.add_position(maria, by=None, stance="oppose", tag_id=repair.pk,
                        noted_on=dt.date(2024, 4, 2))  # fmt: skip
    case_type = casework.create_case_type(ward1, by=None, name="Housing")
    heat = casework.open_case(
        ward1, by=None, person=john, case_type=case_type, subject="No heat",
        description="No heat since Monday.\nLandlord does not answer.", assignee=alice,
        family=[maria], tag_ids=[housing.pk], due_on=dt.date(2030, 1, 31),
    )  # fmt: skip
    casework.log_action(heat, by=alice, kind="call", subject="Called the landlord",
                        body="He will send someone.")  # fmt: skip
    casework.plan_action(heat, by=alice, subject="Call back", due_on=dt.date(2030, 1, 15))
    upload = ContentFile(b"The landlord's answer.", name="answer.txt")
    casework.add_document(heat, by=alice, upload=upload)
    roof = casework.open_case(ward1, by=None, person=maria, case_type=case_type, subject="Roof")
    casework.change_status(roof, by=alice, status="closed", resolution="Fixed by the city.")
    casework.ensure_standard_letters(ward1)
    casework.save_letter_template(
        ward1, by=None, name="Thanks", kind="other", recipient="constituent",
        subject="Thank you, {{ constituent.first_name }}", body="Dear {{ constituent.salutation }},\n\nThank you.",
    )  # fmt: skip
    return ward1


def snapshot(office) -> dict:
    """The office's records, without ids, times or anything of its staff."""
    persons = []
    for p in Person.objects.filter(office=office).order_by("last_name"):
        persons.append((
            p.prefix, p.first_name, p.middle_name, p.last_name, p.suffix, p.salutation,
            p.birth_date, p.do_not_mail, p.is_deceased,
            sorted((a.line1, a.line2, a.city, a.region, a.postcode, a.country, a.kind,
                    a.is_primary) for a in p.addresses.all()),
            sorted((e.email, e.kind, e.is_primary) for e in p.emails.all()),
            sorted((t.number, t.extension, t.kind, t.is_primary) for t in p.phones.all()),
            sorted(p.tag_links.values_list("tag__name", flat=True)),
            # A value is one line: a note's lines are joined with spaces.
            sorted((i.kind, i.subject, " ".join(i.notes.split()))
                   for i in p.interactions.exclude(kind="case")),
            sorted((x.stance, x.tag.name, x.noted_on) for x in p.positions.all()),
            (p.household.joint_salutation, p.household.members.count()) if p.household else None,
        ))  # fmt: skip
    cases = []
    for c in Case.objects.filter(office=office).order_by("subject"):
        actions = c.actions.exclude(imported_mark()).order_by("pk")
        cases.append((
            c.subject, c.description, c.status, c.resolution, c.primary_person.last_name,
            sorted(c.people.values_list("last_name", flat=True)),
            sorted(c.tags.values_list("name", flat=True)),
            timezone.localtime(c.opened_at).date(),
            c.closed_at and timezone.localtime(c.closed_at).date(), c.due_on,
            [(a.kind, a.state, a.subject, a.body, a.due_on) for a in actions],
            sorted((d.name, d.size, d.sha256) for d in CaseDocument.objects.filter(case=c)),
        ))  # fmt: skip
    letters = sorted(
        LetterTemplate.objects.filter(office=office).values_list("name", "subject", "body",
                                                                "is_active")
    )  # fmt: skip
    return {"people": persons, "cases": cases, "letters": letters}


# ---------------------------------------------------------------- the files


def test_every_line_has_exactly_the_fields_of_its_type(busy_office, tmp_path):
    folder = tmp_path / "out"
    run = services.export_folder(busy_office, folder, by=None)

    files = lines_of(folder)
    assert sorted(files) == sorted(RECORD_TYPES)
    for record_type, rows in files.items():
        for row in rows:
            assert (row[0], len(row)) == (record_type, RECORD_TYPES[record_type].field_count)
    report = Report.from_dict(run.report)
    assert report.totals()["written"] == sum(len(rows) for rows in files.values())
    assert {len(files[t]) for t in ("1A", "3A", "8C")} == {2, 3}


def test_values_are_dated_flagged_and_kept_on_one_line(busy_office, tmp_path):
    folder = tmp_path / "out"
    services.export_folder(busy_office, folder, by=None)
    files = lines_of(folder)

    smith = next(row for row in files["1A"] if row[6] == "Smith")
    assert smith[1:] == ["CD" + smith[1][2:], "", "Mr.", "John", "A", "Smith", "Jr.", "",
                         "Dear Mr. Smith", "19700504", "Y", ""]  # fmt: skip
    assert ["1D", smith[1], "N1", "NOTE: Rent", "Rent went up again"] in files["1D"]
    heat = next(row for row in files["3A"] if row[8] == "No heat")
    assert (heat[3], heat[5], heat[6], heat[9]) == ("Alice Alvarez", "", "20300131", "OPEN")
    # A text of several lines: a record a line, in order.
    description = [row[3:] for row in files["3D"] if row[4] == "DESCRIPTION"]
    assert description == [["1", "DESCRIPTION", "No heat since Monday."],
                           ["2", "DESCRIPTION", "Landlord does not answer."]]  # fmt: skip


def test_documents_are_written_and_named_by_windows_paths(busy_office, tmp_path):
    folder = tmp_path / "out"
    services.export_folder(busy_office, folder, by=None)
    files = lines_of(folder)

    [document] = files["4C"]
    assert document[6] == "answer.txt"
    assert document[7].startswith("casework\\C-1\\")
    assert document[7].endswith("_answer.txt")
    path = folder / "documents" / Path(*document[7].split("\\"))
    assert path.read_bytes() == b"The landlord's answer."
    letters = {row[2]: row for row in files["8C"]}
    assert letters["Thanks"][3] == f"forms\\{letters['Thanks'][1]}.txt"
    text = (folder / "documents" / "forms" / f"{letters['Thanks'][1]}.txt").read_text()
    assert text == (
        "Subject: Thank you, {{ constituent.first_name }}\n\n"
        "Dear {{ constituent.salutation }},\n\nThank you.\n"
    )


def test_the_export_is_audited(busy_office, tmp_path, adam):
    run = services.export_folder(busy_office, tmp_path / "out", by=adam)

    event = AuditEvent.objects.get(office=busy_office, action="interchange.exported")
    assert (event.object_id, event.actor_label) == (str(run.pk), "adam@ward1.example")
    assert event.changes["totals"]["written"] > 0


def test_an_export_goes_only_into_a_new_or_empty_folder(ward1, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")

    with pytest.raises(services.InterchangeRefused, match="is not an empty folder"):
        services.export_folder(ward1, tmp_path / "full", by=None)
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]
    services.export_folder(ward1, tmp_path / "empty-but-there", by=None)
    assert (tmp_path / "empty-but-there" / "1A.out").read_text() == ""


# ---------------------------------------------------------------- round trips


def test_an_imported_export_goes_back_out_without_loss(ward1, import_uga, uga, tmp_path):
    """Every line of the UGA sample comes back, value for value (the two extra 2A columns
    aside, which the format does not have), with its documents."""
    import_uga()
    folder = tmp_path / "out"
    services.export_folder(ward1, folder, by=None)

    written = as_written(folder)
    for record_type, rows in as_written(uga).items():
        assert written[record_type] == rows, record_type
    for document in ("in-email/1.txt", "in-email/2.txt", "in-email/9.txt",
                     "out-custom/33.txt", "out-custom/333.txt"):  # fmt: skip
        assert (folder / "documents" / document).read_bytes() == (
            uga / "documents" / document
        ).read_bytes()


def test_an_office_exported_and_imported_into_a_new_office_has_the_same_records(
    busy_office, ward2, tmp_path
):
    folder = tmp_path / "out"
    services.export_folder(busy_office, folder, by=None)

    run = services.import_folder(ward2, folder, by=None)

    report = Report.from_dict(run.report)
    assert report.totals()["skipped"] == 0
    assert report.orphans == {}
    assert snapshot(ward2) == snapshot(busy_office)
    assert Household.objects.get(office=ward2).joint_salutation == "Mr. Smith and Ms. García"


def test_a_round_trip_twice_gives_the_same_files(busy_office, ward2, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    services.export_folder(busy_office, first, by=None)
    services.import_folder(ward2, first, by=None)
    services.export_folder(ward2, second, by=None)

    one, two = as_written(first), as_written(second)
    for record_type in ("1B", "1C", "1D", "1E", "2A", "2B", "3B", "3D", "3E", "4D", "5A", "8A"):
        assert one[record_type] == two[record_type], record_type
