"""The import pipeline end to end, through the services: the state samples, re-runs, changes,
match rules, districts and positions, duplicates within a file, bad rows."""

import pytest
from django.db import IntegrityError
from django.db.models import Max

from civicdesk.audit.models import AuditEvent
from civicdesk.constituents import services as constituent_services
from civicdesk.constituents.models import (
    Address,
    AddressDistrict,
    CustomField,
    CustomFieldType,
    ExternalId,
    Person,
    PersonTag,
    SearchKey,
)
from civicdesk.constituents.services import EmailIn
from civicdesk.geo.geocoding import normalize_address
from civicdesk.geo.models import AddressPoint
from civicdesk.imports import services
from civicdesk.imports.models import ImportBatch, ImportState, MatchRule
from civicdesk.imports.pipeline.chunks import Importer
from civicdesk.imports.tests.helpers import (
    counts,
    dump,
    import_file,
    make_layer,
    prepared_batch,
    sample,
    square,
    write_file,
)
from civicdesk.tabular.mapping import Mapping
from civicdesk.tabular.reading import FileShape, detect_shape, read_rows

HEADER = ["voter_id", "first", "last", "dob", "email", "street", "zip", "ward", "party"]
GENERIC = Mapping(
    columns={
        "external_id": ["voter_id"], "first_name": ["first"], "last_name": ["last"],
        "birth_date": ["dob"], "email": ["email"], "line1": ["street"], "postcode": ["zip"],
        "district:ward": ["ward"], "custom:party": ["party"],
    },
    id_system="voter",
)  # fmt: skip
PEOPLE = [
    ["V1", "Ada", "Lovelace", "1985-12-10", "ada@example.org", "12 Main Street", "20001", "1", "DEM"],
    ["V2", "Alan", "Turing", "1982-06-23", "alan@example.org", "40 Oak Avenue", "20002", "2", "REP"],
    ["V3", "Grace", "Hopper", "1976-12-09", "", "7 Elm Road", "20003", "9", ""],
]  # fmt: skip


def generic_file(tmp_path, rows, name="people.csv"):
    return write_file(tmp_path, name, [HEADER, *rows])


def people_rows(office):
    return sorted(Person.objects.for_office(office).values_list("first_name", "last_name"))


# ---------------------------------------------------------------- the state samples


def sample_rows(state):
    from civicdesk.tabular.mapping import PRESETS, RowMapper, load_mapping

    hint = PRESETS[state].shape_hint
    shape = detect_shape(sample(state), has_header=hint["header"], delimiter=hint["delimiter"])
    mapper = RowMapper(load_mapping(state), shape)
    return [mapper(row.cells)[0] for row in read_rows(sample(state), shape)]


@pytest.mark.parametrize("state", ["nc", "fl", "oh", "ny", "nj", "de", "ut", "ok"])
def test_each_state_sample_imports_its_people(ward1, manny, state):
    records = sample_rows(state)
    batch = import_file(ward1, sample(state), by=manny, mapping=state)
    assert batch.state == ImportState.FINISHED
    assert batch.rows_done == batch.rows_total == len(records)
    assert len(records) == (2 if state == "ok" else 100)
    # Oklahoma's two sample rows share a voter id: one person, updated by the second row.
    assert counts(batch) == ((1, 1, 0, 0) if state == "ok" else (100, 0, 0, 0))
    # The last row of the first person's id has the final say.
    first = [r for r in records if r.external_id == records[0].external_id][-1]
    person = ExternalId.objects.get(office=ward1, value=first.external_id).person
    assert (person.first_name, person.last_name) == (first.first_name, first.last_name)
    address = person.addresses.get(is_primary=True)
    assert (address.line1, address.postcode) == (first.line1, first.postcode)
    # No district maps in this office: the file's districts are kept as custom values.
    assert first.districts
    assert {k: person.custom[k] for k in first.districts} == first.districts
    assert Person.objects.for_office(ward1).count() == len({r.external_id for r in records})


