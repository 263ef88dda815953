"""The duplicate-detection engine: quality floors on labelled sets, the comparisons people rely
on (nicknames, swapped names), explanations, calibration and determinism. No database."""

import io
import math
import random
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from civicdesk.dedupe import engine
from civicdesk.dedupe.engine import blocking
from civicdesk.dedupe.engine.compare import FIELDS
from civicdesk.dedupe.engine.table import Table
from civicdesk.dedupe.evaluate import EvaluationError, evaluate
from civicdesk.tabular.mapping import PersonRecord

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data" / "record-linkage"
LINKAGE = REPO / "bench" / "linkage"
LAST_LINE = re.compile(r"^precision=\d\.\d{3} recall=\d\.\d{3} f1=\d\.\d{3}$")

FIRST = ["james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda",
         "david", "elizabeth", "william", "barbara", "richard", "susan", "joseph", "jessica"]  # fmt: skip
SYLLABLES = ["ka", "lo", "mi", "ne", "sa", "to", "ru", "vi", "de", "ba", "go", "fe", "zo"]


STREETS = ["oak", "maple", "cedar", "elm", "pine", "lake", "hill", "park", "view", "ridge",
           "river", "spring", "church", "mill", "school", "market", "union", "grove"]  # fmt: skip


def distinct_people(count: int, seed: int) -> list[engine.Record]:
    """`count` different people: no two share a surname, and each has their own birth date,
    email, phone and address."""
    rng = random.Random(seed)
    surnames: set[str] = set()
    while len(surnames) < count:
        surnames.add("".join(rng.choices(SYLLABLES, k=4)))
    people = []
    for number, last in enumerate(sorted(surnames)):
        first = rng.choice(FIRST)
        born = date.fromordinal(date(1940, 1, 1).toordinal() + rng.randrange(25_000))
        people.append(
            engine.Record(
                id=number, first_name=first, last_name=last, birth_date=born.isoformat(),
                birth_year=born.year, emails=(f"{first}.{last}@example.com",),
                phones=(f"{rng.randrange(201, 990)}{rng.randrange(10**6, 10**7)}",),
                line1=f"{rng.randrange(1, 9999)} {rng.choice(STREETS)} street",
                city="washington", postcode=f"200{rng.randrange(10, 60)}",
            )
        )  # fmt: skip
    return people


def with_copies(people: list[engine.Record], copies: dict[int, dict]) -> list[engine.Record]:
    """The people plus, for each index in `copies`, a second record with those changes."""
    out = list(people)
    for index, changes in copies.items():
        source = people[index]
        values = {slot: getattr(source, slot) for slot in engine.Record.__slots__}
        out.append(engine.Record(**{**values, "id": f"copy-{index}", **changes}))
    return out


def found(pairs: list[engine.Pair]) -> set[tuple[str, str]]:
    return {(str(p.a), str(p.b)) for p in pairs}


# ---------------------------------------------------------------- quality floors


def test_febrl_1_reaches_the_issue_target():
    out = io.StringIO()
    scores = evaluate(
        DATA / "febrl" / "dataset1.csv", DATA / "febrl" / "true_matches_dataset1.csv",
        LINKAGE / "febrl.json", out=out,
    )  # fmt: skip
    assert scores.records == 1000
    assert scores.true_pairs == 500
    assert scores.f1 >= 0.99


def test_splink_fake_1000_reaches_the_issue_target(tmp_path):
    truth = tmp_path / "pairs.csv"
    clusters: dict[str, list[str]] = {}
    lines = (DATA / "splink-fake-1000" / "fake_1000.csv").read_text().splitlines()[1:]
    for line in lines:
        cells = line.split(",")
        clusters.setdefault(cells[-1], []).append(cells[0])
    truth.write_text(
        "unique_id_l,unique_id_r\n"
        + "".join(
            f"{a},{b}\n"
            for ids in clusters.values()
            for i, a in enumerate(ids)
            for b in ids[i + 1 :]
        )
    )
    scores = evaluate(
        DATA / "splink-fake-1000" / "fake_1000.csv", truth,
        LINKAGE / "splink_fake_1000.json", out=io.StringIO(),
    )  # fmt: skip
    assert scores.true_pairs == 2031
    assert scores.f1 >= 0.91


# ---------------------------------------------------------------- comparisons


def test_a_nickname_agrees_with_the_full_first_name():
    model = engine.Model.default()
    bill = engine.Record(id=1, first_name="Bill", last_name="Harrington", birth_date="1960-03-04")
    william = engine.Record(id=2, first_name="William", last_name="Harrington",
                            birth_date="1960-03-04")  # fmt: skip
    bob = engine.Record(id=3, first_name="Bob", last_name="Harrington", birth_date="1960-03-04")

    first_name = {f.field: f for f in engine.compare(bill, william, model).fields}["first_name"]
    assert first_name.level == "nickname"
    assert first_name.weight > 0
    other = {f.field: f for f in engine.compare(bill, bob, model).fields}["first_name"]
    assert other.level == "different"
    assert other.weight < 0


