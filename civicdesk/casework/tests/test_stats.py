import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services, stats
from civicdesk.casework.models import Case
from civicdesk.constituents.tests.conftest import make_person, make_tag, square_layer


def opened(case: Case, *, days_ago: float, closed_days_ago: float | None = None) -> Case:
    """Move a case's opening (and finishing) back in time, as if it had been worked on."""
    now = timezone.now()
    fields = {"opened_at": now - dt.timedelta(days=days_ago)}
    if closed_days_ago is not None:
        fields["closed_at"] = now - dt.timedelta(days=closed_days_ago)
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


@pytest.fixture
def desk(ward1, alice, bella, manny, john, housing, veterans, immigration) -> dict[str, Case]:
    """Ward 1's cases in every state: three open ones Alice may see, Bella's sensitive one she
    may not, and finished ones for the time to resolution."""

    def new(case_type, subject, assignee=None, status=None, resolution=""):
        case = services.open_case(ward1, by=manny, person=john, case_type=case_type,
                                  subject=subject, assignee=assignee)  # fmt: skip
        if status:
            case = services.change_status(case, by=manny, status=status, resolution=resolution)
        return case

    return {
        "leak": opened(new(housing, "Leak", alice), days_ago=3),
        "mold": opened(new(housing, "Mold", None, "waiting_agency"), days_ago=20),
        "pension": opened(new(veterans, "Pension", bella, "waiting_constituent"), days_ago=45),
        "visa": opened(new(immigration, "Visa", bella), days_ago=100),
        "heat": opened(new(housing, "Heat", alice, "resolved", "Fixed"), days_ago=10,
                       closed_days_ago=2),
        "rent": opened(new(housing, "Rent", None, "closed", "Paid"), days_ago=5,
                       closed_days_ago=3),
        "roof": opened(new(housing, "Roof", None, "resolved", "Done"), days_ago=40,
                       closed_days_ago=30),
        "gi_bill": opened(new(veterans, "GI Bill", None, "closed", "Paid"), days_ago=30,
                          closed_days_ago=26),
        "old": opened(new(veterans, "Old", None, "closed", "Long ago"), days_ago=300,
                      closed_days_ago=200),
    }  # fmt: skip


def figures(tallies) -> list[tuple[str, int]]:
    return [(t.label, t.count) for t in tallies]


def test_open_cases_by_status_type_age_and_assignee(desk, alice):
    assert figures(stats.open_by_status(alice)) == [
        ("Open", 1), ("Waiting on agency", 1), ("Waiting on constituent", 1),
    ]  # fmt: skip
    assert figures(stats.open_by_type(alice)) == [("Housing", 2), ("Veterans benefits", 1)]
    assert figures(stats.open_by_age(alice)) == [("0–7", 1), ("8–30", 1), ("31–90", 1), ("90+", 0)]
    assert figures(stats.open_by_assignee(alice)) == [
        ("Alice Alvarez", 1), ("Bella Brown", 1), ("Unassigned", 1),
    ]  # fmt: skip


def test_a_sensitive_case_counts_for_a_manager_only(desk, alice, manny):
    assert figures(stats.open_by_status(manny)) == [
        ("Open", 2), ("Waiting on agency", 1), ("Waiting on constituent", 1),
    ]  # fmt: skip
    assert figures(stats.open_by_type(manny)) == [
        ("Housing", 2), ("Immigration", 1), ("Veterans benefits", 1),
    ]  # fmt: skip
    assert figures(stats.open_by_age(manny))[-1] == ("90+", 1)
    assert figures(stats.open_by_assignee(manny))[0] == ("Bella Brown", 2)
    assert stats.case_counts(alice) == stats.CaseCounts(total=8, open=3, unassigned=1)
    assert stats.case_counts(manny) == stats.CaseCounts(total=9, open=4, unassigned=1)


def test_age_buckets_end_on_their_last_day(desk, alice):
    opened(desk["leak"], days_ago=7)
    opened(desk["mold"], days_ago=8)
    opened(desk["pension"], days_ago=91)

    assert figures(stats.open_by_age(alice)) == [("0–7", 1), ("8–30", 1), ("31–90", 0), ("90+", 1)]


