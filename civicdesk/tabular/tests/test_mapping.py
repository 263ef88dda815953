import json
import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicdesk.tabular.mapping import (
    PRESETS,
    TARGETS,
    Mapping,
    MappingError,
    PersonRecord,
    RowMapper,
    guess_mapping,
    is_target,
    load_mapping,
    normalize_address,
    normalize_name,
    normalize_phone,
    normalize_postcode,
    parse_date,
    split_full_name,
)
from civicdesk.tabular.reading import FileShape, detect_shape, read_rows

from .conftest import LAYOUTS, SAMPLES, STATES


def mapped(state: str) -> list[tuple[PersonRecord, list[str]]]:
    path = SAMPLES / f"{state}.csv"
    shape = detect_shape(path)
    mapper = RowMapper(load_mapping(state), shape)
    return [mapper(row.cells) for row in read_rows(path, shape)]


# ---------------------------------------------------------------- the eight state presets


@pytest.mark.parametrize("state", STATES)
def test_every_row_of_each_state_sample_maps_with_a_name_and_an_address(state):
    results = mapped(state)
    assert len(results) == (2 if state == "ok" else 100)
    assert [problems for _record, problems in results if problems] == []
    for record, _problems in results:
        assert all((record.last_name, record.line1, record.city, record.external_id)), record
        assert record.districts.get("precinct"), record
    # The samples leave some first names blank (half of Utah's): the last name is the name.
    assert any(record.first_name for record, _problems in results)


# The first row of each sample, as the preset maps it.
FIRST_ROWS = {
    "nc": {
        "external_id": "DU994065", "first_name": "Mason", "middle_name": "Jason", "last_name": "Landry",
        "suffix": "MD", "line1": "795 Johnson Club Apt. 394", "city": "North Felicia", "region": "NC",
        "postcode": "46984", "gender": "Male",
        "districts": {"county": "JONESTOWN", "precinct": "1/7", "ward": "5", "congressional": "6",
                   "state_house": "89", "county_commission": "CM03"},
        "custom": {"party": "LIB", "registration_date": "1977-02-26", "voter_status": "INACTIVE"},
    },
    "fl": {
        "external_id": "8143586746", "first_name": "Anthony", "middle_name": "David", "last_name": "Gross",
        "suffix": "MD", "line1": "3784 Jared Brooks", "city": "Port Emilyview", "postcode": "32019",
        "birth_date": date(2009, 11, 13), "birth_year": 2009, "email": "wilcoxpaul@page.net",
        "districts": {"county": "ALA", "precinct": "16", "congressional": "4", "state_house": "120",
                   "state_senate": "29", "county_commission": "21", "school": "100"},
        "custom": {"registration_date": "1974-12-06", "voter_status": "INA"},
    },
    "oh": {
        "external_id": "OH0000241161", "first_name": "Amanda", "middle_name": "Glenn", "last_name": "Miller",
        "line1": "40689 Beasley Passage", "line2": "Suite 704", "city": "South Kelseyville",
        "region": "OH", "postcode": "48498-8717", "country": "US", "birth_date": date(2008, 6, 22),
        "districts": {"county": "84", "precinct": "EAST ELIZABETH", "ward": "JULIELAND",
                   "congressional": "84", "state_senate": "47", "state_house": "46"},
    },
    "ny": {
        "external_id": "NY000000000516239749", "first_name": "Christopher", "last_name": "White",
        "line1": "5500 N Julie Greens", "city": "Cobbmouth", "postcode": "36651-2560",
        "birth_date": date(2000, 5, 24), "gender": "Female",
        "districts": {"county": "43", "precinct": "19", "ward": "23", "congressional": "23",
                   "state_senate": "71", "state_house": "85", "municipality": "Annfort"},
    },
    "nj": {
        "external_id": "430243410", "first_name": "Valerie", "last_name": "Steele",
        "line1": "62882 NE SW Marcus Prairie", "line2": "A", "city": "Bradleyfurt", "postcode": "94504",
        "birth_date": date(1979, 1, 13),
        "districts": {"county": "WARREN", "ward": "04", "precinct": "01", "congressional": "4",
                   "state_senate": "2", "state_house": "2"},
    },
    "de": {
        "external_id": "9473764", "first_name": "Paul", "middle_name": "Q", "last_name": "Myers",
        "suffix": "II", "birth_year": 1914, "line1": "19770 Nicolas Underpass", "line2": "Suite 247",
        "city": "Lake Jason", "districts": {"county": "K", "precinct": "09", "state_house": "63",
                                      "state_senate": "72", "school": "SX"},
    },
    "ut": {
        "external_id": "85970", "first_name": "Hannah", "last_name": "Macias", "suffix": "DVM",
        "birth_date": None, "line1": "6905 1/2 S Heidi Plaza", "line2": "123", "city": "North Nicoletown",
        "postcode": "63760", "districts": {"county": "Salt Lake", "precinct": "41", "state_house": "16"},
        "custom": {"party": "Constitution", "voter_status": "Active"},
    },
    "ok": {
        "external_id": "700000000", "first_name": "Fake", "last_name": "Testing",
        "line1": "1234 Main St", "city": "Testcity", "postcode": "12345", "birth_date": date(1988, 3, 28),
        "districts": {"precinct": "770102", "municipality": "TEST CITY AT LARGE",
                   "school": "TEST SCHOOLS AT LARGE", "county_commission": "3"},
        "custom": {"party": "DEM", "registration_date": "2008-08-02", "voter_status": "A"},
    },
}  # fmt: skip


