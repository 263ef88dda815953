"""Importing House CMS exports: the UGA sample with every expectation of its README, a full
export of every record type CivicDesk brings in, idempotence, faults and orphans."""

import datetime as dt

import pytest

from civicdesk.audit.models import AuditEvent
from civicdesk.casework.models import (
    ActionKind,
    ActionState,
    Case,
    CaseDocument,
    CaseParty,
    CaseStatus,
    LetterTemplate,
)
from civicdesk.constituents.models import (
    Address,
    EmailAddress,
    ExternalId,
    Household,
    Interaction,
    Person,
    PersonTag,
    Phone,
    Position,
)
from civicdesk.interchange import services
from civicdesk.interchange.handlers.cases import imported_mark
from civicdesk.interchange.models import InterchangeRun, StagedRecord
from civicdesk.interchange.report import Report
from civicdesk.tags.models import Tag
from civicdesk.tags.services import create_tag

from .conftest import line


def report_of(run) -> Report:
    return Report.from_dict(run.report)


def cms_person(office, constituent_id: str) -> Person:
    return ExternalId.objects.get(office=office, system="cms", value=constituent_id).person


# ---------------------------------------------------------------- the UGA sample


def test_the_uga_sample_comes_in_as_its_readme_expects(ward1, import_uga):
    run = import_uga()
    report = report_of(run)

    # 7 address rows for constituents 1,2,3,4,5,7,9 (1B); the export has no 1A: the people
    # come from their addresses, with the CMS id kept.
    addresses = Address.objects.filter(office=ward1).select_related("person")
    by_person = {a.person.external_ids.get(system="cms").value: a for a in addresses}
    assert sorted(by_person, key=int) == ["1", "2", "3", "4", "5", "7", "9"]
    assert Person.objects.filter(office=ward1).count() == 7
    first = by_person["1"]
    assert (first.line1, first.line2, first.city, first.region, first.postcode, first.country) == (
        "10 Oak St", "Apt 2", "City One", "GA", "30001", "US",
    )  # fmt: skip
    assert (first.kind, first.is_primary) == ("home", True)
    assert (by_person["2"].kind, by_person["2"].person.do_not_mail) == ("work", True)
    # 9 correspondence items (2A) are staged: the shared inbox does not exist yet.
    staged = StagedRecord.objects.filter(office=ward1, brought_in_at__isnull=True)
    assert staged.filter(record_type="2A").count() == 9
    assert staged.get(record_type="2A", key="4004").fields["Date In"] == ""
    # Positions PRO/CON through the 8A code table, lowercase "court" included; NEU is
    # constituent 6's, who has no record: no person, no position.
    positions = {
        (p.person.external_ids.get().value, p.stance, p.tag.path, p.noted_on, p.source)
        for p in Position.objects.filter(office=ward1).select_related("person", "tag")
    }
    assert positions == {
        ("1", "oppose", "CMS codes › LEGAL CASE", dt.date(2021, 1, 10), "House CMS correspondence 1001"),
        ("2", "support", "CMS codes › MINWAGE", dt.date(2022, 2, 20), "House CMS correspondence 2002"),
        ("3", "support", "CMS codes › RIGHTS", dt.date(2022, 3, 30), "House CMS correspondence 3003"),
        ("4", "support", "CMS codes › RIGHTS", run.created_at.date(), "House CMS correspondence 4004"),
        ("5", "support", "CMS codes › RIGHTS", dt.date(2023, 3, 30), "House CMS correspondence 5005"),
        ("9", "oppose", "CMS codes › court", dt.date(2023, 9, 30), "House CMS correspondence 9009"),
    }  # fmt: skip
    assert staged.filter(record_type="2B").count() == 7  # kept staged too
    assert set(Tag.objects.filter(office=ward1).values_list("path", flat=True)) == {
        "CMS codes", "CMS codes › LEGAL CASE", "CMS codes › MINWAGE", "CMS codes › RIGHTS",
        "CMS codes › OPINION", "CMS codes › court",
    }  # fmt: skip
    # Letter bodies attached from documents/; in-email\3.txt is missing: a warning.
    letters = staged.filter(record_type="2C").order_by("line_number")
    assert [bool(r.document) for r in letters] == [True, True, False, True, True, True]
    with letters[0].document.open("rb") as handle:
        assert handle.read() == b"Letter from a constituent"
    assert report.documents == {"copied": 5, "missing": 1}
    assert report.oddity_lines() == [
        "1B.out line 7: 2 columns missing (read as empty)",
        "2A.out line 1: 2 extra columns ignored",
        "2A.out line 2: 2 extra columns ignored",
        "2A.out line 3: 2 extra columns ignored",
        "2A.out line 4: 2 extra columns ignored",
        "2A.out line 4: blank date (Date In)",
        "2A.out line 5: 2 extra columns ignored",
        "2A.out line 6: 2 extra columns ignored",
        "2A.out line 7: 2 extra columns ignored",
        "2A.out line 8: 2 columns missing (read as empty)",
        "2A.out line 9: 2 columns missing (read as empty)",
        "2C.out line 3: documents/in-email/3.txt not found",
    ]
    # Constituents 6 and 8 have 2A rows and no 1B: orphans, kept staged.
    assert report.orphans == {"6": ["2A", "2B", "2D"], "8": ["2A"]}
    assert report.rows() == [
        ("8A", [5, 5, 0, 0, 0]),
        ("1B", [7, 7, 0, 0, 0]),
        ("2A", [9, 0, 0, 9, 0]),
        ("2B", [7, 0, 0, 7, 0]),
        ("2C", [6, 0, 0, 6, 0]),
        ("2D", [7, 0, 0, 7, 0]),
    ]
    assert report.notes == [
        "7 people were made from 1B addresses: the export has no 1A record for them, so they "
        "have no name yet.",
        "1 address is shared by several people of this import (10 Oak St 30001: 3 people): one "
        "household, or the same person twice? The duplicates review can tell.",
    ]
    assert (run.state, run.error) == ("finished", "")


