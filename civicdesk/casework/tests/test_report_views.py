import csv
import datetime as dt
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from civicdesk.accounts.permissions import Role
from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services, stats
from civicdesk.casework.models import Case
from civicdesk.constituents.tests.conftest import make_person, make_tag, square_layer
from conftest import make_member

REPORTS = reverse("casework:reports")
EXPORT = reverse("casework:cases-export")


@pytest.fixture
def viewer(ward1):
    return make_member(ward1, "vera@ward1.example", Role.VIEWER, "Vera Viewer")


def finish(case: Case, *, by, took_days: int, days_ago: int = 1) -> Case:
    case = services.change_status(case, by=by, status="resolved", resolution="Done")
    closed_at = timezone.now() - dt.timedelta(days=days_ago)
    Case.objects.filter(pk=case.pk).update(
        opened_at=closed_at - dt.timedelta(days=took_days), closed_at=closed_at
    )
    return case


def chart(response, key: str):
    charts = response.context["now_charts"] + response.context["period_charts"]
    return next(c for c in charts if c.key == key)


# ---------------------------------------------------------------- the reports page


def test_the_reports_page_charts_the_open_cases_with_their_numbers(web, manny, case, alice,
                                                                   ward1, john, housing):  # fmt: skip
    services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Leak")

    response = web(manny).get(REPORTS)

    assert response.status_code == 200
    status = chart(response, "status")
    assert (status.kind, status.labels, status.series[0].values) == (
        "doughnut",
        ["Open", "Waiting on agency", "Waiting on constituent"],
        [2, 0, 0],
    )
    assert chart(response, "assignee").rows == [("Alice Alvarez", [1]), ("Unassigned", [1])]
    data = response.text.split('id="chart-type-data" type="application/json">')[1]
    assert json.loads(data.split("</script>")[0]) == {
        "type": "bar",
        "horizontal": True,
        "labels": ["Housing", "Veterans benefits"],
        "datasets": [{"label": "Cases", "data": [1, 1]}],
    }
    assert 'data-chart="chart-type-data"' in response.text
    assert "Show the numbers" in response.text
    assert "vendor/chartjs/chart.umd.min.js" in response.text
    assert "casework/reports.js" in response.text


def test_the_period_decides_which_finished_cases_are_timed(web, manny, ward1, alice, john,
                                                           housing):  # fmt: skip
    def new(subject):
        return services.open_case(ward1, by=alice, person=john, case_type=housing, subject=subject)

    finish(new("Recent"), by=alice, took_days=4, days_ago=10)
    finish(new("Older"), by=alice, took_days=10, days_ago=60)
    finish(new("Oldest"), by=alice, took_days=30, days_ago=200)
    client = web(manny)

    last_30 = client.get(REPORTS, {"days": "30"}).context["resolution"]
    last_90 = client.get(REPORTS).context["resolution"]
    last_365 = client.get(REPORTS, {"days": "365"}).context["resolution"]
    unknown = client.get(REPORTS, {"days": "7"})

    assert last_30.overall == stats.Durations("All types", 1, 4.0, 4.0)
    assert last_90.overall == stats.Durations("All types", 2, 7.0, 9.4)
    assert last_365.overall == stats.Durations("All types", 3, 10.0, 26.0)
    assert unknown.context["days"] == 90


def test_districts_and_tags_of_the_period_have_their_charts(web, manny, ward1, alice, housing):
    square_layer(ward1)
    parks = make_tag(ward1, "Parks")
    southerner = make_person(ward1, "Sam", "South",
                             address={"line1": "1 Main St", "latitude": 38.905, "longitude": -77.025})  # fmt: skip
    services.open_case(ward1, by=alice, person=southerner, case_type=housing, subject="Trees",
                       tag_ids=[parks.pk])  # fmt: skip
    services.open_case(ward1, by=alice, person=make_person(ward1, "No", "Where"),
                       case_type=housing, subject="Benches")  # fmt: skip

    response = web(manny).get(REPORTS)

    assert chart(response, "tags").rows == [("Parks", [1])]
    ward = chart(response, "district-0")
    assert (ward.title, ward.rows) == (
        "Cases opened in the period, by Ward",
        [("South", [1]), ("Outside every district", [1])],
    )


def test_an_office_without_cases_gets_empty_charts(web, manny):
    response = web(manny).get(REPORTS)

    assert response.status_code == 200
    assert "No cases to count." in response.text
    assert "No case was finished in the period." in response.text