@pytest.mark.parametrize("state", STATES)
def test_the_first_row_of_each_state_sample_maps_to_these_fields(state):
    record, problems = mapped(state)[0]
    assert problems == []
    for name, value in FIRST_ROWS[state].items():
        if name == "districts":
            assert {k: record.districts.get(k) for k in value} == value
        else:
            assert getattr(record, name) == value, name


@pytest.mark.parametrize("state", STATES)
def test_guess_mapping_picks_each_states_preset(state):
    shape = detect_shape(SAMPLES / f"{state}.csv")
    guessed = guess_mapping(shape)
    preset = PRESETS[state].mapping
    assert guessed.id_system == "voter"
    assert guessed.date_order == preset.date_order
    assert set(guessed.columns) <= set(preset.columns)
    assert {"last_name", "first_name", "line1", "external_id"} <= set(guessed.columns)


def test_the_nc_preset_reads_the_2022_layout_and_the_older_one():
    layout = (LAYOUTS / "NC_layout_ncvoter_2022.txt").read_text(encoding="latin-1")
    current = layout.split("Previous file layout")[0]
    names = re.findall(r"^([a-z_0-9]+)\s+(?:int|varchar|char|varvarchar)", current, re.M)
    shape = FileShape("csv", "utf-8", "\t", True, names)
    mapper = RowMapper(load_mapping("nc"), shape)
    assert mapper.missing == []
    assert mapper.absent_optional == ["name_prefx_cd"]
    cells = [""] * len(names)
    for name, value in {"ncid": "AA1", "last_name": "O'BRIEN", "first_name": "ANN",
                        "birth_year": "1961", "res_street_address": "12 1ST ST NE",
                        "ward_abbrv": "W2", "nc_senate_abbrv": "14"}.items():  # fmt: skip
        cells[names.index(name)] = value
    record, problems = mapper(cells)
    assert problems == []
    assert (record.last_name, record.birth_year, record.line1) == ("O'Brien", 1961, "12 1st St NE")
    assert record.districts == {"ward": "W2", "state_senate": "14"}
    nc_sample = RowMapper(load_mapping("nc"), detect_shape(SAMPLES / "nc.csv"))
    assert (nc_sample.missing, nc_sample.absent_optional) == ([], ["birth_year"])


def test_the_nc_presets_columns_are_the_layouts_names_within_its_lengths():
    layout = (LAYOUTS / "NC_layout_ncvoter_2022.txt").read_text(encoding="latin-1")
    names = set(re.findall(r"^([a-z_0-9]+)\s+", layout, re.M))
    assert set(PRESETS["nc"].mapping.sources) <= names


