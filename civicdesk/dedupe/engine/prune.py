"""A cheap upper bound of each candidate pair's score, from code equality alone (no string
similarity), so that the full comparison runs only on pairs that could reach the threshold.

Most candidates of a large set are plainly different people (another birth date, another
address); their bound is below the threshold and rapidfuzz never sees them. For each field the
bound takes the exact level when the codes are equal, and otherwise the best weight among the
levels a string comparison could still give. One approximation: first and last names are
taken as possibly swapped only when their initials match crosswise.
"""

import numpy as np

from civicdesk.dedupe.engine import compare
from civicdesk.dedupe.engine.compare import FIELDS, TF_KINDS, _birth_date_levels
from civicdesk.dedupe.engine.model import FIELD_NUMBER, MAX_LEVELS, Scoring
from civicdesk.dedupe.engine.table import Table

__all__ = ["possible_pairs", "score_bound"]


class _Bound:
    def __init__(self, scoring: Scoring, n_pairs: int) -> None:
        self.scoring = scoring
        # The best a level can weigh, with the change at one address when that raises it.
        self.best = scoring.weights[:, :MAX_LEVELS] + np.maximum(
            scoring.context_delta[:, :, :MAX_LEVELS].max(axis=0), 0
        )
        self.total = np.full(n_pairs, scoring.log_odds)
        self.parts = {name: np.zeros(n_pairs) for name in FIELDS}
        self.parts["names"] = np.zeros(n_pairs)

    def best_of(self, name: str, levels) -> float:
        f = FIELD_NUMBER[name]
        return float(max(self.best[f, level] for level in levels))

    def add(self, part: str, mask: np.ndarray, value) -> None:
        value = value if np.isscalar(value) else value[mask]
        self.total[mask] += value
        self.parts[part][mask] += value

    def tf(self, part: str, kind: str, codes, mask: np.ndarray, *, floor_zero=False) -> None:
        adjustment = self.scoring.adjustments[list(TF_KINDS).index(kind)]
        if len(adjustment) and mask.any():
            values = adjustment[codes[mask]]
            values = np.maximum(values, 0) if floor_zero else values
            self.total[mask] += values
            self.parts[part][mask] += values


def _names(bound: _Bound, table: Table, i: np.ndarray, j: np.ndarray) -> None:
    fa, fb, la, lb = table.first[i], table.first[j], table.last[i], table.last[j]
    initial = table.first_initial  # first letters, by record
    last_initial = np.where(la >= 0, table.name_initials[np.maximum(la, 0)], -1)
    last_initial_b = np.where(lb >= 0, table.name_initials[np.maximum(lb, 0)], -1)
    maybe_swapped = (
        (fa >= 0) & (fb >= 0) & (la >= 0) & (lb >= 0)
        & (initial[i] == last_initial_b) & (last_initial == initial[j])
    )  # fmt: skip
    levels = len(FIELDS["first_name"])
    first_present = (fa >= 0) & (fb >= 0)
    first_exact = first_present & (fa == fb)
    ga, gb = table.name_groups[np.maximum(fa, 0)], table.name_groups[np.maximum(fb, 0)]
    nickname = ((ga[:, :, None] == gb[:, None, :]) & (ga[:, :, None] >= 0)).any(axis=(1, 2))
    other_first = first_present & ~first_exact
    bound.add("names", first_exact & ~maybe_swapped, bound.best_of("first_name", [0]))
    bound.tf("names", "first_name", fa, first_exact & ~maybe_swapped)
    bound.add("names", other_first & nickname & ~maybe_swapped, bound.best_of("first_name", [1]))
    bound.add(
        "names",
        other_first & ~nickname & ~maybe_swapped,
        bound.best_of("first_name", range(2, levels)),
    )
    best_first = bound.best_of("first_name", range(levels))
    adjustment = bound.scoring.adjustments[list(TF_KINDS).index("first_name")]
    bonus = float(adjustment.max(initial=0)) if len(adjustment) else 0.0
    bound.add("names", first_present & maybe_swapped, best_first + max(bonus, 0))

    levels = len(FIELDS["last_name"])
    last_present = (la >= 0) & (lb >= 0)
    last_exact = last_present & (la == lb)
    bound.add("names", last_exact & ~maybe_swapped, bound.best_of("last_name", [0]))
    bound.tf("names", "last_name", la, last_exact & ~maybe_swapped, floor_zero=True)
    bound.add(
        "names",
        last_present & ~last_exact & ~maybe_swapped,
        bound.best_of("last_name", range(1, levels)),
    )
    adjustment = bound.scoring.adjustments[list(TF_KINDS).index("last_name")]
    bonus = float(adjustment.max(initial=0)) if len(adjustment) else 0.0
    bound.add(
        "names",
        last_present & maybe_swapped,
        bound.best_of("last_name", range(levels)) + max(bonus, 0),
    )

    ma, mb = table.middle[i], table.middle[j]
    middle_present = (ma >= 0) & (mb >= 0)
    bound.add("middle_name", middle_present & (ma == mb), bound.best_of("middle_name", [0]))
    bound.add("middle_name", middle_present & (ma != mb), bound.best_of("middle_name", [1, 2]))