def test_nothing_of_the_uga_sample_is_lost(ward1, import_uga, uga):
    import_uga()

    for path in uga.glob("*.out"):
        count = len(path.read_bytes().strip(b"\n").split(b"\n"))
        assert StagedRecord.objects.filter(office=ward1, record_type=path.stem).count() == count
    extra = StagedRecord.objects.get(office=ward1, record_type="2A", key="1001").fields
    assert (extra["Household Flag"], extra["Household ID"]) == ("Y", "111")


def test_importing_the_same_export_twice_changes_nothing(ward1, import_uga):
    import_uga()
    models = (Person, Address, ExternalId, Position, Tag, PersonTag, StagedRecord)

    def state():
        # A staged record remembers the last run that read it: bookkeeping, not the data.
        return {m.__name__: [{k: v for k, v in row.items() if k not in {"run_id", "updated_at"}}
                             for row in m.objects.filter(office=ward1).order_by("pk").values()]
                for m in models}  # fmt: skip

    before = state()
    second = report_of(import_uga())

    assert state() == before
    assert second.summary() == "imported=0 unchanged=12 staged=29 skipped=0 oddities=12"


def test_the_import_is_audited(ward1, import_uga):
    run = import_uga()

    event = AuditEvent.objects.get(office=ward1, action="interchange.imported")
    assert (event.object_id, event.actor_label) == (str(run.pk), "system")
    assert event.changes["totals"] == {
        "read": 41, "imported": 12, "unchanged": 0, "staged": 29, "skipped": 0,
    }  # fmt: skip
    assert event.changes["orphans"] == 2


def test_codes_find_the_offices_own_tags_by_name(ward1, import_uga):
    mine = create_tag(ward1, name="Court", by=None)

    import_uga()

    position = Position.objects.get(office=ward1, source="House CMS correspondence 9009")
    assert position.tag == mine


# ---------------------------------------------------------------- every type brought in