def test_first_and_last_names_swapped_are_recognised():
    model = engine.Model.default()
    straight = engine.Record(id="a", first_name="Isla", last_name="Hall", birth_date="1985-02-07",
                             emails=("isla@example.com",))  # fmt: skip
    swapped = engine.Record(id="b", first_name="Hall", last_name="Isla", birth_date="1985-02-07",
                            emails=("isla@example.com",))  # fmt: skip

    pair = engine.compare(straight, swapped, model)
    levels = {f.field: f.level for f in pair.fields}
    assert levels["first_name"] == "exact (first and last names swapped)"
    assert levels["last_name"] == "exact (first and last names swapped)"
    assert pair.probability > 0.99


def test_typos_and_a_moved_address_still_match_in_a_crowd():
    people = distinct_people(3000, seed=1)
    records = with_copies(people, {
        10: {"first_name": "Jmaes", "line1": "99 Elsewhere Road", "postcode": "30301"},
        20: {"last_name": people[20].last_name + "e", "emails": (), "phones": ()},
        30: {"birth_date": "", "birth_year": None, "first_name": "Bill"
             if people[30].first_name == "william" else people[30].first_name},
    })  # fmt: skip

    pairs = found(engine.find_pairs(records))
    assert {("10", "copy-10"), ("20", "copy-20"), ("30", "copy-30")} <= pairs


def test_every_field_is_explained_and_the_weights_add_up_to_the_probability():
    people = distinct_people(2000, seed=2)
    records = with_copies(people, {5: {"first_name": "Jon", "phones": ()}})
    pairs = engine.find_pairs(records)
    pair = next(p for p in pairs if {str(p.a), str(p.b)} == {"5", "copy-5"})

    assert [f.field for f in pair.fields] == ["prior", *FIELDS]
    assert all(f.level for f in pair.fields)
    log_odds = math.log2(pair.probability / (1 - pair.probability))
    assert sum(f.weight for f in pair.fields) == pytest.approx(log_odds, abs=1e-6)
    by_field = {f.field: f for f in pair.fields}
    assert by_field["phone"].level == "missing"
    assert by_field["phone"].weight == 0
    assert by_field["birth_date"].level.startswith("exact")


# ---------------------------------------------------------------- calibration


def test_distinct_people_are_almost_never_paired():
    records = distinct_people(6000, seed=3)

    pairs = engine.find_pairs(records)
    assert len(pairs) <= len(records) // 500


def test_the_prior_falls_as_the_data_grows():
    small = engine.learn(
        with_copies(distinct_people(1500, seed=4), {k: {} for k in range(0, 300, 5)})
    )
    large = engine.learn(
        with_copies(distinct_people(6000, seed=4), {k: {} for k in range(0, 1200, 5)})
    )

    # About one duplicate per 25 people in both, so the prior is about 4 times smaller.
    assert 2.5 < small.prior / large.prior < 6
    assert small.prior_for(6000) == pytest.approx(small.prior * (small.n_records - 1) / 5999)


def test_the_same_records_give_the_same_pairs():
    records = with_copies(
        distinct_people(2500, seed=5), {k: {"first_name": "x"} for k in range(0, 100, 7)}
    )

    first = engine.find_pairs(records)
    second = engine.find_pairs(list(records))
    assert [(p.a, p.b, p.probability) for p in first] == [(p.a, p.b, p.probability) for p in second]
    assert [p.fields for p in first] == [p.fields for p in second]
    model, third = engine.scan(records)
    assert model.learned
    assert [(p.a, p.b, p.probability) for p in third] == [(p.a, p.b, p.probability) for p in first]


def test_a_learned_model_survives_to_dict_and_scores_the_same():
    records = with_copies(
        distinct_people(2000, seed=6), {k: {"phones": ()} for k in range(0, 200, 9)}
    )
    model = engine.learn(records)
    restored = engine.Model.from_dict(model.to_dict())

    original = engine.compare(records[9], records[-1], model)
    again = engine.compare(records[9], records[-1], restored)
    assert again.probability == pytest.approx(original.probability)
    assert [f.level for f in again.fields] == [f.level for f in original.fields]


def test_rank_candidates_returns_the_likely_ones_best_first():
    model = engine.Model.default()
    new = engine.Record(id=None, first_name="Maria", last_name="Gonzalez", birth_date="1971-05-02",
                        emails=("maria.g@example.com",))  # fmt: skip
    exact = engine.Record(id=7, first_name="Maria", last_name="Gonzalez", birth_date="1971-05-02",
                          emails=("maria.g@example.com",))  # fmt: skip
    close = engine.Record(id=8, first_name="Mara", last_name="Gonzales", birth_date="1971-05-02")
    stranger = engine.Record(id=9, first_name="Tom", last_name="Baker", birth_date="1950-01-01")

    ranked = engine.rank_candidates(new, [stranger, close, exact], model)
    assert [p.b if p.a is None or str(p.a) == "None" else p.a for p in ranked] == [7, 8]
    assert ranked[0].probability >= ranked[1].probability >= engine.SHIPPED_THRESHOLD
    assert engine.rank_candidates(new, [], model) == []


# ---------------------------------------------------------------- blocking and records