def test_time_to_resolution_takes_the_cases_finished_in_the_period(desk, alice):
    since = timezone.now() - dt.timedelta(days=90)

    resolution = stats.resolution_times(alice, since=since)

    # Housing took 8, 2 and 10 days; veterans 4 (the case closed 200 days ago is left out).
    assert resolution.overall == stats.Durations("All types", 4, 6.0, 9.4)
    assert resolution.by_type == [
        stats.Durations("Housing", 3, 8.0, 9.6),
        stats.Durations("Veterans benefits", 1, 4.0, 4.0),
    ]


def test_time_to_resolution_of_an_empty_period_is_none(desk, alice):
    resolution = stats.resolution_times(alice, since=timezone.now() - dt.timedelta(days=1))
    assert (resolution.overall, resolution.by_type) == (None, [])


def test_percentiles_interpolate_between_ranks():
    assert stats.percentile([10, 2, 8, 4], 0.5) == 6
    assert stats.percentile([7], 0.9) == 7
    assert stats.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == pytest.approx(9.1)


def test_opened_and_finished_per_week_in_the_offices_time_zone(desk, alice, ward1):
    ward1.time_zone = "America/New_York"
    ward1.save()
    alice.office.refresh_from_db()
    wednesday = dt.date(2025, 6, 11)
    zone = stats.office_zone(ward1)
    at = lambda day, hour: dt.datetime.combine(day, dt.time(hour), tzinfo=zone)  # noqa: E731
    Case.objects.filter(pk=desk["leak"].pk).update(opened_at=at(dt.date(2025, 6, 9), 0))
    # Sunday 11pm in New York is Monday in UTC: it still counts for the week before.
    Case.objects.filter(pk=desk["mold"].pk).update(opened_at=at(dt.date(2025, 6, 8), 23))
    Case.objects.filter(pk=desk["heat"].pk).update(
        opened_at=at(dt.date(2025, 3, 20), 9), closed_at=at(dt.date(2025, 6, 10), 9)
    )

    weeks = stats.weekly_flow(alice, today=wednesday)

    assert len(weeks) == 12
    assert (weeks[0].starts_on, weeks[-1].starts_on) == (dt.date(2025, 3, 24), dt.date(2025, 6, 9))
    assert [(w.opened, w.closed) for w in weeks[-2:]] == [(1, 0), (1, 1)]
    assert sum(w.opened for w in weeks) == 2  # heat opened before the first week shown


def test_cases_by_district_and_tag_in_the_period(ward1, manny, housing):
    layer, south, north = square_layer(ward1)
    potholes, parks = make_tag(ward1, "Potholes"), make_tag(ward1, "Parks")
    southerner = make_person(ward1, "Sam", "South",
                             address={"line1": "1 Main St", "latitude": 38.905, "longitude": -77.025})  # fmt: skip
    northerner = make_person(ward1, "Nia", "North",
                             address={"line1": "2 Main St", "latitude": 38.915, "longitude": -77.025})  # fmt: skip
    nowhere = make_person(ward1, "Noa", "Where")

    def new(person, *tags, days_ago=1):
        case = services.open_case(ward1, by=manny, person=person, case_type=housing,
                                  subject="Street", tag_ids=[t.pk for t in tags])  # fmt: skip
        return opened(case, days_ago=days_ago)

    new(southerner, potholes)
    new(southerner, potholes, parks)
    new(northerner, parks)
    new(nowhere)
    new(northerner, potholes, days_ago=40)  # before the period
    since = timezone.now() - dt.timedelta(days=30)

    [ward] = stats.by_district(manny, since=since)

    assert (ward.layer, figures(ward.rows), ward.outside) == (
        "Ward",
        [("South", 2), ("North", 1)],
        1,
    )
    assert figures(stats.by_tag(manny, since=since)) == [("Parks", 2), ("Potholes", 2)]


def test_another_offices_cases_count_nowhere(desk, carol, wren_case):
    assert stats.case_counts(carol) == stats.CaseCounts(total=1, open=1, unassigned=1)
    assert figures(stats.open_by_type(carol)) == [("Housing", 1)]


def test_the_export_needs_its_permission_and_records_nothing_without_it(desk, alice):
    with pytest.raises(PermissionDenied):
        stats.export_cases(alice)
    assert AuditEvent.objects.filter(action="case.exported").count() == 0


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+1 202", "'+1 202"), ("-2", "'-2"), ("@cmd", "'@cmd"),
     ("\tx", "'\tx"), ("Plain", "Plain"), ("a=b", "a=b"), (3, 3)],
)  # fmt: skip
def test_a_cell_that_would_be_a_formula_is_quoted(value, cell):
    assert stats.safe_cell(value) == cell