@pytest.fixture
def full_export(write_export):
    return write_export(
        {
            "8A": [
                line("8A", "COR", 100, "HOUSING", ""),
                line("8A", "CAS", 200, "VETERANS", ""),
                line("8A", "CON", 300, "VOLUNTEER", "Y"),
            ],
            "8C": [
                line(
                    "8C",
                    "WEL",
                    "Welcome letter",
                    r"forms\welcome.txt",
                    "Ann",
                    "20200101",
                    "20210101",
                    "",
                ),
                line("8C", "OLD", "Old letter", "old.doc", "Ann", "20150101", "", "Y"),
            ],
            "1A": [
                line(
                    "1A",
                    10,
                    "IN",
                    "Mr.",
                    "John",
                    "Q",
                    "Public",
                    "Jr.",
                    "Esq.",
                    "Dear John",
                    "19800115",
                    "",
                    "",
                ),
                line("1A", 11, "IN", "Ms.", "Jane", "", "Public", "", "", "", "", "Y", ""),
            ],
            "1B": [
                line(
                    "1B",
                    10,
                    "A10",
                    "HO",
                    "Y",
                    "Y",
                    "",
                    "",
                    "1 Main St",
                    "Apt 3",
                    "Rear",
                    "",
                    "Springfield",
                    "GA",
                    "30001",
                    "C001",
                    "Clarke",
                    "USA",
                    "D1",
                    "P7",
                    "",
                    "",
                ),
                line(
                    "1B",
                    10,
                    "A11",
                    "BU",
                    "",
                    "",
                    "Clerk",
                    "City Hall",
                    "2 Court Sq",
                    "",
                    "",
                    "",
                    "Springfield",
                    "GA",
                    "30002",
                    "",
                    "",
                    "USA",
                    "",
                    "",
                    "",
                    "",
                ),
                line(
                    "1B",
                    11,
                    "A12",
                    "HO",
                    "Y",
                    "Y",
                    "",
                    "",
                    "1 Main St",
                    "Apt 3",
                    "",
                    "",
                    "Springfield",
                    "GA",
                    "30001",
                    "",
                    "",
                    "Canada",
                    "",
                    "",
                    "",
                    "",
                ),
            ],
            "1C": [line("1C", 10, "CON", 300), line("1C", 13, "CON", 300)],
            "1D": [
                line("1D", 10, 1, "CM", "Called about taxes"),
                line("1D", 10, 2, "CALL", "Asked for a tour"),
            ],
            "1E": [
                line("1E", 10, "HOME", "(202) 555-0123 x12"),
                line("1E", 10, "EMAIL", "John@Example.org"),
                line("1E", 10, "URL", "http://public.example"),
                line("1E", 11, "CELL", "abc"),
            ],
            "5A": [
                line("5A", "H1", "Mr. and Mrs. Public", 10, "Y"),
                line("5A", "H1", "Mr. and Mrs. Public", 11, ""),
            ],
            "3A": [
                line(
                    "3A",
                    10,
                    "C1",
                    "Adam Admin",
                    "20230105",
                    "",
                    "20230201",
                    "20230110",
                    "Passport delayed",
                    "OPEN",
                    "State Department",
                ),
                line(
                    "3A",
                    11,
                    "C2",
                    "Staffer_9",
                    "20220101",
                    "20220301",
                    "",
                    "",
                    "VA benefits",
                    "CLOSED",
                    "",
                ),
            ],
            "3B": [line("3B", 10, "C1", 200)],
            "3D": [
                line("3D", 10, "C1", 1, "DESCRIPTION", "Needs a passport for March"),
                line("3D", 10, "C1", 2, "NOTE", "Called the agency"),
            ],
            "3E": [line("3E", 10, "C1", 11)],
            "4A": [
                line(
                    "4A",
                    10,
                    "C1",
                    "CALL",
                    "Adam Admin",
                    "20230106",
                    "20230106",
                    "",
                    "20230106",
                    "",
                    "",
                    "",
                    "",
                    "",
                ),
                line(
                    "4A",
                    10,
                    "C1",
                    "LETTER",
                    "Staffer_9",
                    "20230110",
                    "",
                    "20230201",
                    "20230110",
                    "",
                    "",
                    "",
                    "",
                    "",
                ),
            ],
            "4C": [line("4C", 10, "C1", 1, 1, "TXT", "reply.txt", r"casework\C1\reply.txt")],
            "4D": [
                line("4D", 10, "C1", 1, 1, "SUBJECT", "Called the passport agency"),
                line("4D", 10, "C1", 1, 2, "BODY", "They will expedite."),
            ],
            "2A": [
                line(
                    "2A",
                    10,
                    5001,
                    "LETTER",
                    "Ann",
                    "20230301",
                    "",
                    "",
                    "20230301",
                    "LETTER",
                    "A10",
                    "",
                    "",
                )
            ],
            "2B": [line("2B", 10, 5001, 100, "PRO")],
            "7A": [
                line(
                    "7A",
                    "E1",
                    "Town hall",
                    "Ann",
                    "USA",
                    "Ward 1",
                    "20230401",
                    "1800",
                    "20230401",
                    "1930",
                    "Library",
                    "HELD",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                )
            ],
        },  # fmt: skip
        documents={
            "forms/welcome.txt": b"Dear {{ constituent.first_name }},\r\n\r\nWelcome.\r\n",
            "casework/C1/reply.txt": b"We will expedite the passport.",
        },
    )