def test_the_fl_preset_follows_the_layout_document():
    import docx

    document = docx.Document(str(LAYOUTS / "FL_voter_extract_layout.docx"))
    table = next(t for t in document.tables if "Voter ID" in t.rows[3].cells[1].text)
    fields = {int(r.cells[0].text): r.cells[1].text.strip() for r in table.rows[2:40]}
    columns = PRESETS["fl"].mapping.columns
    assert fields[2] == "Voter ID"
    assert columns["external_id"] == ["Column 2"]
    assert fields[3] == "Name Last"
    assert columns["last_name"] == ["Column 3"]
    assert fields[5] == "Name First"
    assert columns["first_name"] == ["Column 5"]
    assert fields[22] == "Birth Date"
    assert columns["birth_date"] == ["Column 22"]
    assert fields[30] == "Congressional District"
    assert columns["district:congressional"] == ["Column 30"]
    assert fields[38] == "Email address"
    assert columns["email"] == ["Column 38"]
    assert len(fields) == PRESETS["fl"].shape_hint["columns"] == 38


def test_every_preset_maps_only_known_targets():
    for preset in PRESETS.values():
        assert all(is_target(t) for t in preset.mapping.columns), preset.key
    assert set(PRESETS) == {*STATES, "generic"}


# ---------------------------------------------------------------- guessing from header names


def test_a_generic_file_is_mapped_from_common_header_names():
    shape = FileShape("csv", "utf-8", ",", True, [
        "First Name", "Last Name", "E-mail", "Cell Phone", "Street Address", "Apt", "City",
        "State", "ZIP", "DOB", "Party", "Notes",
    ])  # fmt: skip
    assert guess_mapping(shape).columns == {
        "first_name": ["First Name"], "last_name": ["Last Name"], "email": ["E-mail"],
        "phone": ["Cell Phone"], "line1": ["Street Address"], "line2": ["Apt"],
        "city": ["City"], "region": ["State"], "postcode": ["ZIP"], "birth_date": ["DOB"],
        "custom:party": ["Party"],
    }  # fmt: skip


def test_a_house_number_column_goes_before_the_street():
    shape = FileShape("csv", "utf-8", ",", True, ["surname", "street_number", "address_1"])
    assert guess_mapping(shape).columns["line1"] == ["street_number", "address_1"]


def test_a_name_column_is_a_full_name_only_without_first_and_last():
    assert guess_mapping(FileShape("csv", "utf-8", ",", True, ["Name", "Email"])).columns == {
        "full_name": ["Name"],
        "email": ["Email"],
    }


def test_an_unknown_headerless_file_gets_an_empty_mapping():
    shape = FileShape("csv", "utf-8", ",", False, ["Column 1", "Column 2", "Column 3"])
    assert guess_mapping(shape).columns == {}


# ---------------------------------------------------------------- Mapping in and out


def test_a_mapping_round_trips_through_a_dict_and_a_json_file(tmp_path):
    mapping = Mapping(
        {"last_name": ["Last"], "line1": ["No", "Street"], "district:ward": ["Ward"]},
        id_system="civicrm",
        date_order="DMY",
    )
    assert Mapping.from_dict(mapping.to_dict()) == mapping
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(mapping.to_dict()))
    assert load_mapping(str(path)) == mapping


def test_load_mapping_gives_a_copy_of_a_preset():
    mapping = load_mapping("nc")
    mapping.columns["last_name"].append("x")
    assert load_mapping("nc").columns["last_name"] == ["last_name"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"columns": {"shoe_size": ["Shoe"]}}, "not a field"),
        ({"columns": {"district:Bad Slug": ["W"]}}, "not a field"),
        ({"columns": {"last_name": [3]}}, "list of names"),
        ({"columns": ["last_name"]}, "must map"),
        ({"columns": {}, "date_order": "QQQ"}, "not a date order"),
        ({"columns": {}, "id_system": "x" * 51}, "50 characters"),
        ("nope", "must be an object"),
    ],
)
def test_a_bad_mapping_is_refused_with_a_message(data, message):
    with pytest.raises(MappingError, match=message):
        Mapping.from_dict(data)


