"""Schemas of the casework API (api.py). Names start with "Case": OpenAPI names a schema by its
class name, and they must be unique across the project's routers."""

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Field, Schema
from pydantic import model_validator

from .models import LOGGABLE_KINDS, ActionKind, ActionState, CasePriority, CaseStatus

# ---------------------------------------------------------------- references to other records


class CaseStaffOut(Schema):
    """A staff member, as a case names them (assignee, author of an action)."""

    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.user.display_name)


class CasePersonRefOut(Schema):
    id: int
    display_name: str

    @staticmethod
    def resolve_display_name(obj: Any) -> str:
        return str(obj.display_name)


class CaseNamedRefOut(Schema):
    """A case type, team or agency, by id and name."""

    id: int
    name: str


class CasePartyOut(Schema):
    id: int
    display_name: str
    role: str = Field(description="primary (the constituent), family or other.")


class CaseTagOut(Schema):
    id: int
    name: str
    path: str


class CaseDistrictOut(Schema):
    id: int
    name: str
    layer: str


# ---------------------------------------------------------------- cases


class CaseOut(Schema):
    id: int
    number: int
    reference: str = Field(description='What staff and constituents call the case: "C-1042".')
    subject: str
    status: CaseStatus
    priority: CasePriority
    due_on: dt.date | None
    is_open: bool
    is_sensitive: bool
    case_type: CaseNamedRefOut
    primary_person: CasePersonRefOut
    assignee: CaseStaffOut | None
    team: CaseNamedRefOut | None
    agency: CaseNamedRefOut | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    updated_at: dt.datetime
    version: int = Field(description="Send it back with an edit (PATCH).")


class CaseDetailOut(CaseOut):
    description: str
    resolution: str
    agency_contact: CasePersonRefOut | None
    agency_reference: str
    template_id: int | None = Field(description="The template applied last.")
    people: list[CasePartyOut] = Field(description="The constituent first, then their family.")
    tags: list[CaseTagOut]
    districts: list[CaseDistrictOut]
    allowed_statuses: list[CaseStatus] = Field(description="Where the workflow lets it go next.")
    needs_privacy_release: bool
    has_privacy_release: bool = Field(
        description="A release of the constituent in force today covers the case's agency."
    )
    created_at: dt.datetime


class CaseQuery(Schema):
    queue: str = Field(
        "all",
        description="all, mine, team, unassigned, due_week, overdue, waiting_agency or closed.",
    )
    status: str = Field("", description='A case status, or "open" for every unfinished one.')
    case_type_id: int | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    person_id: int | None = Field(None, description="Cases of this person (or family member).")
    priority: int | None = None
    district_id: int | None = None
    tag_ids: list[int] = Field([], description="Cases with all of these tags.")
    q: str = Field("", description="Words of the subject or constituent's name, or a C-number.")


class CaseIn(Schema):
    person_id: int = Field(description="The constituent the case is for.")
    case_type_id: int
    subject: str
    description: str = ""
    priority: int = CasePriority.NORMAL
    due_on: dt.date | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    agency_id: int | None = None
    agency_contact_id: int | None = None
    family_ids: list[int] = Field([], max_length=50, description="Family members on the case.")
    tag_ids: list[int] = Field([], max_length=50)
    template_id: int | None = Field(None, description="Applied once the case is open.")


class CasePatch(Schema):
    """Only the fields sent change. `due_on`, `agency_id` and `agency_contact_id` are emptied by
    null; for the others null means "unchanged"."""

    version: int = Field(description="The version the edit was made on (from GET).")
    subject: str | None = None
    description: str | None = None
    priority: int | None = None
    due_on: dt.date | None = None
    agency_id: int | None = None
    agency_contact_id: int | None = None
    agency_reference: str | None = None
    is_sensitive: bool | None = Field(None, description="Only managers may change it.")
    tag_ids: list[int] | None = Field(None, max_length=50, description="Replaces the tags.")