def test_state_sample_districts_link_to_the_offices_ward_layer(ward1, manny):
    layer = make_layer(
        ward1, "Ward",
        [("Ward 5", "", square(0, 0)), ("Ward 7", "", square(1, 0)), ("Ridge", "R-B", square(2, 0))],
    )  # fmt: skip
    records = sample_rows("nc")
    batch = import_file(ward1, sample("nc"), by=manny, mapping="nc")
    assert counts(batch) == (100, 0, 0, 0)
    wanted = {"5": "Ward 5", "7": "Ward 7", "R-B": "Ridge"}
    linked = dict(
        AddressDistrict.objects.filter(layer=layer).values_list(
            "address__person__external_ids__value", "district__name"
        )
    )
    expected = {
        r.external_id: wanted[r.districts["ward"]] for r in records if r.districts.get("ward")
    }
    assert linked == expected
    assert len(expected) == 51
    assert not Person.objects.for_office(ward1).filter(custom__has_key="ward").exists()
    assert Person.objects.for_office(ward1).filter(custom__has_key="precinct").count() > 90


# ---------------------------------------------------------------- re-runs and changes


def test_running_the_same_file_again_changes_nothing(ward1, manny):
    import_file(ward1, sample("fl"), by=manny, mapping="fl", tag_name="Florida")
    before = dump(ward1.pk)
    last_change = Person.objects.for_office(ward1).aggregate(at=Max("updated_at"))["at"]
    keys = SearchKey.objects.filter(office=ward1).count()
    again = import_file(ward1, sample("fl"), by=manny, mapping="fl", tag_name="Florida")
    assert counts(again) == (0, 0, 100, 0)
    assert dump(ward1.pk) == before
    assert Person.objects.for_office(ward1).aggregate(at=Max("updated_at"))["at"] == last_change
    assert SearchKey.objects.filter(office=ward1).count() == keys