def test_every_record_type_with_a_module_comes_in(ward1, adam, full_export):
    report = report_of(services.import_folder(ward1, full_export, by=adam))

    john, jane = cms_person(ward1, "10"), cms_person(ward1, "11")
    assert (john.prefix, john.first_name, john.middle_name, john.last_name, john.suffix) == (
        "Mr.", "John", "Q", "Public", "Jr.",
    )  # fmt: skip
    assert (john.salutation, john.birth_date, john.birth_year) == (
        "Dear John", dt.date(1980, 1, 15), 1980,
    )  # fmt: skip
    assert (jane.do_not_mail, john.sort_name) == (True, "public john q")
    home, work = john.addresses.order_by("pk")
    assert (home.line1, home.line2, home.kind, home.is_primary) == (
        "1 Main St", "Apt 3, Rear", "home", True,
    )  # fmt: skip
    assert (work.line1, work.kind, work.is_primary) == ("2 Court Sq", "work", False)
    assert jane.addresses.get().country == "CA"
    # Codes, notes, contacts.
    assert list(john.tag_links.values_list("tag__path", flat=True)) == ["CMS codes › VOLUNTEER"]
    assert Tag.objects.get(office=ward1, name="VOLUNTEER").description == (
        "House CMS code CON 300 (inactive in the CMS)"
    )
    notes = Interaction.objects.filter(person=john).exclude(kind="case").order_by("pk")
    assert [(n.kind, n.subject, n.notes) for n in notes] == [
        ("note", "CM", "Called about taxes"), ("call", "", "Asked for a tour"),
    ]  # fmt: skip
    assert list(EmailAddress.objects.filter(person=john).values_list("email", "is_primary")) == [
        ("john@example.org", True)
    ]
    assert list(Phone.objects.filter(person=john).values_list("number", "extension", "kind")) == [
        ("+12025550123", "12", "home")
    ]
    # Households.
    household = Household.objects.get(office=ward1)
    assert (household.name, household.joint_salutation) == ("Mr. and Mrs. Public",) * 2
    assert set(household.members.all()) == {john, jane}
    # Cases: staff matched to a member, or kept as text.
    passport = Case.objects.get(office=ward1, subject="Passport delayed")
    assert (passport.case_type.name, passport.status, passport.assignee) == (
        "Imported case", CaseStatus.OPEN, adam,
    )  # fmt: skip
    assert (passport.opened_at.date(), passport.due_on, passport.closed_at) == (
        dt.date(2023, 1, 5), dt.date(2023, 2, 1), None,
    )  # fmt: skip
    assert passport.description == "Needs a passport for March"
    assert list(passport.tags.values_list("name", flat=True)) == ["VETERANS"]
    assert set(CaseParty.objects.filter(case=passport).values_list("person", "role")) == {
        (john.pk, "primary"), (jane.pk, "family"),
    }  # fmt: skip
    benefits = Case.objects.get(office=ward1, subject="VA benefits")
    assert (benefits.status, benefits.closed_at.date(), benefits.assignee) == (
        CaseStatus.CLOSED, dt.date(2022, 3, 1), None,
    )  # fmt: skip
    mark = benefits.actions.get(details__interchange="imported")
    assert mark.details["cms_staff"] == "Staffer_9"
    assert "Staff in the CMS: Staffer_9" in mark.body
    actions = passport.actions.exclude(imported_mark()).order_by("pk")
    assert [(a.kind, a.state, a.subject, a.body, a.due_on, a.by) for a in actions] == [
        (ActionKind.NOTE, ActionState.DONE, "NOTE", "Called the agency", None, adam),
        (ActionKind.CALL, ActionState.DONE, "Called the passport agency", "They will expedite.",
         None, adam),
        (ActionKind.LETTER, ActionState.PLANNED, "Letter", "", dt.date(2023, 2, 1), None),
    ]  # fmt: skip
    document = CaseDocument.objects.get(case=passport)
    assert (document.name, document.content_type, document.size) == ("reply.txt", "text/plain", 30)
    assert actions[1].details["document_id"] == document.pk
    # Letters: the text from documents/, a merge field CivicDesk knows kept as is.
    welcome = LetterTemplate.objects.get(office=ward1, name="Welcome letter")
    assert (welcome.subject, welcome.body, welcome.is_active) == (
        "Welcome letter", "Dear {{ constituent.first_name }},\n\nWelcome.", True,
    )  # fmt: skip
    old = LetterTemplate.objects.get(office=ward1, name="Old letter")
    assert (old.is_active, old.body) == (
        False, "(The text of this letter was not in the House CMS export: old.doc.)",
    )  # fmt: skip
    # Correspondence and events wait; the position of 2B is noted.
    position = Position.objects.get(person=john)
    assert (position.stance, position.tag.name, position.noted_on) == (
        "support", "HOUSING", dt.date(2023, 3, 1),
    )  # fmt: skip
    waiting = StagedRecord.objects.filter(office=ward1, brought_in_at__isnull=True)
    assert sorted(waiting.values_list("record_type", "key", "note")) == [
        ("1C", "13:CON:300", "constituent 13 has no 1A or 1B record"),
        ("1E", "10:URL:http://public.example", "a web address (people have no place for one)"),
        ("1E", "11:CELL:abc", "“abc” is not a valid phone number."),
        ("2A", "5001", ""),
        ("2B", "5001:100", "kept for the shared inbox (correspondence)"),
        ("7A", "E1", ""),
    ]
    assert report.orphans == {"13": ["1C"]}
    assert "1E.out line 4: “abc” is not a valid phone number: kept staged" in (
        report.oddity_lines()
    )
    assert (
        "8C.out line 2: the text of letter OLD (old.doc) could not be read: the template says so"
        in (report.oddity_lines())
    )


