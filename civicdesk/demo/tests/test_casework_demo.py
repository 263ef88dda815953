from io import StringIO

from django.core.management import call_command

from civicdesk.accounts.models import Office
from civicdesk.audit.models import AuditEvent
from civicdesk.casework.models import Case, CaseCounter, CaseType
from civicdesk.demo.services import build_demo_office
from civicdesk.demo.tests.conftest import DEMO_PEOPLE


def test_the_demo_office_has_a_case_for_every_four_people(db):
    call_command("demo", seed=8, stdout=StringIO())

    office = Office.objects.get(slug="demo-8")
    cases = Case.objects.for_office(office)
    assert cases.count() == DEMO_PEOPLE // 4 == 10
    assert sorted(cases.values_list("number", flat=True)) == list(range(1, 11))
    assert CaseCounter.objects.get(office=office).last_number == 10
    assert CaseType.objects.for_office(office).count() == 8
    loaded = AuditEvent.objects.get(office=office, action="demo.cases_loaded")
    assert loaded.changes["cases"] == [None, 10]


def test_the_number_of_cases_can_be_chosen_and_each_part_is_reported(db):
    lines = []

    result = build_demo_office(seed=9, people=DEMO_PEOPLE, cases=25, progress=lines.append)

    assert (result.people_count, result.case_count, result.staff_count) == (DEMO_PEOPLE, 25, 7)
    assert Case.objects.for_office(result.office).count() == 25
    assert [line.split(",")[0] for line in lines] == [f"  {DEMO_PEOPLE} people", "  25 cases"]
