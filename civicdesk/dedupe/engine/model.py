"""The Fellegi-Sunter model: for each field level, m (how often two records of the same person
fall in it) and u (how often two different people do), the prior, and term frequencies.

A pair's score is log2 of its odds of being one person:

    log2(prior / (1 - prior)) + sum over fields of log2(m / u) + term-frequency adjustments

`prior` is the chance that two distinct records picked at random are the same person. It is
learned with the rest, so it falls as the data grows: the same agreement is weaker evidence
among a million people than among a thousand. That is what keeps the probability, and so the
one shipped threshold, calibrated at any size.

Two refinements of the textbook model:

- Term frequency: an agreement on a value held by a share p of the records is worth
  log2(u / p) bits more than the level's average ("Smith" less, "Zbigniew" more), capped
  (compare.TF_KINDS).
- Contexts: a surname, a phone or an email agreeing says little about two records that share
  an address (a household shares them); a surname or an email little about two that share a
  phone; an email that looks alike little about two people with the same name (emails are
  made of names). For the pairs in such a context, those fields use a u learned from the
  non-duplicates in that context (`CONTEXTS`, `u_context`) instead of u.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from civicdesk.dedupe.engine.compare import FIELDS, TF_KINDS, Levels, compare_pairs
from civicdesk.dedupe.engine.table import Table

__all__ = ["CONTEXTS", "SEED", "Context", "Model", "Scoring", "context_of", "fit", "random_pairs"]

SEED = 20260308
EM_SAMPLE = 300_000  # candidate pairs the prior is fitted on
RANDOM_SAMPLE = 500_000  # random pairs u is learned from
EM_ROUNDS = 40
PRIOR_ROUNDS = 8
OUTER_ROUNDS = 3
PSEUDO_PAIRS = 2.0  # strength of the defaults against the data (pairs' worth)
CONTEXT_PSEUDO_PAIRS = 20.0
MAX_LEVELS = max(len(levels) for levels in FIELDS.values())
FIELD_NUMBER = {name: number for number, name in enumerate(FIELDS)}


@dataclass(frozen=True)
class Context:
    """Pairs that share something (`trigger` fields at `levels`) and the fields that go with
    it (`fields`), whose u is learned from the pairs of `passes` in this context."""

    name: str
    label: str
    trigger: tuple[str, ...]
    fields: tuple[str, ...]
    passes: tuple[str, ...]


CONTEXTS = (
    Context("same_address", "as expected at one address", ("address",),
            ("last_name", "phone", "email"), ("addr", "addr_only")),
    Context("same_phone", "as expected with one phone", ("phone",), ("last_name", "email"),
            ("phone",)),
    Context("same_name", "as expected with one name",
            ("first_name", "last_name", "middle_name", "gender"), ("email",), ("fn_ln", "names")),
)  # fmt: skip
ADDRESS, PHONE = FIELD_NUMBER["address"], FIELD_NUMBER["phone"]
FIRST, LAST = FIELD_NUMBER["first_name"], FIELD_NUMBER["last_name"]


def context_of(levels: np.ndarray) -> np.ndarray:
    """Each pair's context (index in CONTEXTS, the first that applies), -1 for none: one
    address (same, with a typo, or a similar street address), one phone, one name."""
    context = np.full(levels.shape[1], -1, dtype=np.int8)
    context[np.isin(levels[FIRST], (0, 1, 2)) & np.isin(levels[LAST], (0, 1))] = 2
    context[np.isin(levels[PHONE], (0, 1))] = 1
    context[np.isin(levels[ADDRESS], (0, 1, 3))] = 0
    return context


TF_NUMBER = {kind: number for number, kind in enumerate(TF_KINDS)}

# Before any learning: (m, u) per level, in the order of compare.FIELDS.
_DEFAULTS: dict[str, list[tuple[float, float]]] = {
    "first_name": [(0.80, 0.01), (0.04, 0.002), (0.08, 0.01), (0.03, 0.03), (0.02, 0.005), (0.03, 0.943)],
    "middle_name": [(0.80, 0.05), (0.10, 0.10), (0.10, 0.85)],
    "last_name": [(0.85, 0.003), (0.08, 0.003), (0.02, 0.001), (0.02, 0.02), (0.03, 0.973)],
    "birth_date": [(0.80, 0.00005), (0.08, 0.002), (0.01, 0.00005), (0.03, 0.001), (0.03, 0.012),
                   (0.02, 0.012), (0.03, 0.973)],
    "gender": [(0.97, 0.5), (0.03, 0.5)],
    "email": [(0.80, 0.0001), (0.05, 0.0005), (0.05, 0.001), (0.10, 0.9984)],
    "phone": [(0.80, 0.0001), (0.05, 0.0002), (0.05, 0.001), (0.10, 0.9987)],
    "address": [(0.60, 0.0005), (0.08, 0.0002), (0.02, 0.0001), (0.03, 0.0005), (0.07, 0.01),
                (0.05, 0.03), (0.15, 0.9587)],
    "external_id": [(0.90, 0.00001), (0.05, 0.0001), (0.05, 0.99989)],
}  # fmt: skip
DEFAULT_RECORDS = 10_000
DEFAULT_MATCHES_PER_RECORD = 0.02


def _normalized(values) -> list[float]:
    values = list(values)
    total = float(sum(values))
    return [float(v) / total for v in values]


@dataclass
class Model:
    """Learned field weights (m and u per comparison level), the prior, the u of some fields
    between people at one address, and the share of the records holding each common value of
    the term-frequency kinds."""

    m: dict[str, list[float]]
    u: dict[str, list[float]]
    prior: float
    n_records: int
    tf: dict[str, dict[str, float]] = field(default_factory=dict)
    # Penalty-only TF kinds: the chance two records agree on their value (sum of p squared).
    tf_reference: dict[str, float] = field(default_factory=dict)
    u_context: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    learned: bool = False

    @classmethod
    def default(cls) -> "Model":
        """Sensible weights before any learning (no term frequencies)."""
        n = DEFAULT_RECORDS
        return cls(
            m={name: _normalized(m for m, _ in levels) for name, levels in _DEFAULTS.items()},
            u={name: _normalized(u for _, u in levels) for name, levels in _DEFAULTS.items()},
            prior=DEFAULT_MATCHES_PER_RECORD * n / (n * (n - 1) / 2),
            n_records=n,
        )

    def to_dict(self) -> dict:
        return {
            "version": 1,
            "fields": {
                name: {"levels": list(FIELDS[name]), "m": self.m[name], "u": self.u[name]}
                for name in FIELDS
            },
            "prior": self.prior,
            "n_records": self.n_records,
            "u_context": self.u_context,
            "tf": self.tf,
            "tf_reference": self.tf_reference,
            "learned": self.learned,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Model":
        """A model from to_dict(); what is missing or does not fit takes the defaults."""
        default = cls.default()
        m, u = dict(default.m), dict(default.u)
        for name, values in (data.get("fields") or {}).items():
            if name in FIELDS and len(values.get("m", ())) == len(values.get("u", ())) == len(
                FIELDS[name]
            ):
                m[name], u[name] = [float(x) for x in values["m"]], [float(x) for x in values["u"]]
        context = {}
        for ctx in CONTEXTS:
            stored = (data.get("u_context") or {}).get(ctx.name) or {}
            context[ctx.name] = {
                name: [float(x) for x in values]
                for name, values in stored.items()
                if name in ctx.fields and len(values) == len(FIELDS[name])
            }
        return cls(
            m=m,
            u=u,
            prior=float(data.get("prior", default.prior)),
            n_records=int(data.get("n_records", default.n_records)),
            tf={kind: dict(values) for kind, values in (data.get("tf") or {}).items()},
            tf_reference={
                kind: float(value) for kind, value in (data.get("tf_reference") or {}).items()
            },
            u_context=context,
            learned=bool(data.get("learned", False)),
        )

    def prior_for(self, n_records: int) -> float:
        """The prior for a set of `n_records`: the same number of duplicates per record."""
        if n_records < 2 or self.n_records < 2:
            return self.prior
        return min(0.5, self.prior * (self.n_records - 1) / (n_records - 1))

    def scoring(self, table: Table, prior: float | None = None) -> "Scoring":
        """The model's weights bound to a table's vocabularies."""
        m = _array(self.m)
        u = _array(self.u)
        context_u = np.stack([u.copy() for _ in CONTEXTS])
        for c, ctx in enumerate(CONTEXTS):
            for name, values in self.u_context.get(ctx.name, {}).items():
                context_u[c, FIELD_NUMBER[name], : len(values)] = values
        shares = {
            kind: np.array([self.tf.get(kind, {}).get(s, 0.0) for s in table.tf_strings(kind)])
            for kind in TF_KINDS
        }
        return Scoring.build(
            m, u, context_u, prior if prior is not None else self.prior, shares, bool(self.tf),
            self.tf_reference,
        )  # fmt: skip


def _array(values: dict[str, list[float]]) -> np.ndarray:
    out = np.ones((len(FIELDS), MAX_LEVELS))
    for name, row in values.items():
        out[FIELD_NUMBER[name], : len(row)] = row
    return out


@dataclass
class Scoring:
    """Everything needed to score Levels: weights per (field, level) (last column: missing),
    their change in each context (context, field, level), TF adjustments per vocabulary code,
    log2 prior odds."""

    weights: np.ndarray
    context_delta: np.ndarray
    adjustments: list[np.ndarray]
    log_odds: float
    prior: float

    @classmethod
    def build(
        cls,
        m: np.ndarray,
        u: np.ndarray,
        context_u: np.ndarray,
        prior: float,
        shares: dict[str, np.ndarray] | None,
        use_tf: bool = True,
        references: dict[str, float] | None = None,
    ) -> "Scoring":
        valid = _valid()
        weights = np.zeros((len(FIELDS), MAX_LEVELS + 1))
        context = np.zeros((len(CONTEXTS), len(FIELDS), MAX_LEVELS + 1))
        with np.errstate(divide="ignore"):
            weights[:, :MAX_LEVELS] = np.where(valid, np.log2(m) - np.log2(u), 0.0)
            context[:, :, :MAX_LEVELS] = np.where(valid, np.log2(m) - np.log2(context_u), 0.0)
        adjustments = []
        for kind, (name, level, bonus) in TF_KINDS.items():
            if not use_tf or shares is None:
                adjustments.append(np.zeros(0))
                continue
            reference = (references or {}).get(kind) if bonus == 0 else None
            log_u = math.log2(max(reference or float(u[FIELD_NUMBER[name], level]), 1e-12))
            with np.errstate(divide="ignore"):
                raw = log_u - np.log2(shares[kind])
            adjustments.append(np.minimum(np.where(shares[kind] > 0, raw, bonus), bonus))
        prior = min(max(prior, 1e-15), 0.5)
        return cls(
            weights, context - weights[None], adjustments, math.log2(prior / (1 - prior)), prior
        )

    def scores(self, levels: Levels) -> np.ndarray:
        """Each pair's log2 odds."""
        index = np.where(levels.levels < 0, MAX_LEVELS, levels.levels)
        rows = np.arange(len(FIELDS))[:, None]
        scores = self.weights[rows, index].sum(axis=0) + self.log_odds
        context = context_of(levels.levels)
        for c in range(len(CONTEXTS)):
            inside = context == c
            if inside.any():
                scores[inside] += self.context_delta[c][rows, index[:, inside]].sum(axis=0)
        no_surname_tf = np.isin(context, SURNAME_CONTEXTS)
        for t, adjustment in enumerate(self.adjustments):
            codes = levels.tf_codes[t]
            use = codes >= 0
            if TF_KINDS_FIELD[t] == "last_name":
                use &= ~no_surname_tf  # a household's surname is no rarer for being rare
            if len(adjustment) and use.any():
                scores[use] += adjustment[codes[use]]
        return scores

    def explain(self, levels: Levels) -> list[list[tuple[str, str, float]]]:
        """For each pair, (field, level label, weight) in FIELDS order; the weights add up to
        its score minus the prior's log odds."""
        n = levels.levels.shape[1]
        index = np.where(levels.levels < 0, MAX_LEVELS, levels.levels)
        rows = np.arange(len(FIELDS))[:, None]
        weights = self.weights[rows, index]
        context = context_of(levels.levels)
        for c in range(len(CONTEXTS)):
            inside = context == c
            if inside.any():
                weights[:, inside] += self.context_delta[c][rows, index[:, inside]]
        value = np.zeros((len(FIELDS), n), dtype=np.int8)  # -1 common, 1 rare
        no_surname_tf = np.isin(context, SURNAME_CONTEXTS)
        for t, adjustment in enumerate(self.adjustments):
            codes = levels.tf_codes[t]
            use = codes >= 0
            if TF_KINDS_FIELD[t] == "last_name":
                use &= ~no_surname_tf
            if not len(adjustment) or not use.any():
                continue
            f = FIELD_NUMBER[TF_KINDS_FIELD[t]]
            adjust = adjustment[codes[use]]
            weights[f, use] += adjust
            value[f, use] = np.where(adjust <= -0.05, -1, np.where(adjust >= 0.05, 1, 0))
        suffixes = {-1: ", common value", 0: "", 1: ", rare value"}
        weight_rows, level_rows, value_rows = (
            weights.T.tolist(),
            levels.levels.T.tolist(),
            value.T.tolist(),
        )
        out = []
        for k in range(n):
            in_context = CONTEXTS[context[k]] if context[k] >= 0 else None
            swapped = bool(levels.swapped[k])
            fields = []
            for f, name in enumerate(FIELDS):
                level = level_rows[k][f]
                if level < 0:
                    fields.append((name, "missing", 0.0))
                    continue
                label = FIELDS[name][level]
                if in_context is not None and name in in_context.fields:
                    label += f", {in_context.label}"
                label += suffixes[value_rows[k][f]]
                if swapped and f in (FIRST, LAST):
                    label += " (first and last names swapped)"
                fields.append((name, label, weight_rows[k][f]))
            out.append(fields)
        return out