class CaseStatusIn(Schema):
    status: str = Field(description="One of the case's allowed_statuses.")
    note: str = ""
    resolution: str = Field("", description="Needed to mark the case resolved or closed.")
    is_public: bool = Field(True, description="Show the change on the constituent's status page.")


class CaseAssignIn(Schema):
    """null leaves the case without an assignee (or outside any team's queue)."""

    assignee_id: int | None = None
    team_id: int | None = None


class CaseBulkAssignIn(CaseAssignIn):
    case_ids: list[int] = Field(min_length=1, max_length=1000)


class CaseBulkAssignOut(Schema):
    changed: int


class CaseTemplateApplyIn(Schema):
    template_id: int


# ---------------------------------------------------------------- actions and ticklers


class CaseActionOut(Schema):
    id: int
    kind: ActionKind
    state: ActionState = Field(description="planned (a to-do), done or cancelled.")
    subject: str
    body: str
    is_public: bool = Field(description="Shown to the constituent on their status page.")
    occurred_at: dt.datetime | None
    due_on: dt.date | None
    is_overdue: bool
    assignee: CaseStaffOut | None
    by: CaseStaffOut | None
    details: dict[str, Any]
    created_at: dt.datetime

    @staticmethod
    def resolve_is_overdue(obj: Any) -> bool:
        return obj.is_planned and obj.due_on is not None and obj.due_on < timezone.localdate()


class CaseActionIn(Schema):
    """Something done (logged now, or at `occurred_at`), or with `due_on` a to-do (tickler)."""

    kind: ActionKind = ActionKind.NOTE
    subject: str
    body: str = ""
    occurred_at: dt.datetime | None = Field(None, description="When it was done; default now.")
    is_public: bool = False
    due_on: dt.date | None = Field(None, description="Makes it a to-do due on that day.")
    assignee_id: int | None = Field(None, description="Whose to-do; default the case's assignee.")

    @model_validator(mode="after")
    def _done_or_planned(self) -> "CaseActionIn":
        if self.due_on is None:
            if self.kind not in LOGGABLE_KINDS:
                raise ValueError(
                    f"A {self.kind} is recorded by doing it, not logged by hand; log one of "
                    f"{', '.join(LOGGABLE_KINDS)}."
                )
            if self.assignee_id is not None:
                raise ValueError("Only a to-do (with due_on) has an assignee.")
        elif self.occurred_at is not None:
            raise ValueError("Send occurred_at for something done, or due_on for a to-do.")
        return self


class CaseActionCompleteIn(Schema):
    note: str = ""
    cancel: bool = Field(False, description="Cancel the to-do instead of ticking it off.")


# ---------------------------------------------------------------- documents


class CaseDocumentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    is_public: bool
    uploaded_by: CaseStaffOut | None
    created_at: dt.datetime


# ---------------------------------------------------------------- configuration


class CaseTypeOut(Schema):
    id: int
    name: str
    description: str
    is_sensitive: bool
    needs_privacy_release: bool
    target_days: int | None
    is_active: bool
    transitions: dict[CaseStatus, list[CaseStatus]] = Field(
        description="The workflow: from each status, where a case may go next."
    )

    @staticmethod
    def resolve_transitions(obj: Any) -> dict[str, list[str]]:
        return {status: obj.next_statuses(status) for status in CaseStatus.values}


class CaseTemplateStepOut(Schema):
    position: int
    title: str
    kind: ActionKind
    due_after_days: int


class CaseTemplateOut(Schema):
    id: int
    name: str
    case_type: CaseNamedRefOut
    steps: list[CaseTemplateStepOut]
    documents_needed: list[str]
    documents_due_after_days: int
    default_assignee: CaseStaffOut | None
    default_team: CaseNamedRefOut | None
    is_active: bool

    @staticmethod
    def resolve_steps(obj: Any) -> list:
        return list(obj.steps.all())
