"""Scored pairs: find every likely duplicate in a set of records, explain one pair, rank the
candidates for one new record."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from civicdesk.dedupe.engine.blocking import candidate_pairs
from civicdesk.dedupe.engine.compare import Levels, compare_pairs
from civicdesk.dedupe.engine.model import SEED, Model, fit
from civicdesk.dedupe.engine.prune import possible_pairs
from civicdesk.dedupe.engine.records import Record
from civicdesk.dedupe.engine.table import Table

__all__ = [
    "SHIPPED_THRESHOLD",
    "FieldScore",
    "Pair",
    "compare",
    "find_pairs",
    "learn",
    "rank_candidates",
    "scan",
]

SHIPPED_THRESHOLD = 0.5
CHUNK = 1_000_000  # candidate pairs compared at once (bounds memory)
Progress = Callable[[int, int], None] | None


@dataclass
class FieldScore:
    """One field's part in a pair's score: its comparison level and the log2 Bayes factor it
    adds (+ for agreement, - for disagreement). The field "prior" carries the starting odds,
    so the weights of a pair add up to log2 of its odds."""

    field: str
    level: str
    weight: float


@dataclass
class Pair:
    """Two records (ids, a before b in the order of str(id)), their calibrated probability of
    being one person, and the explanation."""

    a: Any
    b: Any
    probability: float
    fields: list[FieldScore]

    @property
    def score(self) -> float:
        """log2 of the odds: the sum of the fields' weights."""
        return sum(f.weight for f in self.fields)


def _log_odds(probability: float) -> float:
    probability = min(max(probability, 1e-15), 1 - 1e-15)
    return math.log2(probability / (1 - probability))


def _probability(score: float) -> float:
    return 1.0 / (1.0 + 2.0 ** (-max(min(score, 60.0), -60.0)))


class _Scorer:
    """A model bound to one table, and the Pair objects it explains."""

    def __init__(self, model: Model, table: Table, prior: float) -> None:
        self.table = table
        self.scoring = model.scoring(table, prior)

    def scores(self, levels: Levels) -> np.ndarray:
        return self.scoring.scores(levels)

    def pairs(self, levels: Levels, i: np.ndarray, j: np.ndarray, scores: np.ndarray) -> list[Pair]:
        """The Pair, explained, of each compared pair (i[k], j[k]) with its score."""
        prior = FieldScore(
            "prior", f"1 in {1 / self.scoring.prior:,.0f} pairs", self.scoring.log_odds
        )
        ids = self.table.ids
        out = []
        for fields, a, b, score in zip(
            self.scoring.explain(levels), i.tolist(), j.tolist(), scores.tolist(), strict=True
        ):
            a, b = ids[a], ids[b]
            if str(b) < str(a):
                a, b = b, a
            explained = [prior, *(FieldScore(*parts) for parts in fields)]
            out.append(Pair(a=a, b=b, probability=_probability(score), fields=explained))
        return out


def learn(records: Sequence[Record], *, progress: Progress = None) -> Model:
    """Learn a model from the records (unsupervised: EM, no labels)."""
    table = Table(records)
    samples: dict = {}
    left, right = candidate_pairs(table, samples=samples, seed=SEED)
    return fit(table, left, right, samples=samples, progress=progress)


def _stage(progress: Progress, start: int, end: int) -> Progress:
    """Map a sub-step's progress(done, total) onto [start, end] of 100."""
    if progress is None:
        return None
    return lambda done, total: progress(start + (end - start) * done // max(total, 1), 100)


def find_pairs(
    records: Sequence[Record],
    *,
    model: Model | None = None,
    threshold: float = SHIPPED_THRESHOLD,
    progress: Progress = None,
) -> list[Pair]:
    """Every pair of records at or above `threshold`, best first. Learns the model from the
    records when none is given; progress(done, total) is called as the work goes (of 100).
    A model learned on another number of records has its prior scaled to these."""
    return scan(records, model=model, threshold=threshold, progress=progress)[1]


def scan(
    records: Sequence[Record],
    *,
    model: Model | None = None,
    threshold: float = SHIPPED_THRESHOLD,
    progress: Progress = None,
) -> tuple[Model, list[Pair]]:
    """find_pairs, also returning the model used (learned here when none is given): learning
    and finding in one go build the columns and the candidate pairs once, not twice."""
    table = Table(records)
    samples: dict | None = {} if model is None else None
    left, right = candidate_pairs(
        table, progress=_stage(progress, 0, 10), samples=samples, seed=SEED
    )
    if model is None:
        model = fit(table, left, right, samples=samples or {}, progress=_stage(progress, 10, 30))
        prior = model.prior
    else:
        prior = model.prior_for(table.n)
    scorer = _Scorer(model, table, prior)
    cut = _log_odds(threshold)
    kept: list[tuple[Levels, np.ndarray, np.ndarray, np.ndarray]] = []
    chunks = max(1, math.ceil(len(left) / CHUNK))
    for number, start in enumerate(range(0, len(left), CHUNK)):
        i, j = left[start : start + CHUNK], right[start : start + CHUNK]
        possible = possible_pairs(scorer.scoring, table, i, j, cut)
        i, j = i[possible], j[possible]
        levels = compare_pairs(table, i, j)
        scores = scorer.scores(levels)
        keep = np.flatnonzero(scores >= cut)
        kept.append((_subset(levels, keep), i[keep], j[keep], scores[keep]))
        if progress:
            progress(30 + 70 * (number + 1) // chunks, 100)
    pairs = [pair for levels, i, j, scores in kept for pair in scorer.pairs(levels, i, j, scores)]
    pairs.sort(key=lambda p: (-p.probability, str(p.a), str(p.b)))
    return model, pairs


def _subset(levels: Levels, keep: np.ndarray) -> Levels:
    return Levels(levels.levels[:, keep], levels.tf_codes[:, keep], levels.swapped[keep])


def compare(a: Record, b: Record, model: Model) -> Pair:
    """One pair scored and explained field by field with `model`."""
    table = Table([a, b])
    levels = compare_pairs(table, np.array([0], dtype=np.int32), np.array([1], dtype=np.int32))
    scorer = _Scorer(model, table, model.prior)
    return scorer.pairs(levels, np.array([0]), np.array([1]), scorer.scores(levels))[0]


def rank_candidates(
    record: Record,
    candidates: Sequence[Record],
    model: Model,
    *,
    threshold: float = SHIPPED_THRESHOLD,
) -> list[Pair]:
    """The candidates that are likely the same person as `record`, best first."""
    if not candidates:
        return []
    table = Table([record, *candidates])
    others = np.arange(1, len(candidates) + 1, dtype=np.int32)
    levels = compare_pairs(table, np.zeros(len(candidates), dtype=np.int32), others)
    scorer = _Scorer(model, table, model.prior)
    scores = scorer.scores(levels)
    order = np.argsort(-scores, kind="stable")
    order = order[scores[order] >= _log_odds(threshold)]
    return scorer.pairs(_subset(levels, order), np.zeros(len(order), dtype=np.int32),
                        others[order], scores[order])  # fmt: skip
