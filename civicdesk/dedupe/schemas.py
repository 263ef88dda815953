"""Schemas of the duplicates API (api.py). Names start with "Duplicate" or "Merge": OpenAPI names
a schema by its class name, and they must be unique across the project's routers."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from .models import PairStatus

Side = Literal["survivor", "other"]


class DuplicatePersonOut(Schema):
    id: int
    display_name: str

    @staticmethod
    def resolve_display_name(obj: Any) -> str:
        return str(obj.display_name)


class DuplicateFieldOut(Schema):
    field: str = Field(description='An engine field ("first_name", "birth_date"...) or "prior".')
    level: str = Field(description='How the two compare: "exact", "nickname", "typo", "missing"...')
    weight: float = Field(description="log2 Bayes factor: + agreeing, - disagreeing.")


class DuplicatePairOut(Schema):
    id: int
    person_a: DuplicatePersonOut | None = Field(description="None once merged away.")
    person_b: DuplicatePersonOut | None
    probability: float
    status: PairStatus
    fields: list[DuplicateFieldOut]
    found_at: dt.datetime
    decided_at: dt.datetime | None


class DuplicateDecisionIn(Schema):
    decision: Literal["merge", "not_duplicate", "later", "pending"]
    survivor_id: int | None = Field(
        None, description="For a merge: the person kept (one of the pair)."
    )
    choices: dict[str, Side] = Field(
        default_factory=dict,
        description='For a merge: field -> "survivor" or "other", whose value is kept.',
    )


class MergeIn(Schema):
    other_id: int = Field(description="The person merged into this one (and removed).")
    choices: dict[str, Side] = Field(
        default_factory=dict,
        description='Field -> "survivor" or "other": whose value is kept. Without a choice a '
        "blank field takes the other's value and a yes/no flag is set if either has it.",
    )


class MergeOut(Schema):
    id: int
    survivor_id: int | None
    merged_id: int
    merged_name: str
    probability: float | None
    is_automatic: bool
    at: dt.datetime
    undone_at: dt.datetime | None


class DuplicateDecisionOut(Schema):
    pair: DuplicatePairOut
    merge: MergeOut | None = None


class DuplicateScanOut(Schema):
    job_id: int
    state: str
    url: str = Field(description="The job's page, with its progress bar.")
