"""The case reports page (charts, each with its numbers in a table) and the CSV export of the
cases a member may see. Figures come from stats.py; the charts are drawn by reports.js from
json_script data (the CSP forbids inline scripts)."""

import csv
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civicdesk.accounts.models import Membership
from civicdesk.casework import stats
from civicdesk.core.access import require_member

# Bars beyond these are in the table only: a chart of 200 tags says nothing.
CHART_BARS = 20


@dataclass
class Series:
    label: str
    values: list[float]


@dataclass
class Chart:
    """One chart of the page: what reports.js draws and what its table of numbers shows."""

    key: str
    title: str
    kind: str  # bar, line or doughnut
    labels: list[str]
    series: list[Series]
    label_heading: str
    horizontal: bool = False
    note: str = ""
    extra_rows: list[tuple[str, list[Any]]] = field(default_factory=list)  # table only

    @property
    def data_id(self) -> str:
        return f"chart-{self.key}-data"

    @property
    def is_empty(self) -> bool:
        return not any(any(s.values) for s in self.series)

    @property
    def rows(self) -> list[tuple[str, list[Any]]]:
        values = [list(column) for column in zip(*(s.values for s in self.series), strict=True)]
        return [*zip(self.labels, values, strict=True), *self.extra_rows]

    @property
    def data(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "horizontal": self.horizontal,
            "labels": self.labels[:CHART_BARS] if self.kind == "bar" else self.labels,
            "datasets": [
                {
                    "label": s.label,
                    "data": s.values[:CHART_BARS] if self.kind == "bar" else s.values,
                }
                for s in self.series
            ],
        }


def tally_chart(key: str, title: str, tallies: list[stats.Tally], heading: str, **kw) -> Chart:
    return Chart(
        key, title, kw.pop("kind", "bar"), [t.label for t in tallies],
        [Series(_("Cases"), [t.count for t in tallies])], heading, **kw,
    )  # fmt: skip


def status_chart(member: Membership) -> Chart:
    """Open cases by status: the reports page's and the dashboard's chart."""
    return tally_chart(
        "status", _("Open cases by status"), stats.open_by_status(member), _("Status"),
        kind="doughnut",
    )  # fmt: skip


def _period(request: HttpRequest) -> int:
    value = request.GET.get("days", "")
    return int(value) if value.isdigit() and int(value) in stats.PERIODS else stats.PERIODS[0]


def report_charts(member: Membership, *, days: int) -> tuple[list[Chart], list[Chart]]:
    """(charts of the open cases now, charts of the period)."""
    office = member.office
    today = stats.local_today(office)
    since = stats.start_of_day(office, today - dt.timedelta(days=days - 1))
    weeks = stats.weekly_flow(member, today=today)
    now_charts = [
        status_chart(member),
        tally_chart("type", _("Open cases by type"), stats.open_by_type(member), _("Case type"),
                    horizontal=True),
        tally_chart("age", _("Open cases by age (days)"), stats.open_by_age(member, today=today),
                    _("Days open")),
        tally_chart("assignee", _("Open cases by assignee"), stats.open_by_assignee(member),
                    _("Assignee"), horizontal=True),
        Chart(
            "weeks", _("Cases opened and finished per week"), "line",
            [date_format(week.starts_on, "j M") for week in weeks],
            [Series(_("Opened"), [w.opened for w in weeks]),
             Series(_("Finished"), [w.closed for w in weeks])],
            _("Week of"), note=_("The last 12 weeks, this one included."),
        ),
    ]  # fmt: skip
    period_charts = [
        tally_chart("tags", _("Cases opened in the period, by tag"),
                    stats.by_tag(member, since=since), _("Tag"), horizontal=True),
    ]  # fmt: skip
    for i, layer in enumerate(stats.by_district(member, since=since)):
        chart = tally_chart(
            f"district-{i}",
            _("Cases opened in the period, by %(layer)s") % {"layer": layer.layer},
            layer.rows, layer.layer, horizontal=True,
        )  # fmt: skip
        if layer.outside:
            chart.extra_rows.append((_("Outside every district"), [layer.outside]))
        period_charts.append(chart)
    return now_charts, period_charts


@require_GET
@require_member("case.report")
def reports(request: HttpRequest) -> HttpResponse:
    member = request.member
    days = _period(request)
    today = stats.local_today(member.office)
    since = stats.start_of_day(member.office, today - dt.timedelta(days=days - 1))
    now_charts, period_charts = report_charts(member, days=days)
    context = {
        "days": days,
        "periods": sorted(stats.PERIODS),
        "now_charts": now_charts,
        "period_charts": period_charts,
        "resolution": stats.resolution_times(member, since=since),
    }
    return render(request, "casework/reports.html", context)


class _Echo:
    """A file that hands back what is written: csv.writer writes one row into it at a time."""

    def write(self, value: str) -> str:
        return value


@require_GET
@require_member("case.export")
def cases_export(request: HttpRequest) -> StreamingHttpResponse:
    """Every case the member may see as CSV, streamed; audited once with the row count."""
    member = request.member
    _count, rows = stats.export_cases(member)
    writer = csv.writer(_Echo())
    today = stats.local_today(member.office)
    filename = f"cases-{slugify(member.office.slug) or 'office'}-{today.isoformat()}.csv"
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("reports/", reports, name="reports"),
    path("reports/export.csv", cases_export, name="cases-export"),
]