def test_a_record_waiting_for_its_person_comes_in_with_the_next_export(ward1, write_export):
    first = write_export({"3A": [line("3A", 20, "C9", "", "20230101", "", "", "", "Roof", "", "")],
                          "4A": [line("4A", 20, "C9", "CALL", "", "20230102", "20230102")]})  # fmt: skip
    report = report_of(services.import_folder(ward1, first, by=None))
    assert report.rows() == [("3A", [1, 0, 0, 1, 0]), ("4A", [1, 0, 0, 1, 0])]
    assert Case.objects.filter(office=ward1).count() == 0

    second = write_export({"1A": [line("1A", 20, "", "", "Ann", "", "Lee")]})
    report = report_of(services.import_folder(ward1, second, by=None))

    case = Case.objects.get(office=ward1)
    assert (case.subject, case.primary_person.first_name) == ("Roof", "Ann")
    assert list(case.actions.exclude(imported_mark()).values_list("kind")) == [("call",)]
    assert report.rows() == [("1A", [1, 1, 0, 0, 0]), ("3A", [0, 1, 0, 0, 0]),
                             ("4A", [0, 1, 0, 0, 0])]  # fmt: skip


def test_a_changed_record_updates_what_it_became(ward1, write_export):
    services.import_folder(
        ward1, write_export({"1A": [line("1A", 30, "", "", "Bob", "", "Stone")]}), by=None
    )
    services.import_folder(
        ward1, write_export({"1A": [line("1A", 30, "", "", "Robert", "", "Stone")]}), by=None
    )

    person = Person.objects.get(office=ward1)
    assert (person.first_name, person.version) == ("Robert", 2)
    assert StagedRecord.objects.filter(office=ward1, record_type="1A").count() == 2