def test_records_that_share_a_blocking_key_are_compared(monkeypatch):
    monkeypatch.setattr(blocking, "ALL_PAIRS_UP_TO", 0)
    records = with_copies(distinct_people(400, seed=7), {
        1: {"last_name": "Zzyzx", "first_name": "Quentin"},  # only the email, phone, dob...
        2: {"emails": (), "phones": (), "birth_date": "", "birth_year": None},
    })  # fmt: skip
    table = Table(records)
    left, right = blocking.candidate_pairs(table)
    compared = set(zip(left.tolist(), right.tolist(), strict=True))
    keys = [set(engine.blocking_keys(record)) for record in records]
    for i in range(len(records)):
        for j in range(i + 1, len(records)):
            if keys[i] & keys[j]:
                assert (i, j) in compared, (records[i], records[j], keys[i] & keys[j])


def test_blocking_keys_name_the_passes():
    record = engine.record_from_values({
        "id": 1, "first_name": "Robert", "last_name": "O'Brien", "birth_date": date(1970, 1, 2),
        "emails": ["Rob@Example.com"], "phones": ["+12025550123"],
        "addresses": [("12 North Main Street", "Springfield", "62701-1234")],
        "external_ids": ["voter:000123456"],
    })  # fmt: skip
    keys = engine.blocking_keys(record)
    assert "email:rob@example.com" in keys
    assert "phone:5550123" in keys  # the last 7 digits
    assert "dob:1970-01-02" in keys
    assert "xid:voter:000123456" in keys
    assert "ln_by:O165|1970" in keys
    assert "addr:12 ma|62701" in keys


def test_records_are_normalized_from_database_values_and_import_rows():
    from_values = engine.record_from_values({
        "id": 3, "first_name": "", "preferred_name": "Liz", "middle_name": "Ann",
        "last_name": "Núñez-Smith", "birth_date": None, "birth_year": 1980, "gender": "Female",
        "emails": ["LIZ@EXAMPLE.COM", "liz@example.com"], "phones": ["+1 (202) 555-0100"],
        "addresses": [], "external_ids": [],
    })  # fmt: skip
    assert (from_values.first_name, from_values.last_name) == ("liz", "nunez smith")
    assert (from_values.birth_date, from_values.birth_year, from_values.gender) == ("", 1980, "f")
    assert from_values.emails == ("liz@example.com",)
    assert from_values.phones == ("12025550100",)

    row = PersonRecord(external_id="A-17", first_name="José", last_name="García",
                       birth_date=date(1990, 7, 1), email="jose@example.com",
                       phone="+12025550199", line1="5 West Avenue", postcode="20001")  # fmt: skip
    from_row = engine.record_from_person_record("row-1", row)
    assert from_row.first_name == "jose"
    assert from_row.birth_date == "1990-07-01"
    assert from_row.line1 == "5 w ave"
    assert from_row.external_ids == ("import:a17",)


# ---------------------------------------------------------------- evaluate()


def test_evaluate_prints_scores_with_the_agreed_last_line(tmp_path):
    people = tmp_path / "people.csv"
    people.write_text(
        "pid,given,family,born,mail\n"
        "1,Robert,Allen,1971-06-24,rob@example.com\n"
        "2,Rob,Allen,1971-06-24,rob@example.com\n"
        "3,Grace,Kelly,1991-04-26,grace@example.com\n"
        "4,Tom,Baker,1950-01-01,\n"
    )
    truth = tmp_path / "truth.csv"
    truth.write_text("left,right\n1,2\n3,4\n")
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"columns": {"id": ["pid"], "first_name": ["given"], '
                       '"last_name": ["family"], "birth_date": ["born"], "email": ["mail"]}}')  # fmt: skip
    out = io.StringIO()

    scores = evaluate(people, truth, mapping, out=out)
    lines = out.getvalue().splitlines()
    assert LAST_LINE.match(lines[-1])
    assert lines[-1] == "precision=1.000 recall=0.500 f1=0.667"
    assert (scores.true_pairs, scores.found_pairs, scores.true_positives) == (2, 1, 1)


def test_evaluate_explains_a_mapping_without_the_id_column(tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("pid,given\n1,Ann\n")
    truth = tmp_path / "truth.csv"
    truth.write_text("1,1\n")
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"columns": {"id": ["person"], "first_name": ["given"]}}')

    with pytest.raises(EvaluationError, match="no column “person”"):
        evaluate(people, truth, mapping, out=io.StringIO())
    mapping.write_text("{not json")
    with pytest.raises(EvaluationError, match="could not be read"):
        evaluate(people, truth, mapping, out=io.StringIO())


def test_evaluate_refuses_an_empty_file(tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("")
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"columns": {"id": ["pid"]}}')

    with pytest.raises(EvaluationError):
        evaluate(people, tmp_path / "missing.csv", mapping, out=io.StringIO())


def test_scores_of_a_tiny_set_are_numbers():
    assert np.isfinite(engine.Model.default().prior)
    assert engine.find_pairs([]) == []
    assert engine.find_pairs([engine.Record(id=1, first_name="a")]) == []