def test_a_single_source_may_be_given_as_a_string():
    assert Mapping.from_dict({"columns": {"email": "Email"}}).columns == {"email": ["Email"]}


def test_load_mapping_names_the_presets_when_nothing_matches(tmp_path):
    with pytest.raises(MappingError, match="nc, fl"):
        load_mapping("texas")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(MappingError, match="could not be read"):
        load_mapping(str(bad))


def test_targets_include_the_district_and_custom_families():
    assert {"line1", "postcode", "district:ward", "district:state_house", "custom:party"} <= set(
        TARGETS
    )
    assert is_target("district:school_board")
    assert is_target("custom:favourite_color")
    assert not is_target("district:")
    assert not is_target("email2")


# ---------------------------------------------------------------- normalization


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("MCDONALD", "McDonald"),
        ("O'BRIEN", "O'Brien"),
        ("SMITH-JONES", "Smith-Jones"),
        ("MARY  ANN", "Mary Ann"),
        ("de la cruz", "De La Cruz"),
        ("McDonald", "McDonald"),
        ("DeShawn", "DeShawn"),
        ("JOHN III", "John III"),
        ("ÉLODIE", "Élodie"),
    ],
)
def test_names_in_one_case_become_title_case_and_mixed_case_is_kept(raw, clean):
    assert normalize_name(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("123 1ST ST NE", "123 1st St NE"),
        ("PO BOX 12", "PO Box 12"),
        ("4 MCKINLEY AVE APT 4B", "4 McKinley Ave Apt 4B"),
        ("12 Main St", "12 Main St"),
    ],
)
def test_street_lines_in_capitals_become_title_case(raw, clean):
    assert normalize_address(raw) == clean


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        ("03/28/1988", "", date(1988, 3, 28)),
        ("3/8/1988", "", date(1988, 3, 8)),
        ("28/03/1988", "", date(1988, 3, 28)),
        ("03/04/1988", "DMY", date(1988, 4, 3)),
        ("19880328", "", date(1988, 3, 28)),
        ("03281988", "MDY", date(1988, 3, 28)),
        ("1988-03-28", "", date(1988, 3, 28)),
        ("1988-03-28 00:00:00", "", date(1988, 3, 28)),
        ("3/28/1988 12:00:00 AM", "", date(1988, 3, 28)),
        ("3/28/88", "", date(1988, 3, 28)),
        ("3/28/05", "", date(2005, 3, 28)),
        ("12:00:00 AM", "", None),
        ("", "", None),
    ],
)
def test_dates_in_the_usual_shapes(raw, order, expected):
    assert parse_date(raw, order, today=date(2025, 6, 1)) == expected


@pytest.mark.parametrize("raw", ["13/45/1990", "02/30/2001", "19960300", "yesterday", "1/2/345"])
def test_what_is_not_a_date_raises_value_error(raw):
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError: the caller words it
        parse_date(raw)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(202) 555-0123", "+12025550123"),
        ("202.555.0123 x45", "+12025550123"),
        ("1-202-555-0123", "+12025550123"),
        ("+44 20 7946 0958", "+442079460958"),
        ("042.749.4903", ""),
        ("6770809", ""),
        ("call me", ""),
    ],
)
def test_phones_become_e164_or_nothing(raw, e164):
    assert normalize_phone(raw) == e164


def test_a_phone_of_another_default_region():
    assert normalize_phone("020 7946 0958", "GB") == "+442079460958"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("275141234", "27514-1234"), ("27514 1234", "27514-1234"), ("2134", "02134"),
     ("27514-0000", "27514"), ("27514", "27514"), ("sw1a 1aa", "SW1A 1AA")],
)  # fmt: skip
def test_us_zip_codes_are_tidied(raw, clean):
    assert normalize_postcode(raw) == clean


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("Ana María Díaz", ("", "Ana", "María", "Díaz", "")),
        ("Dr. Martin Luther King Jr.", ("Dr.", "Martin", "Luther", "King", "Jr.")),
        ("Díaz, Ana M.", ("", "Ana", "M.", "Díaz", "")),
        ("Ludwig van Beethoven", ("", "Ludwig", "", "van Beethoven", "")),
        ("Cher", ("", "", "", "Cher", "")),
    ],
)
def test_a_full_name_splits_into_its_parts(raw, parts):
    assert split_full_name(raw) == parts