def _exact_or_rest(
    bound: _Bound, name: str, a: np.ndarray, b: np.ndarray, multi_mask: np.ndarray | None,
    tf_kind: str | None = None, middle: tuple[np.ndarray, int] | None = None,
) -> None:  # fmt: skip
    levels = len(FIELDS[name])
    present = (a >= 0) & (b >= 0)
    exact = present & (a == b)
    if multi_mask is not None:
        bound.add(name, multi_mask & ~exact, bound.best_of(name, range(levels)))
        present &= ~multi_mask | exact
    bound.add(name, exact, bound.best_of(name, [0]))
    if tf_kind:
        bound.tf(name, tf_kind, a, exact)
    rest = present & ~exact
    if middle is not None:
        same, level = middle
        bound.add(name, rest & same, bound.best_of(name, [level]))
        rest &= ~same
        bound.add(name, rest, bound.best_of(name, range(level + 1, levels)))
    else:
        bound.add(name, rest, bound.best_of(name, range(1, levels)))


def _address(bound: _Bound, table: Table, i: np.ndarray, j: np.ndarray) -> None:
    la, lb = table.line1[i], table.line1[j]
    line_present = (la >= 0) & (lb >= 0)
    line_exact = line_present & (la == lb)
    bonus = max(TF_KINDS["postcode"][2], TF_KINDS["city"][2])
    best_area = max(bound.best_of("address", [4, 5]) + bonus, bound.best_of("address", [6]))
    # An address line's term frequency only lowers the weight: left out of the bound.
    bound.add("address", line_exact, bound.best_of("address", [0, 2]))
    rest = max(bound.best_of("address", [1, 2, 3, 6]), best_area)
    bound.add("address", line_present & ~line_exact, rest)
    pa, pb, ca, cb = table.postcode[i], table.postcode[j], table.city[i], table.city[j]
    area = ~line_present & (((pa >= 0) & (pb >= 0)) | ((ca >= 0) & (cb >= 0)))
    bound.add("address", area, best_area)


def _cheap_bound(scoring: Scoring, table: Table, i: np.ndarray, j: np.ndarray) -> _Bound:
    bound = _Bound(scoring, len(i))
    _names(bound, table, i, j)
    dob = _birth_date_levels(table, i, j)
    f = FIELD_NUMBER["birth_date"]
    present = dob >= 0
    bound.add("birth_date", present, scoring.weights[f, np.maximum(dob, 0)])
    bound.tf("birth_date", "birth_date", table.dob_code[i],
             (dob == 0) & (table.dob_code[i] == table.dob_code[j]))  # fmt: skip
    ga, gb = table.gender[i], table.gender[j]
    gender_present = (ga >= 0) & (gb >= 0)
    bound.add("gender", gender_present & (ga == gb), bound.best_of("gender", [0]))
    bound.add("gender", gender_present & (ga != gb), bound.best_of("gender", [1]))
    email, phone, external = table.email, table.phone, table.external
    _exact_or_rest(
        bound, "email", email.codes[i], email.codes[j],
        email.has_others[i] | email.has_others[j], "email",
        (table.email_local[i] == table.email_local[j], 1),
    )  # fmt: skip
    _exact_or_rest(
        bound, "phone", phone.codes[i], phone.codes[j],
        phone.has_others[i] | phone.has_others[j], "phone",
        (table.phone7[i] == table.phone7[j], 1),
    )  # fmt: skip
    same_system = table.external_system[i] == table.external_system[j]
    xa = np.where(same_system, external.codes[i], -1)
    others = external.has_others
    _exact_or_rest(bound, "external_id", xa, external.codes[j], others[i] | others[j])
    _address(bound, table, i, j)
    return bound


