"""Comparison levels of pairs of records, field by field, computed on arrays of pairs at once.

Each field has ordered levels, from the strongest agreement to "different"; -1 is "missing"
(one side has no value: no evidence either way). String similarity is rapidfuzz's, run with
`process.cpdist` over all the pairs that need it (element-wise, in C, on all cores), and only
for pairs whose values are present and not identical: identical values are the same code.
"""

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from civicdesk.dedupe.engine.table import Table

__all__ = ["FIELDS", "TF_KINDS", "Levels", "compare_pairs"]

FIELDS: dict[str, tuple[str, ...]] = {
    "first_name": ("exact", "nickname", "typo", "similar", "initial only", "different"),
    "middle_name": ("exact", "initial", "different"),
    "last_name": ("exact", "typo", "one name within the other", "similar", "different"),
    "birth_date": (
        "exact",
        "one field off",
        "day and month swapped",
        "within a month",
        "within a year",
        "same year, no full date",
        "different",
    ),
    "gender": ("same", "different"),
    "email": ("exact", "same local part", "typo", "different"),
    "phone": ("exact", "same last 7 digits", "typo", "different"),
    "address": (
        "same address",
        "same address with a typo",
        "same street address, other postcode",
        "similar street address",
        "same postcode",
        "same city",
        "different",
    ),
    "external_id": ("exact", "typo", "different"),
}
FIELD_INDEX = {name: number for number, name in enumerate(FIELDS)}

# Term frequency: an agreement on a value is weighed by how common the value is. Kind ->
# (field, the level it applies to, the most a rare value may add in bits). Birth dates,
# address lines, phones and emails only lose weight (placeholder dates, big buildings, an
# organisation's switchboard, a family's shared email).
TF_KINDS: dict[str, tuple[str, int, float]] = {
    "first_name": ("first_name", 0, 6.0),
    "last_name": ("last_name", 0, 6.0),
    "birth_date": ("birth_date", 0, 0.0),
    "address_line": ("address", 0, 0.0),
    "postcode": ("address", 4, 4.0),
    "city": ("address", 5, 4.0),
    "phone": ("phone", 0, 0.0),
    "email": ("email", 0, 0.0),
}

TYPO_JW = 0.92  # Jaro-Winkler at or above this is a typo
SIMILAR_JW = 0.82
SIMILAR_ADDRESS = 70
TYPO_ADDRESS = 90
CITY_JW = 0.85
EMAIL_JW = 0.88
PARALLEL_FROM = 20_000  # cpdist with threads only for this many pairs or more
DISTINCT_FROM = 50_000  # look for repeated pairs of values from this many pairs on


@dataclass
class Levels:
    """The comparison of n pairs: levels[f, k] is field f's level for pair k (-1 missing);
    tf_codes[t, k] the code of the value agreed on for TF kind t (else -1), see Table.tf_column;
    swapped[k] when first and last names were compared crosswise."""

    levels: np.ndarray
    tf_codes: np.ndarray
    swapped: np.ndarray


def _similarity(
    scorer, strings: np.ndarray, a: np.ndarray, b: np.ndarray, cutoff: float | None = None
) -> np.ndarray:
    """scorer(strings[a[k]], strings[b[k]]) for every k; each distinct pair of values once
    when values repeat (first names, cities), as they do among many pairs."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.float32)
    if len(a) >= DISTINCT_FROM:
        keys = a.astype(np.int64) * len(strings) + b
        distinct, inverse = np.unique(keys, return_inverse=True)
        if len(distinct) * 2 < len(keys):
            values = _similarity(
                scorer, strings, (distinct // len(strings)).astype(np.int32),
                (distinct % len(strings)).astype(np.int32), cutoff,
            )  # fmt: skip
            return values[inverse]
    workers = -1 if len(a) >= PARALLEL_FROM else 1
    return process.cpdist(
        strings[a].tolist(), strings[b].tolist(), scorer=scorer, workers=workers,
        score_cutoff=cutoff,
    ).astype(np.float32)  # fmt: skip


def _jw(strings, a, b, cutoff: float = 0.5):
    """Jaro-Winkler similarity; 0 below `cutoff`."""
    return _similarity(JaroWinkler.normalized_similarity, strings, a, b, cutoff)


def _osa(strings, a, b, cutoff: int = 1):
    """Optimal string alignment distance; `cutoff` + 1 above `cutoff`."""
    return _similarity(OSA.distance, strings, a, b, cutoff)


def _typo(strings: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Jaro-Winkler, and whether each pair is a typo apart (JW >= TYPO_JW or one edit). The
    edit distance is computed only where JW is not conclusive."""
    jw = _jw(strings, a, b)
    typo = jw >= TYPO_JW
    unsure = np.flatnonzero(~typo & (jw >= 0.5))
    typo[unsure] = _osa(strings, a[unsure], b[unsure]) <= 1
    return jw, typo