SURNAME_CONTEXTS = [c for c, ctx in enumerate(CONTEXTS) if "last_name" in ctx.fields]
TF_KINDS_FIELD = [name for name, _level, _bonus in TF_KINDS.values()]


def _valid() -> np.ndarray:
    level_counts = np.array([len(levels) for levels in FIELDS.values()])
    return np.arange(MAX_LEVELS)[None, :] < level_counts[:, None]


def random_pairs(n: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`count` random pairs of distinct records, or all pairs when there are fewer."""
    if n < 2:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    if n * (n - 1) // 2 <= count:
        i, j = np.triu_indices(n, k=1)
        return i.astype(np.int32), j.astype(np.int32)
    i = rng.integers(0, n, size=count)
    j = rng.integers(0, n - 1, size=count)
    j = np.where(j >= i, j + 1, j)
    return np.minimum(i, j).astype(np.int32), np.maximum(i, j).astype(np.int32)


def _counts(levels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted count of pairs per (field, level)."""
    out = np.zeros((len(FIELDS), MAX_LEVELS), dtype=np.float64)
    for f in range(len(FIELDS)):
        present = levels[f] >= 0
        out[f] = np.bincount(levels[f][present], weights=weights[present], minlength=MAX_LEVELS)[
            :MAX_LEVELS
        ]
    return out


def _shrunk(counts: np.ndarray, default: np.ndarray, pseudo, valid: np.ndarray) -> np.ndarray:
    """Counts per level plus `pseudo` pairs spread as `default`, as probabilities."""
    shrunk = np.where(valid, np.maximum(counts, 0.0) + pseudo * default, 0.0)
    shrunk /= shrunk.sum(axis=1, keepdims=True)
    return np.where(valid, shrunk, 1.0)


def _posterior(scores: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp2(-np.clip(scores, -60, 60)))


def _data_shares(table: Table) -> dict[str, np.ndarray]:
    """The share of the records holding each value, per TF kind (table vocabulary)."""
    out = {}
    for kind in TF_KINDS:
        codes = table.tf_column(kind)
        present = codes[codes >= 0]
        counts = np.bincount(present, minlength=len(table.tf_strings(kind))).astype(np.float64)
        out[kind] = counts / max(len(present), 1)
    return out


def _em_fixed_u(
    levels: Levels, m: np.ndarray, u: np.ndarray, active: np.ndarray, *, fit_m: bool = True
) -> tuple[np.ndarray, float]:
    """EM for m (active fields; unless not `fit_m`) and the share of matches among one pass's
    pairs, u fixed. Only the active fields count."""
    valid = _valid()
    share = 0.1
    use = valid & active[:, None]
    for _ in range(EM_ROUNDS):
        weights = np.zeros((len(FIELDS), MAX_LEVELS + 1))
        weights[:, :MAX_LEVELS] = np.where(use, np.log2(m) - np.log2(u), 0.0)
        index = np.where(levels.levels < 0, MAX_LEVELS, levels.levels)
        scores = weights[np.arange(len(FIELDS))[:, None], index].sum(axis=0)
        posterior = _posterior(scores + math.log2(share / (1 - share)))
        new_m = m
        if fit_m:
            new_m = np.where(
                active[:, None],
                _shrunk(_counts(levels.levels, posterior), m, PSEUDO_PAIRS, valid),
                m,
            )
        new_share = float(np.clip(posterior.mean(), 1e-6, 1 - 1e-6))
        change = max(float(np.abs(new_m - m).max()), abs(new_share - share))
        m, share = new_m, new_share
        if change < 1e-5:
            break
    return m, share


def _subset(levels: Levels, keep: np.ndarray) -> Levels:
    return Levels(levels.levels[:, keep], levels.tf_codes[:, keep], levels.swapped[keep])


def fit(
    table: Table,
    left: np.ndarray,
    right: np.ndarray,
    *,
    samples: dict[str, tuple[np.ndarray, np.ndarray]],
    progress: Callable[[int, int], None] | None = None,
) -> Model:
    """Learn the model from a table, its candidate pairs and a sample of each blocking pass's
    pairs (no labels):

    - u: from random pairs of records (nearly all different people), each weighted by its
      chance of being a non-match under the model being learned.
    - m: EM on each pass's pairs with u fixed, for the fields the pass does not fix
      (blocking.PASS_FIXES); each field's m is the mean over the passes that estimate it,
      weighted by the duplicates each pass holds.
    - u at one address: from the address passes' pairs at a shared address, weighted by
      their chance of being non-matches.
    - the prior: the number of duplicate pairs among the candidates (the sum of their
      probabilities, found as a fixed point) over the number of all pairs.
    """
    from civicdesk.dedupe.engine.blocking import pass_fixes

    fixes = pass_fixes(table)
    n = table.n
    all_pairs = max(n * (n - 1) / 2, 1.0)
    rng = np.random.default_rng(SEED)
    default = Model.default()
    default_m, default_u = _array(default.m), _array(default.u)
    valid = _valid()
    steps = len(samples) + 2 + OUTER_ROUNDS
    report = progress or (lambda done, total: None)

    randoms = compare_pairs(table, *random_pairs(n, RANDOM_SAMPLE, rng))
    random_total = float(randoms.levels.shape[1])
    u = _shrunk(_counts(randoms.levels, np.ones(randoms.levels.shape[1])), default_u,
                PSEUDO_PAIRS * 50, valid)  # fmt: skip
    report(1, steps)

    m_sum = np.zeros_like(default_m)
    m_weight = np.zeros(len(FIELDS))
    pass_levels: dict[str, Levels] = {}
    for number, (name, (pass_left, pass_right)) in enumerate(samples.items()):
        fixed = fixes.get(name, frozenset())
        active = np.array([f not in fixed for f in FIELDS])
        levels = compare_pairs(table, pass_left, pass_right)
        if any(name in ctx.passes for ctx in CONTEXTS):
            pass_levels[name] = levels
        m_pass, share = _em_fixed_u(levels, default_m, u, active)
        expected = share * len(pass_left)
        m_sum[active] += expected * m_pass[active]
        m_weight[active] += expected
        report(number + 2, steps)
    m = np.where((m_weight > 0)[:, None], m_sum / np.maximum(m_weight, 1e-12)[:, None], default_m)
    m = _shrunk(m * np.maximum(m_weight, 1.0)[:, None], default_m, PSEUDO_PAIRS, valid)

    sample = np.arange(len(left))
    if len(left) > EM_SAMPLE:
        sample = np.sort(rng.choice(len(left), EM_SAMPLE, replace=False))
    candidates = compare_pairs(table, left[sample], right[sample])
    scale = len(left) / max(len(sample), 1)
    shares = _data_shares(table)
    references = {
        kind: float((shares[kind] ** 2).sum()) for kind, (_f, _l, bonus) in TF_KINDS.items()
        if bonus == 0
    }  # fmt: skip
    floors = _exact_floors(table, shares)
    context_u = np.stack([u.copy() for _ in CONTEXTS])
    prior = min(0.5, DEFAULT_MATCHES_PER_RECORD * n / all_pairs)
    expected = 1.0
    for round_number in range(OUTER_ROUNDS):
        for _ in range(PRIOR_ROUNDS):
            scoring = Scoring.build(m, u, context_u, prior, shares, True, references)
            expected = float(_posterior(scoring.scores(candidates)).sum()) * scale
            prior = min(0.5, max(expected, 1.0) / all_pairs)
        scoring = Scoring.build(m, u, context_u, prior, shares, True, references)
        non_match = 1 - _posterior(scoring.scores(randoms))
        # u's prior pairs match m's in strength relative to the data (an unseen level keeps
        # its default weight).
        strength = PSEUDO_PAIRS * max(random_total / max(expected, 1.0), 1.0)
        u = _shrunk(_counts(randoms.levels, non_match), default_u, strength, valid)
        u = _with_floors(u, floors, m, prior)
        context_u = np.stack([
            _context_u(ctx, c, pass_levels, fixes, m, u, valid) for c, ctx in enumerate(CONTEXTS)
        ])  # fmt: skip
        report(len(samples) + 2 + round_number, steps)
    learned = Model(
        m={name: m[f, : len(FIELDS[name])].tolist() for f, name in enumerate(FIELDS)},
        u={name: u[f, : len(FIELDS[name])].tolist() for f, name in enumerate(FIELDS)},
        prior=prior,
        n_records=n,
        u_context={
            ctx.name: {
                name: context_u[c, FIELD_NUMBER[name], : len(FIELDS[name])].tolist()
                for name in ctx.fields
            }
            for c, ctx in enumerate(CONTEXTS)
        },
        learned=True,
        tf_reference=references,
    )
    learned.tf = _tf_tables(table, learned, shares)
    report(steps, steps)
    return learned


def _exact_floors(table: Table, shares: dict[str, np.ndarray]) -> dict[int, float]:
    """The chance that two records holding a value hold the same one (the sum of the squared
    shares of the values), per field whose first level is that equality. Random pairs seldom
    agree on an address or a phone in a large set, so their count alone makes u too small."""
    external = table.external.codes
    present = external[external >= 0]
    external_shares = np.bincount(present).astype(np.float64) / max(len(present), 1)
    return {
        FIELD_NUMBER["first_name"]: float((shares["first_name"] ** 2).sum()),
        FIELD_NUMBER["last_name"]: float((shares["last_name"] ** 2).sum()),
        FIELD_NUMBER["birth_date"]: float((shares["birth_date"] ** 2).sum()),
        FIELD_NUMBER["email"]: float((shares["email"] ** 2).sum()),
        FIELD_NUMBER["phone"]: float((shares["phone"] ** 2).sum()),
        FIELD_NUMBER["address"]: float((shares["address_line"] ** 2).sum()),
        FIELD_NUMBER["external_id"]: float((external_shares**2).sum()),
    }


def _with_floors(
    u: np.ndarray, floors: dict[int, float], m: np.ndarray, prior: float
) -> np.ndarray:
    """u with its first level raised to at least the floor, less the duplicates' own share of
    those agreements (prior x m), the other levels scaled down."""
    u = u.copy()
    for f, agreeing in floors.items():
        floor = max(agreeing - prior * m[f, 0], 0.0) / (1 - prior)
        if floor > u[f, 0]:
            rest = 1 - u[f, 0]
            u[f, 1:] *= (1 - floor) / rest if rest > 0 else 1
            u[f, 0] = floor
    return u


def _context_u(
    ctx: Context,
    number: int,
    pass_levels: dict[str, Levels],
    fixes: dict[str, frozenset[str]],
    m: np.ndarray,
    u: np.ndarray,
    valid: np.ndarray,
) -> np.ndarray:
    """u of a context's fields among its non-matches, shrunk toward u.

    Whether a pair in the context is one person is judged without the context's fields, its
    trigger, or what the pass fixes: by first names, birth dates, ids... and the share of
    matches EM finds among such pairs. Pairs with none of those fields tell nothing and are
    left out, so where nothing tells the people in a context apart (organisations at one
    address), u stays as it is."""
    counts = np.zeros_like(u)
    for name in ctx.passes:
        levels = pass_levels.get(name)
        if levels is None:
            continue
        skip = set(fixes.get(name, ())) | set(ctx.fields) | set(ctx.trigger)
        active = np.array([field not in skip for field in FIELDS])
        inside = context_of(levels.levels) == number
        informative = inside & (levels.levels[active] >= 0).any(axis=0)
        if not informative.any():
            continue
        levels = _subset(levels, np.flatnonzero(informative))
        _m, share = _em_fixed_u(levels, m, u, active, fit_m=False)
        weights = np.zeros((len(FIELDS), MAX_LEVELS + 1))
        weights[:, :MAX_LEVELS] = np.where(valid & active[:, None], np.log2(m) - np.log2(u), 0.0)
        index = np.where(levels.levels < 0, MAX_LEVELS, levels.levels)
        scores = weights[np.arange(len(FIELDS))[:, None], index].sum(axis=0)
        posterior = _posterior(scores + math.log2(share / (1 - share)))
        counts += _counts(levels.levels, 1 - posterior)
    shrunk = _shrunk(counts, u, CONTEXT_PSEUDO_PAIRS, valid)
    context_u = u.copy()
    for name in ctx.fields:
        context_u[FIELD_NUMBER[name]] = shrunk[FIELD_NUMBER[name]]
    return context_u


def _tf_tables(table: Table, model: Model, shares: dict[str, np.ndarray]) -> dict:
    """Per TF kind, the values whose adjustment is below the cap (the others get the cap)."""
    tables = {}
    for kind, (name, level, bonus) in TF_KINDS.items():
        reference = model.tf_reference.get(kind) if bonus == 0 else None
        threshold = max(reference or model.u[name][level], 1e-12) / 2.0**bonus
        keep = np.flatnonzero(shares[kind] > threshold)
        strings = table.tf_strings(kind)
        tables[kind] = {str(strings[k]): float(shares[kind][k]) for k in keep.tolist()}
    return tables
