"""Figures about an office's cases: the reports page, the status board, "My work" counts, the
dashboard's tiles and chart, and the CSV export. Every figure starts from `visible_cases`, so a
sensitive case counts only for those who may see it. Days and weeks are the office's own (its
time zone), whatever the server's."""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office

from . import queries
from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseDistrict,
    CaseStatus,
    CaseTag,
)
from .queries import visible_cases

# The periods (days back from today) the reports page offers; the first is the default.
PERIODS = (90, 30, 365)
# Open cases by age in days: (label, youngest, oldest or None).
AGE_BUCKETS = (("0–7", 0, 7), ("8–30", 8, 30), ("31–90", 31, 90), ("90+", 91, None))
WEEKS_SHOWN = 12
# The status board shows the cases finished this recently in its "Resolved" column.
BOARD_RESOLVED_DAYS = 30
BOARD_OPEN_COLUMNS = (CaseStatus.OPEN, CaseStatus.WAITING_AGENCY, CaseStatus.WAITING_CONSTITUENT)
EXPORT_CHUNK = 500
EXPORT_COLUMNS = (
    "reference", "type", "status", "priority", "subject", "constituent", "assignee", "team",
    "agency", "opened", "closed", "due", "days_open", "districts", "tags",
)  # fmt: skip
# A spreadsheet runs a cell starting with these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------- days in the office's time zone


def office_zone(office: Office) -> ZoneInfo:
    return ZoneInfo(office.time_zone or "UTC")