def test_a_changed_file_updates_the_people_it_changes(ward1, manny, tmp_path):
    import_file(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    ada = ExternalId.objects.get(office=ward1, value="V1").person
    changed = [
        ["V1", "Ada", "King", "1985-12-10", "ada@example.org", "99 New Street", "20009", "1", "DEM"],
        PEOPLE[1],
        ["V3", "GRACE", "HOPPER", "1976-12-09", "grace@navy.example", "7 Elm Road", "20003", "9", ""],
    ]  # fmt: skip
    batch = import_file(
        ward1, generic_file(tmp_path, changed, "changed.csv"), by=manny, mapping=GENERIC
    )
    assert counts(batch) == (0, 2, 1, 0)
    ada.refresh_from_db()
    assert (ada.last_name, ada.version) == ("King", 2)
    assert "king" in ada.search_text
    assert "lovelace" not in ada.search_text
    assert ada.addresses.count() == 1
    assert ada.addresses.get().line1 == "99 New Street"
    assert " 20009 " in ada.search_text
    grace = ExternalId.objects.get(office=ward1, value="V3").person
    # "GRACE HOPPER" is the stored name in other capitals: kept; the new email is added.
    assert (grace.first_name, grace.last_name) == ("Grace", "Hopper")
    assert list(grace.emails.values_list("email", "is_primary")) == [("grace@navy.example", True)]


def test_an_empty_cell_never_erases_a_stored_value(ward1, manny, tmp_path):
    import_file(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    blanked = [["V1", "Ada", "Lovelace", "", "", "", "", "", ""]]
    batch = import_file(
        ward1, generic_file(tmp_path, blanked, "blank.csv"), by=manny, mapping=GENERIC
    )
    assert counts(batch) == (0, 0, 1, 0)
    ada = ExternalId.objects.get(office=ward1, value="V1").person
    assert ada.emails.get().email == "ada@example.org"
    assert ada.custom == {"party": "DEM", "ward": "1"}


def test_the_same_id_twice_in_a_file_is_one_person(ward1, manny, tmp_path):
    rows = [
        PEOPLE[0],
        ["V1", "Ada", "Lovelace", "1985-12-10", "countess@example.org", "12 Main Street",
         "20001", "1", "DEM"],
        PEOPLE[1],
        PEOPLE[0],
        PEOPLE[0],
    ]  # fmt: skip
    for chunk_size in (100, 2):  # within one chunk, and across chunks
        office_rows = generic_file(tmp_path, rows, f"dupes{chunk_size}.csv")
        batch = import_file(ward1, office_rows, by=manny, mapping=GENERIC, chunk_size=chunk_size)
        assert counts(batch) == ((2, 1, 2, 0) if chunk_size == 100 else (0, 0, 5, 0))
    assert ExternalId.objects.filter(office=ward1).count() == 2
    assert Person.objects.for_office(ward1).count() == 2
    ada = ExternalId.objects.get(office=ward1, value="V1").person
    assert sorted(ada.emails.values_list("email", flat=True)) == [
        "ada@example.org",
        "countess@example.org",
    ]


def test_duplicates_across_chunks_are_one_person(ward1, manny, tmp_path):
    rows = [PEOPLE[0], PEOPLE[1], PEOPLE[0], PEOPLE[2], PEOPLE[1]]
    batch = import_file(
        ward1, generic_file(tmp_path, rows), by=manny, mapping=GENERIC, chunk_size=2
    )
    assert counts(batch) == (3, 0, 2, 0)
    assert Person.objects.for_office(ward1).count() == 3


# ---------------------------------------------------------------- match rules


def test_email_rule_finds_a_person_staff_added(ward1, manny, tmp_path):
    person = constituent_services.create_person(
        ward1, by=manny, fields={"first_name": "Ada", "last_name": "Lovelace"},
        emails=[EmailIn("ada@example.org")],
    )  # fmt: skip
    batch = import_file(ward1, generic_file(tmp_path, PEOPLE[:1]), by=manny, mapping=GENERIC)
    assert counts(batch) == (0, 1, 0, 0)
    person.refresh_from_db()
    assert list(person.external_ids.values_list("system", "value")) == [("voter", "V1")]
    assert str(person.birth_date) == "1985-12-10"


def test_name_and_birth_date_rule(ward1, manny, tmp_path):
    person = constituent_services.create_person(
        ward1, by=manny, fields={"first_name": "Ada", "middle_name": "Augusta",
                                 "last_name": "Lovelace", "birth_date": "1985-12-10"},
    )  # fmt: skip
    row = [["", "ADA", "LOVELACE", "12/10/1985", "", "", "", "", ""]]
    rules = [MatchRule.NAME_BIRTH_DATE]
    batch = import_file(
        ward1, generic_file(tmp_path, row), by=manny, mapping=GENERIC, match_rules=rules
    )
    assert counts(batch) == (0, 0, 1, 0)
    other_day = [["", "Ada", "Lovelace", "1985-12-11", "", "", "", "", ""]]
    batch = import_file(
        ward1, generic_file(tmp_path, other_day, "b.csv"), by=manny, mapping=GENERIC,
        match_rules=rules,
    )  # fmt: skip
    assert counts(batch) == (1, 0, 0, 0)
    assert Person.objects.for_office(ward1).filter(last_name="Lovelace").count() == 2
    assert person.pk == min(Person.objects.for_office(ward1).values_list("pk", flat=True))


def test_name_and_address_rule(ward1, manny, tmp_path):
    constituent_services.create_person(
        ward1, by=manny, fields={"first_name": "Alan", "last_name": "Turing"},
        addresses=[constituent_services.AddressIn("40 OAK AVE.", postcode="20002-1234")],
    )  # fmt: skip
    rules = [MatchRule.NAME_ADDRESS]
    batch = import_file(
        ward1, generic_file(tmp_path, [PEOPLE[1]]), by=manny, mapping=GENERIC, match_rules=rules
    )
    assert counts(batch) == (0, 1, 0, 0)
    assert Person.objects.for_office(ward1).count() == 1


def test_rules_not_chosen_do_not_match(ward1, manny, tmp_path):
    constituent_services.create_person(
        ward1, by=manny, fields={"first_name": "Ada", "last_name": "Lovelace"},
        emails=[EmailIn("ada@example.org")],
    )  # fmt: skip
    batch = import_file(
        ward1, generic_file(tmp_path, PEOPLE[:1]), by=manny, mapping=GENERIC,
        match_rules=[MatchRule.EXTERNAL_ID],
    )  # fmt: skip
    assert counts(batch) == (1, 0, 0, 0)
    assert Person.objects.for_office(ward1).count() == 2


def test_an_id_held_by_another_person_fails_the_row(ward1, manny, tmp_path):
    import_file(ward1, generic_file(tmp_path, PEOPLE[:2]), by=manny, mapping=GENERIC)
    # Alan's email with Ada's voter id, matched by email: the id is Ada's.
    row = [["V1", "Alan", "Turing", "", "alan@example.org", "", "", "", ""]]
    batch = import_file(
        ward1, generic_file(tmp_path, row, "b.csv"), by=manny, mapping=GENERIC,
        match_rules=[MatchRule.EMAIL],
    )  # fmt: skip
    assert counts(batch) == (0, 0, 0, 1)
    assert "already Ada Lovelace’s" in batch.failures.get().reason


def test_other_offices_people_are_never_matched(ward1, ward2, manny, tmp_path):
    import_file(ward2, generic_file(tmp_path, PEOPLE), mapping=GENERIC)
    batch = import_file(ward1, generic_file(tmp_path, PEOPLE, "b.csv"), by=manny, mapping=GENERIC)
    assert counts(batch) == (3, 0, 0, 0)
    assert Person.objects.for_office(ward2).count() == 3


# ---------------------------------------------------------------- districts and positions


def test_addresses_get_positions_and_districts(ward1, manny, tmp_path):
    ward = make_layer(ward1, "Ward", [("Ward 1", "1", square(-77.1, 38.8, 0.1))])
    council = make_layer(
        ward1, "Council", [("North", "N", square(-77.1, 38.85, 0.05)), ("South", "S", square(-77.1, 38.8, 0.05))]
    )  # fmt: skip
    AddressPoint.objects.create(
        office=ward1, normalized=normalize_address("12 Main St"), label="12 Main St",
        postcode="20001", latitude=38.86, longitude=-77.05,
    )  # fmt: skip
    AddressPoint.objects.create(
        office=ward1, normalized=normalize_address("40 Oak Ave"), label="40 Oak Ave",
        postcode="20002", latitude=38.81, longitude=-77.05,
    )  # fmt: skip
    batch = import_file(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    assert counts(batch) == (3, 0, 0, 0)
    ada = ExternalId.objects.get(office=ward1, value="V1").person.addresses.get()
    assert (ada.latitude, ada.longitude, ada.geocode_source) == (38.86, -77.05, "local")
    districts = dict(
        AddressDistrict.objects.filter(address__office=ward1)
        .values_list("address__line1", "district__name")
        .filter(layer=council)
    )
    assert districts == {"12 Main Street": "North", "40 Oak Avenue": "South"}
    # Ada's ward column names Ward 1. Alan's names a ward the map does not have: his value is
    # kept as a custom value, and his position puts him in Ward 1. Grace's address has no
    # position and her ward 9 is unknown: no district.
    ward_links = AddressDistrict.objects.filter(layer=ward).order_by("address__line1")
    assert list(ward_links.values_list("address__line1", flat=True)) == [
        "12 Main Street", "40 Oak Avenue"
    ]  # fmt: skip
    alan = ExternalId.objects.get(office=ward1, value="V2").person
    ada_person = ExternalId.objects.get(office=ward1, value="V1").person
    assert (alan.custom["ward"], "ward" in ada_person.custom) == ("2", False)
    grace = ExternalId.objects.get(office=ward1, value="V3").person.addresses.get()
    assert grace.latitude is None
    assert not grace.district_links.exists()


def test_a_move_gets_a_new_position_and_districts(ward1, manny, tmp_path):
    council = make_layer(
        ward1, "Council", [("North", "N", square(-77.1, 38.85, 0.05)), ("South", "S", square(-77.1, 38.8, 0.05))]
    )  # fmt: skip
    for line, lat in (("12 Main St", 38.86), ("5 Hill St", 38.81)):
        AddressPoint.objects.create(
            office=ward1, normalized=normalize_address(line), label=line, latitude=lat,
            longitude=-77.05,
        )  # fmt: skip
    import_file(ward1, generic_file(tmp_path, PEOPLE[:1]), by=manny, mapping=GENERIC)
    moved = [["V1", "Ada", "Lovelace", "", "", "5 Hill Street", "20001", "", ""]]
    batch = import_file(
        ward1, generic_file(tmp_path, moved, "moved.csv"), by=manny, mapping=GENERIC
    )
    assert counts(batch) == (0, 1, 0, 0)
    address = Address.objects.get(office=ward1)
    assert (address.line1, address.latitude) == ("5 Hill Street", 38.81)
    assert list(address.district_links.values_list("layer", "district__name")) == [
        (council.pk, "South")
    ]


# ---------------------------------------------------------------- tags, audit, search


def test_the_batch_tag_goes_on_every_person_and_counts(ward1, manny, tmp_path):
    batch = import_file(
        ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC, tag_name="Voters 2026"
    )
    assert PersonTag.objects.filter(tag=batch.tag).count() == 3
    batch.tag.refresh_from_db()
    assert (batch.tag.name, batch.tag.usage_count) == ("Voters 2026", 3)


def test_one_audit_event_per_batch_not_per_person(ward1, manny, tmp_path):
    before = AuditEvent.objects.filter(office_id=ward1.pk).count()
    batch = import_file(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    actions = list(
        AuditEvent.objects.filter(office_id=ward1.pk)
        .order_by("seq")
        .values_list("action", flat=True)[before:]
    )
    assert actions == ["import.uploaded", "import.started", "import.finished"]
    finished = AuditEvent.objects.get(office_id=ward1.pk, action="import.finished")
    assert finished.changes == {
        "rows": 3, "created": 3, "updated": 0, "unchanged": 0, "failed": 0
    }  # fmt: skip
    assert finished.object_id == str(batch.pk)


def test_imported_people_are_found_by_the_search_box(ward1, manny, tmp_path):
    from civicdesk.constituents.queries import search_people

    import_file(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    for text in ("lovelace", "lovelase", "ada@example.org", "V2", "20003"):
        found = search_people(ward1, text)
        assert found, text
    assert SearchKey.objects.filter(office=ward1, word="lovelace").exists()


# ---------------------------------------------------------------- bad rows and files


def test_bad_rows_fail_with_their_reason_and_the_rest_imports(ward1, manny, tmp_path):
    rows = [
        PEOPLE[0],
        ["V7", "Bad", "Email", "", "not-an-email", "", "", "", ""],
        ["V8", "Bad", "Date", "13/45/1990", "", "", "", "", ""],
        ["V9", "", "", "", "", "", "", "", ""],
        ["V10", "Too", "Few"],
        PEOPLE[1],
    ]
    batch = import_file(ward1, generic_file(tmp_path, rows), by=manny, mapping=GENERIC)
    assert counts(batch) == (2, 0, 0, 4)
    reasons = dict(batch.failures.values_list("row_number", "reason"))
    assert set(reasons) == {2, 3, 4, 5}
    assert "not an email address" in reasons[2]
    assert "13/45/1990" in reasons[3]
    assert "no name" in reasons[4]
    assert "This row has 3 columns" in reasons[5]
    assert batch.failures.get(row_number=5).cells == ["V10", "Too", "Few"]
    assert people_rows(ward1) == [("Ada", "Lovelace"), ("Alan", "Turing")]


def test_a_custom_field_of_the_office_checks_its_values(ward1, manny, tmp_path):
    CustomField.objects.create(
        office=ward1, key="party", label="Party", field_type=CustomFieldType.CHOICE,
        choices=["DEM", "REP"],
    )  # fmt: skip
    rows = [PEOPLE[0], ["V5", "Ed", "Green", "", "", "", "", "", "GRN"]]
    batch = import_file(ward1, generic_file(tmp_path, rows), by=manny, mapping=GENERIC)
    assert counts(batch) == (1, 0, 0, 1)
    assert "GRN" in batch.failures.get().reason


def test_a_broken_encoding_keeps_the_row_with_replaced_characters(ward1, manny, tmp_path):
    good = "V1,José,Núñez,,,,,,\n".encode()
    broken = b"V2,Ren\xe9e,M\xfcller,,,,,,\n"  # Latin-1 bytes in a UTF-8 file
    path = tmp_path / "mixed.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n" + good * 3 + broken)
    batch = services.create_batch(ward1, by=manny, uploaded=path)
    assert batch.shape["encoding"] == "cp1252"  # detection saw the stray bytes
    batch = services.change_shape(batch, by=manny, encoding="utf-8")  # the office knows better
    services.set_mapping(batch, by=manny, mapping=GENERIC)
    services.start_import(batch, by=manny)
    batch = services.run_here(batch)
    assert counts(batch) == (2, 0, 2, 0)
    assert people_rows(ward1) == [("José", "Núñez"), ("Ren\ufffde", "M\ufffdller")]


def test_a_gigantic_line_fails_alone(ward1, manny, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("w") as out:
        out.write(",".join(HEADER) + "\n")
        out.write(",".join(PEOPLE[0]) + "\n")
        out.write("V2,Alan," + "x" * (3 << 20) + ",,,,,,\n")
        out.write(",".join(PEOPLE[2]) + "\n")
    batch = import_file(ward1, path, by=manny, mapping=GENERIC)
    assert counts(batch) == (2, 0, 0, 1)
    failure = batch.failures.get()
    assert (failure.row_number, failure.cells) == (2, [])
    assert "longer than 1 MB" in failure.reason
    assert people_rows(ward1) == [("Ada", "Lovelace"), ("Grace", "Hopper")]


def test_a_chunk_the_database_refuses_is_written_row_by_row(ward1, manny, tmp_path, monkeypatch):
    calls = []
    original = Importer.write

    def refuse_once(self, states, words):
        calls.append(len(states))
        if len(calls) == 1:
            raise IntegrityError("simulated")
        return original(self, states, words)

    monkeypatch.setattr(Importer, "write", refuse_once)
    batch = import_file(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    assert counts(batch) == (3, 0, 0, 0)
    assert calls == [3, 1, 1, 1]
    assert Person.objects.for_office(ward1).count() == 3


def test_a_file_that_breaks_midway_keeps_its_rows_and_fails_the_batch(
    ward1, manny, tmp_path, monkeypatch
):
    from civicdesk.imports.pipeline import run
    from civicdesk.tabular.reading import Row, TableError

    def breaking(path, shape, *, start=0):
        yield Row(1, PEOPLE[0])
        raise TableError("The spreadsheet could not be read (damaged).")

    monkeypatch.setattr(run, "read_rows", breaking)
    batch = import_file(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    assert (batch.state, batch.error, batch.rows_done) == (
        ImportState.FAILED, "The spreadsheet could not be read (damaged).", 1
    )  # fmt: skip
    assert people_rows(ward1) == [("Ada", "Lovelace")]
    assert batch.job.state == "failed"


def test_rows_shape_and_mapping_round_trip_through_the_batch(ward1, manny, tmp_path):
    batch = import_file(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    assert FileShape.from_dict(batch.shape).columns == HEADER
    assert Mapping.from_dict(batch.mapping) == GENERIC
    assert batch.match_rules == ["external_id", "email", "name_birth_date"]
    assert (batch.job.state, batch.job.result["created"]) == ("succeeded", 3)
    assert batch.summary == "created=3 updated=0 unchanged=0 failed=0"
    assert services.failures_csv(batch).decode("utf-8-sig").splitlines() == [
        ",".join(HEADER) + ",reason"
    ]


def test_the_import_computes_search_fields_as_constituents_does():
    from types import SimpleNamespace

    from civicdesk.constituents import search
    from civicdesk.imports.pipeline import text

    people = [
        ("Ada", "Augusta", "Lovelace", "", ["ADA@Example.org"], ["+12025550147"],
         [("12 Main Street NW", "20001-1234")], ["V1"]),
        ("José", "", "Núñez-Ortiz", "Pepe", ["jose@example.org"], ["+442071838750"],
         [("Straße 5", "10 115"), ("Apt. 4, 1 Rue de l'Église", "")], ["DC 00 12"]),
        ("Ørjan", "Ĳ", "O'Brien", "", [], [], [("Ⅻ Avenue", "K1A 0B1")], []),
        ("", "", "Sanchez", "", [], [], [], ["voter:ABC 1"]),
    ]  # fmt: skip
    for state in ("nc", "fl", "oh", "ny", "nj", "de", "ut", "ok"):
        for r in sample_rows(state):
            people.append((r.first_name, r.middle_name, r.last_name, "", [r.email],
                           [r.phone], [(r.line1, r.postcode)], [r.external_id]))  # fmt: skip
    for first, middle, last, preferred, emails, phones, addresses, ids in people:
        person = SimpleNamespace(
            first_name=first, middle_name=middle, last_name=last, preferred_name=preferred
        )
        expected = search.search_text_for(
            person, emails=emails, phones=phones, addresses=addresses, external_ids=ids
        )
        assert text.search_text(
            first, middle, last, preferred, emails=emails, phones=phones, addresses=addresses,
            external_ids=ids,
        ) == expected  # fmt: skip
        assert text.sort_name(last, first, middle, preferred) == search.sort_name_for(person)
        streets = [line1 for line1, _postcode in addresses]
        assert text.vocabulary(first, middle, last, preferred, streets) == (
            search.vocabulary_words(expected)
        )


def test_the_result_does_not_depend_on_the_chunk_size(db, tmp_path):
    """Rows of one person in one chunk or in several end the same (the resume test relies on
    it: a resumed import's chunks are not where a clean run's are)."""
    from civicdesk.accounts.services import create_office
    from civicdesk.imports.tests.test_resume import people_file

    path = people_file(tmp_path)
    dumps = []
    for chunk_size in (97, 5000):
        office = create_office(name=f"Chunks of {chunk_size}", slug=f"chunks-{chunk_size}")
        make_layer(office, "Ward", [("Ward 1", "1", square(-77.1, 38.8, 0.05)),
                                    ("Ward 2", "2", square(-77.05, 38.8, 0.05))])  # fmt: skip
        make_layer(office, "Council", [("West", "W", square(-77.1, 38.8, 0.05)),
                                       ("East", "E", square(-77.05, 38.8, 0.05))])  # fmt: skip
        AddressPoint.objects.bulk_create(
            AddressPoint(office=office, normalized=normalize_address(f"{n} Main Street"),
                         label=f"{n} Main St", latitude=38.81 + n / 1e5,
                         longitude=-77.09 + n / 2e4)
            for n in range(1, 1000, 3)
        )  # fmt: skip
        batch = import_file(office, path, mapping=GENERIC, chunk_size=chunk_size, tag_name="T")
        dumps.append((counts(batch), dump(office.pk)))
    (counts_small, small), (counts_large, large) = dumps
    assert counts_small == counts_large
    differ = [(a, b) for a, b in zip(small, large, strict=True) if a != b]
    assert not differ, differ[:1]


def test_a_map_replaced_during_the_import_is_read_again(ward1, manny, tmp_path, monkeypatch):
    from civicdesk.imports.pipeline import run

    make_layer(ward1, "Ward", [("Ward 1", "1", square(0, 0)), ("Ward 2", "2", square(1, 0))])
    original = run._commit
    replaced = []

    def replace_the_map_then_commit(*args, **kwargs):
        if not replaced:  # the chunk was read with the old map; an admin imports a new one
            replaced.append(make_layer(ward1, "Ward", [("Ward 1", "1", square(0, 0)),
                                                       ("Ward 2", "2", square(1, 0))]))  # fmt: skip
        return original(*args, **kwargs)

    monkeypatch.setattr(run, "_commit", replace_the_map_then_commit)
    batch = import_file(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    assert counts(batch) == (3, 0, 0, 0)
    links = AddressDistrict.objects.filter(office=ward1).order_by("address__line1")
    assert [(link.address.line1, link.district.name) for link in links] == [
        ("12 Main Street", "Ward 1"), ("40 Oak Avenue", "Ward 2"),
    ]  # fmt: skip
    assert {link.district.layer_id for link in links} == {replaced[0].pk}


def test_row_by_row_foreign_key_checks_give_the_same_people(ward1, manny, tmp_path, settings):
    settings.IMPORT_SET_BASED_CHECKS = False
    make_layer(ward1, "Ward", [("Ward 1", "1", square(0, 0))])
    batch = import_file(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    assert counts(batch) == (3, 0, 0, 0)
    assert AddressDistrict.objects.filter(office=ward1).count() == 1
    again = import_file(ward1, generic_file(tmp_path, PEOPLE, "b.csv"), by=manny, mapping=GENERIC)
    assert counts(again) == (0, 0, 3, 0)


def test_blank_lines_do_not_shift_the_checkpoint(ward1, manny, tmp_path):
    path = tmp_path / "gaps.csv"
    lines = [",".join(HEADER), ",".join(PEOPLE[0]), "", ",".join(PEOPLE[1]), "", "",
             ",".join(PEOPLE[2]), ""]  # fmt: skip
    path.write_text("\n".join(lines))
    batch = prepared_batch(ward1, path, by=manny, mapping=GENERIC)
    services.start_import(batch, by=manny)
    batch = services.run_here(batch, chunk_size=1)
    assert (batch.rows_done, batch.rows_total, counts(batch)) == (3, 3, (3, 0, 0, 0))
    # A worker that died after Alan's row goes on with Grace's and nothing else.
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportState.RUNNING, rows_done=2, created=2
    )
    Person.objects.filter(office=ward1, last_name="Hopper").delete()
    batch = services.run_here(batch, chunk_size=1)
    assert (batch.rows_done, counts(batch)) == (3, (3, 0, 0, 0))
    assert Person.objects.for_office(ward1).count() == 3