# ---------------------------------------------------------------- RowMapper


def mapper_for(columns: list[str], mapping: dict, *, header: bool = True, **kw) -> RowMapper:
    shape = FileShape("csv", "utf-8", ",", header, columns)
    return RowMapper(Mapping.from_dict({"columns": mapping, **kw}), shape)


def test_a_full_name_fills_first_middle_and_last_when_they_are_not_mapped():
    mapper = mapper_for(["Name", "Email"], {"full_name": ["Name"], "email": ["Email"]})
    record, problems = mapper(["MS. ANA MARIA DIAZ", "Ana@Example.ORG"])
    assert problems == []
    assert (record.prefix, record.first_name, record.middle_name, record.last_name) == (
        "Ms.", "Ana", "Maria", "Diaz",
    )  # fmt: skip
    assert record.email == "ana@example.org"


def test_several_columns_are_joined_with_a_space_skipping_blank_ones():
    mapper = mapper_for(
        ["Last", "No", "Dir", "Street"], {"last_name": ["Last"], "line1": ["No", "Dir", "Street"]}
    )
    assert mapper(["Lee", "12", " ", "MAIN ST"])[0].line1 == "12 Main St"


def test_a_bad_email_is_a_problem_of_the_row():
    mapper = mapper_for(["Last", "Email"], {"last_name": ["Last"], "email": ["Email"]})
    record, problems = mapper(["Lee", "lee@@example"])
    assert problems == ["Email “lee@@example” is not an email address."]
    assert record.email == ""


def test_of_two_emails_the_first_is_kept_with_a_warning():
    mapper = mapper_for(["Last", "Email"], {"last_name": ["Last"], "email": ["Email"]})
    record, problems = mapper(["Lee", "a@x.org; b@y.org"])
    assert (record.email, problems) == ("a@x.org", [])
    assert record.warnings == ["Only the first email of “a@x.org; b@y.org” was kept."]


def test_a_bad_phone_is_left_out_with_a_warning_not_a_failure():
    mapper = mapper_for(["Last", "Phone"], {"last_name": ["Last"], "phone": ["Phone"]})
    record, problems = mapper(["Lee", "555-12"])
    assert (record.phone, problems) == ("", [])
    assert record.warnings == ["Phone “555-12” is not a phone number; left out."]


def test_a_bad_or_impossible_birth_date_is_a_problem():
    mapper = mapper_for(["Last", "DOB"], {"last_name": ["Last"], "birth_date": ["DOB"]})
    assert mapper(["Lee", "13/45/1990"])[1] == ["Date of birth “13/45/1990” is not a date."]
    assert mapper(["Lee", "01/01/2999"])[1] == [
        "Date of birth “01/01/2999” is not a possible date of birth."
    ]
    record, problems = mapper(["Lee", "7/4/1976"])
    assert (record.birth_date, record.birth_year, problems) == (date(1976, 7, 4), 1976, [])


def test_the_mappings_date_order_settles_ambiguous_dates():
    mapper = mapper_for(
        ["Last", "DOB"], {"last_name": ["Last"], "birth_date": ["DOB"]}, date_order="DMY"
    )
    assert mapper(["Lee", "04/07/1976"])[0].birth_date == date(1976, 7, 4)


def test_a_birth_year_column_is_checked():
    mapper = mapper_for(["Last", "Year"], {"last_name": ["Last"], "birth_year": ["Year"]})
    assert mapper(["Lee", "1950"])[0].birth_year == 1950
    assert mapper(["Lee", "0000"]) == (PersonRecord(last_name="Lee"), [])
    assert mapper(["Lee", "1850"])[1] == ["Birth year “1850” is not a year between 1880 and today."]


def test_a_row_without_name_id_or_email_fails():
    mapper = mapper_for(["Last", "City"], {"last_name": ["Last"], "city": ["City"]})
    assert mapper(["", "Austin"])[1] == ["The row has no name, id or email."]