def _one_edit_possible(ends: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """False where two strings cannot be one edit apart: a string of 6 or more characters
    keeps its first three or its last three through one edit. `ends` is the per-value
    (length, head code, tail code) array of table.ends()."""
    ea, eb = ends[a], ends[b]
    short = (ea[:, 0] < 6) | (eb[:, 0] < 6)
    return (np.abs(ea[:, 0] - eb[:, 0]) <= 1) & (
        short | (ea[:, 1] == eb[:, 1]) | (ea[:, 2] == eb[:, 2])
    )


def _base(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels with "exact" (0) and "missing" (-1) set, and the pairs still to be compared."""
    levels = np.full(len(a), -1, dtype=np.int8)
    both = (a >= 0) & (b >= 0)
    same = both & (a == b)
    levels[same] = 0
    return levels, np.flatnonzero(both & ~same)


def _first_name_levels(table: Table, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    levels, rest = _base(a, b)
    if not len(rest):
        return levels
    ga, gb = table.name_groups[a[rest]], table.name_groups[b[rest]]
    nickname = ((ga[:, :, None] == gb[:, None, :]) & (ga[:, :, None] >= 0)).any(axis=(1, 2))
    levels[rest[nickname]] = 1
    rest = rest[~nickname]
    one_letter = (table.name_lengths[a[rest]] == 1) | (table.name_lengths[b[rest]] == 1)
    initials = rest[one_letter]
    same_initial = table.name_initials[a[initials]] == table.name_initials[b[initials]]
    levels[initials] = np.where(same_initial, 4, 5)
    rest = rest[~one_letter]
    jw, typo = _typo(table.names, a[rest], b[rest])
    levels[rest] = np.select([typo, jw >= SIMILAR_JW], [2, 3], 5)
    return levels


def _last_name_levels(table: Table, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    levels, rest = _base(a, b)
    if not len(rest):
        return levels
    jw, typo = _typo(table.names, a[rest], b[rest])
    # Names of several words ("smith jones", an organisation's name): one within the other.
    words = np.flatnonzero(table.name_has_words[a[rest]] | table.name_has_words[b[rest]])
    tsr = np.zeros(len(rest), dtype=np.float32)
    tsr[words] = _similarity(fuzz.token_set_ratio, table.names, a[rest[words]],
                             b[rest[words]], SIMILAR_JW * 100) / 100  # fmt: skip
    levels[rest] = np.select(
        [typo, tsr >= 0.999, np.maximum(jw, tsr) >= SIMILAR_JW],
        [1, 2, 3],
        4,
    )
    return levels


def _middle_name_levels(table: Table, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    levels, rest = _base(a, b)
    same_initial = table.name_initials[a[rest]] == table.name_initials[b[rest]]
    one_letter = (table.name_lengths[a[rest]] == 1) | (table.name_lengths[b[rest]] == 1)
    levels[rest] = np.where(same_initial & one_letter, 1, 2)
    return levels


def _birth_date_levels(table: Table, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    ya, yb = table.year[i], table.year[j]
    ma, mb = table.month[i], table.month[j]
    da, db = table.day[i], table.day[j]
    full = (ma > 0) & (mb > 0)
    differing = (ya != yb).astype(np.int8) + (ma != mb) + (da != db)
    days = np.abs((ya - yb) * 365.25 + (ma - mb) * 30.44 + (da - db))
    levels = np.select(
        [
            full & (differing == 0),
            full & (differing == 1),
            full & (ya == yb) & (ma == db) & (da == mb),
            full & (days <= 31),
            full & (days <= 366),
            ~full & (ya == yb),
        ],
        [0, 1, 2, 3, 4, 5],
        6,
    ).astype(np.int8)
    levels[(ya == 0) | (yb == 0)] = -1
    return levels


def _gender_levels(table: Table, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    levels, rest = _base(table.gender[i], table.gender[j])
    levels[rest] = 1
    return levels


def _multi_exact(multi, i: np.ndarray, j: np.ndarray, levels: np.ndarray) -> None:
    """Exact agreement on any value, for the pairs where a side has several values."""
    if not multi.others:
        return
    some = np.flatnonzero(multi.has_others[i] | multi.has_others[j])
    if not len(some):
        return
    a, b = multi.all_codes[i[some]], multi.all_codes[j[some]]
    shared = ((a[:, :, None] == b[:, None, :]) & (a[:, :, None] >= 0)).any(axis=(1, 2))
    levels[some[shared]] = 0


def _email_levels(table: Table, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    email = table.email
    levels, rest = _base(email.codes[i], email.codes[j])
    same_local = table.email_local[i[rest]] == table.email_local[j[rest]]
    levels[rest[same_local]] = 1
    rest = rest[~same_local]
    # A typo: alike (Jaro-Winkler) with the same numbers ("ann.lee71" and "ann.lee64" are
    # two people with one name, not a typo).
    ca, cb = email.codes[i[rest]], email.codes[j[rest]]
    same_numbers = np.flatnonzero(table.email_numbers[ca] == table.email_numbers[cb])
    typo = np.zeros(len(rest), dtype=bool)
    typo[same_numbers] = (
        _jw(email.strings, ca[same_numbers], cb[same_numbers], EMAIL_JW) >= EMAIL_JW
    )
    levels[rest] = np.where(typo, 2, 3)
    _multi_exact(email, i, j, levels)
    return levels


def _phone_levels(table: Table, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    phone = table.phone
    levels, rest = _base(phone.codes[i], phone.codes[j])
    same7 = table.phone7[i[rest]] == table.phone7[j[rest]]
    levels[rest[same7]] = 1
    rest = rest[~same7]
    ca, cb = phone.codes[i[rest]], phone.codes[j[rest]]
    maybe = np.flatnonzero(_one_edit_possible(phone.ends, ca, cb))
    levels[rest] = 3
    levels[rest[maybe]] = np.where(_osa(phone.strings, ca[maybe], cb[maybe]) <= 1, 2, 3)
    _multi_exact(phone, i, j, levels)
    return levels


def _address_levels(table: Table, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """One comparison for the whole address, so that a shared street, postcode and city are
    not counted three times (they go together, for duplicates and for neighbours alike)."""
    line, rest = _base(table.line1[i], table.line1[j])
    # Two house numbers more than one edit apart: another address, whatever the street.
    ha, hb = table.house[i[rest]], table.house[j[rest]]
    houses = np.flatnonzero((ha >= 0) & (hb >= 0) & (ha != hb))
    far = np.zeros(len(rest), dtype=bool)
    far[houses] = _osa(table.houses, ha[houses], hb[houses]) > 1
    line[rest[far]] = 3
    rest, ha, hb = rest[~far], ha[~far], hb[~far]
    tsr = _similarity(fuzz.token_set_ratio, table.lines, table.line1[i[rest]],
                      table.line1[j[rest]], SIMILAR_ADDRESS)  # fmt: skip
    other_house = (ha >= 0) & (hb >= 0) & (ha != hb)
    line[rest] = np.select(
        [(tsr >= TYPO_ADDRESS) & ~other_house, tsr >= SIMILAR_ADDRESS], [1, 2], 3
    )
    postcode, rest = _base(table.postcode[i], table.postcode[j])
    osa = _osa(table.postcodes, table.postcode[i[rest]], table.postcode[j[rest]])
    postcode[rest] = np.where(osa <= 1, 1, 2)
    city, rest = _base(table.city[i], table.city[j])
    jw = _jw(table.cities, table.city[i[rest]], table.city[j[rest]], CITY_JW)
    city[rest] = np.where(jw >= CITY_JW, 1, 2)
    other_area = (postcode == 2) | ((postcode < 0) & (city == 2))
    levels = np.select(
        [
            (line == 0) & ~other_area,
            (line == 1) & ~other_area,
            (line == 0) | (line == 1),
            (line == 2) & ~other_area,
            postcode >= 0,
            city >= 0,
        ],
        [0, 1, 2, 3, np.where(postcode <= 1, 4, 6), np.where(city <= 1, 5, 6)],
        -1,
    ).astype(np.int8)
    levels[(levels < 0) & (line >= 0)] = 6
    return levels


def _external_id_levels(table: Table, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    external = table.external
    levels, rest = _base(external.codes[i], external.codes[j])
    other_system = table.external_system[i[rest]] != table.external_system[j[rest]]
    levels[rest[other_system]] = -1
    rest = rest[~other_system]
    ca, cb = external.codes[i[rest]], external.codes[j[rest]]
    maybe = np.flatnonzero(_one_edit_possible(external.ends, ca, cb))
    levels[rest] = 2
    levels[rest[maybe]] = np.where(_osa(external.strings, ca[maybe], cb[maybe]) <= 1, 1, 2)
    _multi_exact(external, i, j, levels)
    return levels


def _swap_names(table: Table, i: np.ndarray, j: np.ndarray, first: np.ndarray, last: np.ndarray):
    """Compare first with last names crosswise where that agrees better ("hall isla" and
    "isla hall"); returns the pairs swapped. Only names whose initials match crosswise are
    tried (a swap and a typo in an initial together are too rare to pay for)."""
    fa, la, fb, lb = table.first[i], table.last[i], table.first[j], table.last[j]
    initials = table.name_initials
    suspect = np.flatnonzero(
        (fa >= 0) & (la >= 0) & (fb >= 0) & (lb >= 0) & ((first >= 3) | (last >= 3))
        & (initials[np.maximum(fa, 0)] == initials[np.maximum(lb, 0)])
        & (initials[np.maximum(la, 0)] == initials[np.maximum(fb, 0)])
    )  # fmt: skip
    if not len(suspect):
        return np.zeros(len(i), dtype=bool)
    cross_first = _first_name_levels(table, fa[suspect], lb[suspect])
    cross_last = _last_name_levels(table, la[suspect], fb[suspect])
    better = (cross_first <= 2) & (cross_last <= 1)
    swapped = np.zeros(len(i), dtype=bool)
    swapped[suspect[better]] = True
    first[suspect[better]] = cross_first[better]
    last[suspect[better]] = cross_last[better]
    return swapped


def compare_pairs(table: Table, i: np.ndarray, j: np.ndarray) -> Levels:
    """The levels of every field for the pairs (i[k], j[k]) of table rows."""
    first = _first_name_levels(table, table.first[i], table.first[j])
    last = _last_name_levels(table, table.last[i], table.last[j])
    swapped = _swap_names(table, i, j, first, last)
    columns = {
        "first_name": first,
        "middle_name": _middle_name_levels(table, table.middle[i], table.middle[j]),
        "last_name": last,
        "birth_date": _birth_date_levels(table, i, j),
        "gender": _gender_levels(table, i, j),
        "email": _email_levels(table, i, j),
        "phone": _phone_levels(table, i, j),
        "address": _address_levels(table, i, j),
        "external_id": _external_id_levels(table, i, j),
    }
    levels = (
        np.stack([columns[name] for name in FIELDS])
        if len(i)
        else np.zeros((len(FIELDS), 0), dtype=np.int8)
    )
    tf_codes = np.full((len(TF_KINDS), len(i)), -1, dtype=np.int32)
    for t, (kind, (name, level, _bonus)) in enumerate(TF_KINDS.items()):
        column = table.tf_column(kind)
        agree = (columns[name] == level) & ~swapped & (column[i] == column[j])
        tf_codes[t, agree] = column[i[agree]]
    return Levels(levels=levels, tf_codes=tf_codes, swapped=swapped)