def test_who_may_read_the_reports(web, manny, viewer, alice, victor):
    answers = {
        m.user.email: web(m).get(REPORTS).status_code for m in (manny, viewer, alice, victor)
    }
    assert answers == {
        "manny@ward1.example": 200, "vera@ward1.example": 200,
        "alice@ward1.example": 403, "victor@ward1.example": 403,
    }  # fmt: skip


def test_only_those_who_may_export_see_the_export_button(web, manny, viewer):
    assert EXPORT in web(manny).get(REPORTS).text
    assert EXPORT not in web(viewer).get(REPORTS).text


# ---------------------------------------------------------------- the CSV export


def read_csv(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_the_export_has_a_row_per_case_with_every_column(web, manny, case, alice, ward1, john,
                                                         housing):  # fmt: skip
    square_layer(ward1)
    potholes, parks = make_tag(ward1, "Potholes"), make_tag(ward1, "Parks")
    southerner = make_person(ward1, "Sam", "South",
                             address={"line1": "1 Main St", "latitude": 38.905, "longitude": -77.025})  # fmt: skip
    team = services.save_team(ward1, by=None, name="Housing desk", member_ids=[])
    trees = services.open_case(
        ward1, by=alice, person=southerner, case_type=housing, subject="Trees", priority=3,
        team=team, due_on=dt.date(2026, 1, 31), tag_ids=[potholes.pk, parks.pk],
    )  # fmt: skip
    finish(trees, by=alice, took_days=6)
    today = stats.local_today(ward1)
    opened_on = lambda c: timezone.localtime(Case.objects.get(pk=c.pk).opened_at).date()  # noqa: E731

    response = web(manny).get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="cases-ward-1-{today.isoformat()}.csv"'
    )
    assert read_csv(response) == [
        list(stats.EXPORT_COLUMNS),
        ["C-1", "Veterans benefits", "Open", "Normal", "Disability claim delayed", "John Smith",
         "Alice Alvarez", "", "Department of Veterans Affairs", opened_on(case).isoformat(), "",
         "", "0", "", ""],
        ["C-2", "Housing", "Resolved", "High", "Trees", "Sam South", "", "Housing desk", "",
         opened_on(trees).isoformat(), (today - dt.timedelta(days=1)).isoformat(), "2026-01-31",
         "6", "Ward: South", "Parks; Potholes"],
    ]  # fmt: skip


def test_the_export_is_audited_once_with_its_row_count(web, manny, case, wren_case):
    response = web(manny).get(EXPORT)
    rows = read_csv(response)

    [event] = AuditEvent.objects.filter(action="case.exported")
    assert (len(rows), event.office_id, event.actor_id, event.changes) == (
        2,
        manny.office_id,
        manny.pk,
        {"rows": [None, 1]},
    )


def test_cells_that_would_run_as_formulas_are_quoted(web, manny, ward1, alice, housing):
    person = make_person(ward1, "=cmd|' /C calc'!A0", "@Smith")
    services.open_case(ward1, by=alice, person=person, case_type=housing,
                       subject='=HYPERLINK("http://evil.example","Click")')  # fmt: skip

    [_header, row] = read_csv(web(manny).get(EXPORT))

    assert row[4] == '\'=HYPERLINK("http://evil.example","Click")'
    assert row[5] == "'=cmd|' /C calc'!A0 @Smith"


def test_the_export_reads_the_cases_in_chunks(web, manny, ward1, alice, john, housing,
                                              monkeypatch):  # fmt: skip
    monkeypatch.setattr(stats, "EXPORT_CHUNK", 2)
    for n in range(5):
        services.open_case(ward1, by=alice, person=john, case_type=housing, subject=f"Case {n}")

    rows = read_csv(web(manny).get(EXPORT))

    assert [row[0] for row in rows[1:]] == ["C-1", "C-2", "C-3", "C-4", "C-5"]


def test_a_sensitive_case_is_exported_for_a_manager(web, manny, ward1, alice, bella, john,
                                                    immigration):  # fmt: skip
    services.open_case(ward1, by=bella, person=john, case_type=immigration, subject="Asylum",
                       assignee=bella)  # fmt: skip

    [_header, row] = read_csv(web(manny).get(EXPORT))

    assert row[:5] == ["C-1", "Immigration", "Open", "Normal", "Asylum"]


def test_those_who_may_not_export_get_403_and_nothing_is_audited(web, alice, viewer, victor, case):
    answers = [web(m).get(EXPORT).status_code for m in (alice, viewer, victor)]

    assert answers == [403, 403, 403]
    assert AuditEvent.objects.filter(action="case.exported").count() == 0


def test_another_offices_export_has_none_of_our_cases(web, dora, case, wren_case):
    rows = read_csv(web(dora).get(EXPORT))
    assert [row[4] for row in rows[1:]] == ["Heat"]