def local_today(office: Office, now: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(now or timezone.now(), office_zone(office)).date()


def start_of_day(office: Office, day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the office's time zone, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=office_zone(office))


# ---------------------------------------------------------------- counts of open cases


@dataclass(frozen=True)
class Tally:
    """One bar of a chart: what is counted and how many."""

    label: str
    count: int


def _open_cases(member: Membership) -> QuerySet[Case]:
    return visible_cases(member).filter(status__in=OPEN_STATUSES)


def open_by_status(member: Membership) -> list[Tally]:
    """Open cases per open status, in workflow order, zeros included."""
    counts = dict(
        _open_cases(member).values_list("status").annotate(n=Count("pk")).order_by("status")
    )
    return [Tally(str(status.label), counts.get(status, 0)) for status in BOARD_OPEN_COLUMNS]


def open_by_type(member: Membership) -> list[Tally]:
    """Open cases per case type, most first (types with none are left out)."""
    rows = (
        _open_cases(member)
        .values_list("case_type__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "case_type__name")
    )
    return [Tally(name, n) for name, n in rows]


def open_by_age(member: Membership, *, today: dt.date | None = None) -> list[Tally]:
    """Open cases by days since they were opened, in AGE_BUCKETS (one query)."""
    office = member.office
    today = today or local_today(office)
    conditions = {}
    for label, youngest, oldest in AGE_BUCKETS:
        # Opened on or before today - youngest days, and after today - (oldest + 1) days.
        condition = Q(opened_at__lt=start_of_day(office, today - dt.timedelta(days=youngest - 1)))
        if oldest is not None:
            condition &= Q(opened_at__gte=start_of_day(office, today - dt.timedelta(days=oldest)))
        conditions[label] = condition
    counts = _open_cases(member).aggregate(
        **{f"bucket_{i}": Count("pk", filter=cond) for i, cond in enumerate(conditions.values())}
    )
    return [Tally(label, counts[f"bucket_{i}"]) for i, label in enumerate(conditions)]


def open_by_assignee(member: Membership) -> list[Tally]:
    """Open cases per assignee, most first, then "Unassigned" (always shown)."""
    rows = dict(
        _open_cases(member).values_list("assignee").annotate(n=Count("pk")).order_by("assignee")
    )
    unassigned = rows.pop(None, 0)
    names = {
        m.pk: m.user.display_name
        for m in Membership.objects.filter(pk__in=list(rows)).select_related("user")
    }
    named = sorted(((names[pk], n) for pk, n in rows.items()), key=lambda r: (-r[1], r[0].lower()))
    return [*(Tally(name, n) for name, n in named), Tally(_("Unassigned"), unassigned)]


# ---------------------------------------------------------------- time to resolution


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` percentile by linear interpolation between the closest ranks (what
    PostgreSQL's percentile_cont gives), computed here so that SQLite gives the same."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class Durations:
    """How long finished cases took, in days."""

    label: str
    count: int
    median_days: float
    p90_days: float

    @classmethod
    def of(cls, label: str, days: Sequence[float]) -> "Durations":
        return cls(
            label, len(days), round(percentile(days, 0.5), 1), round(percentile(days, 0.9), 1)
        )


@dataclass(frozen=True)
class Resolution:
    overall: Durations | None  # None: nothing finished in the period
    by_type: list[Durations]


def resolution_times(member: Membership, *, since: dt.datetime) -> Resolution:
    """Days from opening to finishing (resolved or closed) of the cases finished since `since`:
    median and 90th percentile, overall and per case type (busiest type first)."""
    rows = (
        visible_cases(member)
        .filter(status__in=CLOSED_STATUSES, closed_at__gte=since)
        .values_list("case_type__name", "opened_at", "closed_at")
    )
    per_type: dict[str, list[float]] = defaultdict(list)
    for type_name, opened_at, closed_at in rows:
        per_type[type_name].append(max((closed_at - opened_at).total_seconds(), 0) / 86400)
    every = [days for durations in per_type.values() for days in durations]
    by_type = [Durations.of(name, days) for name, days in per_type.items()]
    by_type.sort(key=lambda d: (-d.count, d.label.lower()))
    return Resolution(Durations.of(_("All types"), every) if every else None, by_type)


# ---------------------------------------------------------------- opened and closed per week


@dataclass(frozen=True)
class Week:
    starts_on: dt.date  # a Monday
    opened: int
    closed: int


def weekly_flow(
    member: Membership, *, weeks: int = WEEKS_SHOWN, today: dt.date | None = None
) -> list[Week]:
    """Cases opened and cases finished per week (Monday to Sunday, office time), the last
    `weeks` weeks, this one included; weeks with none are zeros."""
    office = member.office
    today = today or local_today(office)
    first = today - dt.timedelta(days=today.weekday(), weeks=weeks - 1)
    since = start_of_day(office, first)
    zone = office_zone(office)

    def per_week(queryset: QuerySet[Case], column: str) -> dict[dt.date, int]:
        rows = (
            queryset.filter(**{f"{column}__gte": since})
            .annotate(week=TruncWeek(column, tzinfo=zone))
            .values_list("week")
            .annotate(n=Count("pk"))
            .order_by("week")
        )
        return {week.date() if isinstance(week, dt.datetime) else week: n for week, n in rows}

    cases = visible_cases(member)
    opened = per_week(cases, "opened_at")
    closed = per_week(cases.filter(status__in=CLOSED_STATUSES), "closed_at")
    mondays = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    return [Week(day, opened.get(day, 0), closed.get(day, 0)) for day in mondays]


# ---------------------------------------------------------------- districts and tags


@dataclass(frozen=True)
class LayerCounts:
    """Cases per district of one district layer; `outside` counts those in none of them."""

    layer: str
    rows: list[Tally]
    outside: int


def _opened_since(member: Membership, since: dt.datetime) -> QuerySet[Case]:
    return visible_cases(member).filter(opened_at__gte=since)


def by_district(member: Membership, *, since: dt.datetime) -> list[LayerCounts]:
    """Cases opened since `since`, per district, one list per district layer."""
    cases = _opened_since(member, since)
    total = cases.count()
    links = CaseDistrict.objects.filter(office=member.office, case__in=cases)
    rows = (
        links.values_list("district__layer", "district__layer__name", "district__name")
        .annotate(n=Count("case", distinct=True))
        .order_by("district__layer__name", "district__layer", "-n", "district__name")
    )
    placed = dict(
        links.values_list("district__layer")
        .annotate(n=Count("case", distinct=True))
        .order_by("district__layer")
    )
    layers: dict[int, LayerCounts] = {}
    for layer_id, layer_name, district_name, n in rows:
        if layer_id not in layers:
            layers[layer_id] = LayerCounts(layer_name, [], total - placed[layer_id])
        layers[layer_id].rows.append(Tally(district_name, n))
    return list(layers.values())


def by_tag(member: Membership, *, since: dt.datetime) -> list[Tally]:
    """Cases opened since `since`, per tag, most first."""
    rows = (
        CaseTag.objects.filter(office=member.office, case__in=_opened_since(member, since))
        .values_list("tag__path")
        .annotate(n=Count("case", distinct=True))
        .order_by("-n", "tag__path")
    )
    return [Tally(path, n) for path, n in rows]


# ---------------------------------------------------------------- the dashboard


@dataclass(frozen=True)
class WorkCounts:
    due_today: int
    overdue: int

    @property
    def due_now(self) -> int:
        return self.due_today + self.overdue


def work_counts(member: Membership, *, today: dt.date | None = None) -> WorkCounts:
    """How many of the member's ticklers (on open cases) are due today and overdue: the
    same ones as "My work" and the daily digest."""
    today = today or local_today(member.office)
    counts = (
        queries.my_todos(member)
        .filter(due_on__lte=today)
        .aggregate(
            today=Count("pk", filter=Q(due_on=today)),
            overdue=Count("pk", filter=Q(due_on__lt=today)),
        )
    )
    return WorkCounts(counts["today"], counts["overdue"])


@dataclass(frozen=True)
class CaseCounts:
    total: int  # every visible case, open or not
    open: int
    unassigned: int  # open and nobody's


def case_counts(member: Membership) -> CaseCounts:
    is_open = Q(status__in=OPEN_STATUSES)
    counts = visible_cases(member).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=is_open),
        unassigned=Count("pk", filter=is_open & Q(assignee__isnull=True)),
    )
    return CaseCounts(counts["total"], counts["open"], counts["unassigned"])


# ---------------------------------------------------------------- "My work" and the board


def my_cases_due(member: Membership, *, today: dt.date, within_days: int = 7) -> list[Case]:
    """The member's open cases due within `within_days` days or already past due."""
    return list(
        visible_cases(member)
        .filter(
            assignee=member,
            status__in=OPEN_STATUSES,
            due_on__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("primary_person", "case_type")
        .defer("description", "resolution", "primary_person__search_text")
        .order_by("due_on", "number")
    )


@dataclass
class BoardColumn:
    status: str
    title: str
    total: int
    cards: list[Case] = field(default_factory=list)
    more_url: str = ""  # the case list with every case of the column (set by the page)

    @property
    def more(self) -> int:
        return self.total - len(self.cards)


def board(
    member: Membership,
    *,
    assignee_id: int | None = None,
    unassigned: bool = False,
    team_id: int | None = None,
    case_type_id: int | None = None,
    cap: int = 50,
    now: dt.datetime | None = None,
) -> list[BoardColumn]:
    """The status board: a column per open status and one of the cases resolved in the last
    BOARD_RESOLVED_DAYS days, each with its first `cap` cards (urgent and soonest due first)
    and its full count."""
    now = now or timezone.now()
    cases = visible_cases(member)
    if unassigned:
        cases = cases.filter(assignee__isnull=True)
    exact = {"assignee_id": assignee_id, "team_id": team_id, "case_type_id": case_type_id}
    cases = cases.filter(**{k: v for k, v in exact.items() if v is not None})
    recent = Q(
        status=CaseStatus.RESOLVED, closed_at__gte=now - dt.timedelta(days=BOARD_RESOLVED_DAYS)
    )
    conditions = {status: Q(status=status) for status in BOARD_OPEN_COLUMNS}
    conditions[CaseStatus.RESOLVED] = recent
    totals = cases.aggregate(**{status: Count("pk", filter=q) for status, q in conditions.items()})
    cards = cases.select_related("primary_person", "assignee__user", "case_type").defer(
        "description", "resolution", "primary_person__search_text"
    )
    columns = []
    for status, condition in conditions.items():
        order = (
            [F("closed_at").desc(), "-number"]
            if status == CaseStatus.RESOLVED
            else ["-priority", F("due_on").asc(nulls_last=True), "number"]
        )
        column = BoardColumn(status, str(CaseStatus(status).label), totals[status])
        if column.total:
            column.cards = list(cards.filter(condition).order_by(*order)[:cap])
        columns.append(column)
    return columns


# ---------------------------------------------------------------- the CSV export


def safe_cell(value: object) -> object:
    """A cell a spreadsheet will show as text, never run: a leading ' before a formula start."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _export_row(case: Case, office: Office, today: dt.date) -> list[object]:
    zone = office_zone(office)
    opened_on = timezone.localtime(case.opened_at, zone).date()
    closed_on = timezone.localtime(case.closed_at, zone).date() if case.closed_at else None
    districts = sorted(f"{d.layer.name}: {d.name}" for d in case.districts.all())
    row = [
        case.reference,
        case.case_type.name,
        case.get_status_display(),
        case.get_priority_display(),
        case.subject,
        case.primary_person.display_name,
        case.assignee.user.display_name if case.assignee else "",
        case.team.name if case.team else "",
        case.agency.name if case.agency else "",
        opened_on.isoformat(),
        closed_on.isoformat() if closed_on else "",
        case.due_on.isoformat() if case.due_on else "",
        ((closed_on or today) - opened_on).days,
        "; ".join(districts),
        "; ".join(sorted(tag.path for tag in case.tags.all())),
    ]
    return [safe_cell(str(value)) if isinstance(value, str) else value for value in row]


def export_cases(member: Membership) -> tuple[int, Iterator[list[object]]]:
    """Every case the member may see, one row each (EXPORT_COLUMNS first), for a CSV file.
    Refuses (PermissionDenied) without "case.export"; records "case.exported" with the row
    count before the first row. The rows are read in chunks of ids taken up front, so the
    export holds no cursor open while it is streamed."""
    if not member.can("case.export"):
        raise PermissionDenied
    office = member.office
    ids = list(visible_cases(member).order_by("number").values_list("pk", flat=True))
    audit.record(member, "case.exported", None, office=office, changes={"rows": [None, len(ids)]})
    today = local_today(office)

    def rows() -> Iterator[list[object]]:
        yield list(EXPORT_COLUMNS)
        for start in range(0, len(ids), EXPORT_CHUNK):
            chunk = (
                Case.objects.filter(office=office, pk__in=ids[start : start + EXPORT_CHUNK])
                .select_related("case_type", "primary_person", "assignee__user", "team", "agency")
                .prefetch_related("districts__layer", "tags")
                .defer("description", "resolution", "primary_person__search_text")
                .order_by("number")
            )
            for case in chunk:
                yield _export_row(case, office, today)

    return len(ids), rows()