def score_bound(scoring: Scoring, table: Table, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """An upper bound of Scoring.scores(compare_pairs(table, i, j)), pair by pair (but for
    swapped names whose initials do not match crosswise, see the module docstring)."""
    return _cheap_bound(scoring, table, i, j).total


def _actual(scoring: Scoring, table: Table, stage: str, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """A stage's fields' weight for each pair, as Scoring.scores counts it (at most: the
    change at one address and a surname's term frequency are taken at their best)."""
    best = scoring.weights + np.maximum(scoring.context_delta.max(axis=0), 0)
    if stage == "names":
        first = compare._first_name_levels(table, table.first[i], table.first[j])
        last = compare._last_name_levels(table, table.last[i], table.last[j])
        swapped = compare._swap_names(table, i, j, first, last)
        out = _weight(best, "first_name", first) + _weight(best, "last_name", last)
        for kind, column, levels, floor_zero in (
            ("first_name", table.first, first, False), ("last_name", table.last, last, True),
        ):  # fmt: skip
            adjustment = scoring.adjustments[list(TF_KINDS).index(kind)]
            use = (levels == 0) & ~swapped & (column[i] == column[j])
            if len(adjustment) and use.any():
                values = adjustment[column[i][use]]
                out[use] += np.maximum(values, 0) if floor_zero else values
        return out
    levels = STAGE_LEVELS[stage](table, i, j)
    out = _weight(best, stage, levels)
    kind = {"email": "email", "phone": "phone", "address": "address_line"}.get(stage)
    if stage == "address":
        for kind, level in (("address_line", 0), ("postcode", 4), ("city", 5)):
            _add_tf(scoring, table, kind, levels == level, i, j, out)
    elif kind:
        _add_tf(scoring, table, kind, levels == 0, i, j, out)
    return out


def _add_tf(scoring, table, kind, agree, i, j, out) -> None:
    adjustment = scoring.adjustments[list(TF_KINDS).index(kind)]
    column = table.tf_column(kind)
    use = agree & (column[i] == column[j])
    if len(adjustment) and use.any():
        out[use] += adjustment[column[i][use]]


def _weight(best: np.ndarray, name: str, levels: np.ndarray) -> np.ndarray:
    f = FIELD_NUMBER[name]
    return np.where(levels >= 0, best[f, np.maximum(levels, 0)], 0.0)


STAGE_LEVELS = {
    "external_id": compare._external_id_levels,
    "email": compare._email_levels,
    "phone": compare._phone_levels,
    "address": compare._address_levels,
}
STAGES = ("names", "address", "email", "phone", "external_id")


def possible_pairs(
    scoring: Scoring, table: Table, i: np.ndarray, j: np.ndarray, cut: float
) -> np.ndarray:
    """The positions of the pairs whose score may reach `cut`: the cheap bound first, then
    the string comparisons one field at a time, each on the pairs still possible."""
    bound = _cheap_bound(scoring, table, i, j)
    alive = np.flatnonzero(bound.total >= cut)
    for stage in STAGES:
        if not len(alive):
            break
        actual = _actual(scoring, table, stage, i[alive], j[alive])
        bound.total[alive] += actual - bound.parts[stage][alive]
        alive = alive[bound.total[alive] >= cut]
    return alive