def test_an_external_id_alone_is_enough():
    mapper = mapper_for(["Id", "Last"], {"external_id": ["Id"], "last_name": ["Last"]})
    assert mapper(["V123", ""]) == (PersonRecord(external_id="V123"), [])


def test_a_column_the_file_lacks_fails_every_row_with_its_name():
    mapper = mapper_for(["Last"], {"last_name": ["Last"], "email": ["Email"]})
    assert mapper.missing == ["Email"]
    assert mapper(["Lee"])[1] == ["The file has no column “Email”, which the mapping names."]


def test_a_short_row_is_a_problem_and_a_long_one_too_when_the_extra_cells_hold_values():
    mapper = mapper_for(["Last", "First", "City"], {"last_name": ["Last"], "city": ["City"]})
    assert mapper(["Lee", "Bo"])[1] == ["This row has 2 columns; the mapping reads column 3."]
    assert mapper(["Lee", "Bo", "Waco", "", " "])[1] == []
    assert mapper(["Lee", "Bo", "Waco", "TX"])[1] == [
        "This row has 4 values where the file has 3 columns (a delimiter inside a value?)."
    ]


def test_values_too_long_for_the_person_fields_are_problems():
    mapper = mapper_for(
        ["Last", "Suffix", "Zip"],
        {"last_name": ["Last"], "suffix": ["Suffix"], "postcode": ["Zip"]},
    )
    _record, problems = mapper(["L" * 101, "S" * 21, "9" * 21])
    assert problems == [
        "The last name is longer than 100 characters.",
        "The suffix is longer than 20 characters.",
        "The ZIP code is longer than 20 characters.",
    ]


def test_positional_columns_and_case_insensitive_headers_are_found():
    mapper = mapper_for(["LAST", "first"], {"last_name": ["last"], "first_name": ["Column 2"]})
    assert mapper.missing == []
    record = mapper(["LEE", "BO"])[0]
    assert (record.last_name, record.first_name) == ("Lee", "Bo")


def test_gender_language_country_and_state_are_tidied():
    mapper = mapper_for(
        ["Last", "Sex", "Lang", "Country", "State"],
        {"last_name": ["Last"], "gender": ["Sex"], "language": ["Lang"],
         "country": ["Country"], "region": ["State"]},
    )  # fmt: skip
    record, problems = mapper(["Lee", "F", "Spanish", "USA", "north carolina"])
    assert problems == []
    assert (record.gender, record.language, record.country, record.region) == (
        "Female", "es", "US", "NC",
    )  # fmt: skip
    record, _ = mapper(["Lee", "U", "", "Narnia", "tx"])
    assert (record.gender, record.country, record.region) == ("", "", "TX")
    assert record.warnings == ["Country “Narnia” is not a two-letter code; left out."]


def test_custom_dates_are_stored_in_iso_format_when_they_read_as_dates():
    mapper = mapper_for(
        ["Last", "Reg", "Party"],
        {"last_name": ["Last"], "custom:registration_date": ["Reg"], "custom:party": ["Party"]},
    )
    assert mapper(["Lee", "02/26/1977", "DEM"])[0].custom == {
        "registration_date": "1977-02-26",
        "party": "DEM",
    }
    assert mapper(["Lee", "19960300", ""])[0].custom == {"registration_date": "19960300"}
    assert mapper(["Lee", "12:00:00 AM", ""])[0].custom == {}


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.text(max_size=40), min_size=0, max_size=8))
def test_the_row_mapper_never_raises_on_any_cells(cells):
    mapping = {
        "full_name": ["a"], "birth_date": ["b"], "birth_year": ["c"], "email": ["d"],
        "phone": ["e"], "postcode": ["f"], "country": ["g"], "district:ward": ["h"],
        "custom:registration_date": ["b"], "line1": ["a", "h"], "gender": ["c"],
    }  # fmt: skip
    mapper = mapper_for(list("abcdefgh"), mapping)
    record, problems = mapper(cells)
    assert isinstance(record, PersonRecord)
    assert all(isinstance(p, str) and p for p in problems)
    if record.phone:
        assert record.phone.startswith("+")
        assert len(record.phone) <= 16
    if record.email:
        assert record.email == record.email.lower()