def test_faults_are_reported_and_nothing_is_lost(ward1, write_export):
    content = "\n".join([
        line("1A", 40, "", "", "Zoë", "", "Ng", "", "", "", "18000101", "", "", "extra"),
        "Record Type\tConstituent ID",
        line("1A", 41, "", "", '"Al"', "", "Bo"),
        line("1A", 41, "", "", '"Al"', "", "Bo"),
        "",
    ]).encode().replace("Zoë".encode(), "Zoë".encode("cp1252"))  # fmt: skip
    root = write_export({"1A": content, "2C": [line("2C", 40, 9, 1, "main", r"in\9.txt", "")]})

    report = report_of(services.import_folder(ward1, root, by=None))

    assert report.oddity_lines() == [
        "1A.out line 1: not UTF-8: read as Windows-1252",
        "1A.out line 1: 1 extra column ignored",
        "1A.out line 1: date of birth 1800-01-01 cannot be right: left out",
        "1A.out line 2: a header line: skipped",
        "1A.out line 3: quoted values read without quotes",
        "1A.out line 3: 6 columns missing (read as empty)",
        "1A.out line 4: quoted values read without quotes",
        "1A.out line 4: 6 columns missing (read as empty)",
        "1A.out line 4: the same record as an earlier line: read once",
        "2C.out line 1: documents/in/9.txt not found",
    ]
    names = (
        Person.objects.filter(office=ward1).order_by("pk").values_list("first_name", "birth_date")
    )
    assert list(names) == [("Zoë", None), ("Al", None)]
    assert StagedRecord.objects.get(office=ward1, key="40").fields["_extra"] == ["extra"]
    assert report.rows() == [("1A", [4, 2, 1, 0, 1]), ("2C", [1, 0, 0, 1, 0])]


def test_a_record_the_database_refuses_is_kept_and_the_rest_goes_on(
    ward1, write_export, monkeypatch
):
    from civicdesk.interchange import handlers

    def broken(context, record):
        Person.objects.create(office=ward1, first_name="Half")
        raise RuntimeError("boom")

    monkeypatch.setitem(handlers.HANDLERS, "1D", broken)
    root = write_export({"1A": [line("1A", 50, "", "", "Cy", "", "Lu")],
                         "1D": [line("1D", 50, 1, "NOTE", "hello")]})  # fmt: skip

    report = report_of(services.import_folder(ward1, root, by=None))

    assert list(Person.objects.filter(office=ward1).values_list("first_name", flat=True)) == ["Cy"]
    assert StagedRecord.objects.get(office=ward1, record_type="1D").note == (
        "could not be brought in (RuntimeError)"
    )
    assert report.rows() == [("1A", [1, 1, 0, 0, 0]), ("1D", [1, 0, 0, 0, 1])]


def test_a_folder_that_is_not_an_export_is_refused_and_the_run_says_why(ward1, tmp_path):
    with pytest.raises(services.InterchangeRefused, match="No House CMS file"):
        services.import_folder(ward1, tmp_path, by=None)

    run = InterchangeRun.objects.get(office=ward1)
    assert (run.state, run.error.startswith("No House CMS file")) == ("failed", True)


def test_only_admins_may_import(ward1, manny, uga):
    from civicdesk.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.import_folder(ward1, uga, by=manny)
    assert StagedRecord.objects.count() == 0


def test_merge_fields_of_another_cms_are_kept_as_text(ward1, write_export):
    root = write_export(
        {"8C": [line("8C", "X1", "Thanks", "x1.txt", "", "", "", "")]},
        documents={"x1.txt": b"Dear {{FirstName}},\nThanks."},
    )

    report = report_of(services.import_folder(ward1, root, by=None))

    assert LetterTemplate.objects.get(office=ward1).body == "Dear { {FirstName} },\nThanks."
    assert report.oddity_lines() == [
        "8C.out line 1: letter X1 uses merge fields of its CMS: kept as text"
    ]


def test_a_failing_record_among_good_ones_leaves_only_itself_out(ward1, write_export, monkeypatch):
    from civicdesk.interchange import handlers
    from civicdesk.interchange.handlers.people import constituent_text

    def flaky(context, record):
        if record.key == "60:2":
            context.odd("test", "about to fail")
            raise RuntimeError("boom")
        return constituent_text(context, record)

    monkeypatch.setitem(handlers.HANDLERS, "1D", flaky)
    root = write_export(
        {
            "1A": [line("1A", 60, "", "", "Di", "", "Wu")],
            "1D": [line("1D", 60, n, "NOTE", f"note {n}") for n in (1, 2, 3)],
        }
    )

    report = report_of(services.import_folder(ward1, root, by=None))

    notes = Interaction.objects.filter(office=ward1).order_by("pk").values_list("notes", flat=True)
    assert list(notes) == ["note 1", "note 3"]
    assert report.rows() == [("1A", [1, 1, 0, 0, 0]), ("1D", [3, 2, 0, 0, 1])]
    assert report.oddity_lines() == [
        "1A.out line 1: 6 columns missing (read as empty)",
        "1D.out line 2: about to fail",
        "1D.out line 2: could not be brought in (RuntimeError): kept staged",
    ]
