from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from civicdesk.accounts.models import ApiToken, Invitation, Membership, Office
from civicdesk.constituents.models import Person
from civicdesk.demo.tests.conftest import DEMO_PEOPLE
from civicdesk.jobs.models import Job


def build(seed: int) -> dict:
    out = StringIO()
    call_command("demo", seed=seed, stdout=out)
    office = Office.objects.get(slug=f"demo-{seed}")
    members = Membership.objects.filter(office=office).order_by("user__email")
    return {
        "output": out.getvalue(),
        "office": (office.name, office.kind, office.jurisdiction, office.time_zone, office.address),
        "staff": [(m.user.email, m.user.full_name, m.role) for m in members],
        "invited": list(Invitation.objects.filter(office=office).values_list("email", "role")),
        "people": list(
            Person.objects.for_office(office)
            .order_by("last_name", "first_name", "pk")
            .values_list("first_name", "last_name")
        ),
    }


def test_the_same_seed_builds_the_same_office(db):
    with transaction.atomic():
        first = build(3)
        transaction.set_rollback(True)  # as if on a fresh database
    assert Office.objects.count() == 0

    second = build(3)

    assert second == first
    assert second["output"] == (f"built demo office demo-3 ({second['office'][0]}) with 7 staff\n")
    assert sorted(role for _email, _name, role in second["staff"]) == [
        "caseworker", "caseworker", "correspondent", "manager", "outreach", "viewer", "volunteer",
    ]  # fmt: skip
    assert len(second["people"]) == DEMO_PEOPLE


def test_a_demo_office_has_a_token_an_invitation_and_a_verified_log(db):
    build(4)

    office = Office.objects.get(slug="demo-4")
    assert ApiToken.objects.filter(office=office, membership__role="manager").count() == 1
    assert Invitation.objects.filter(office=office, accepted_at=None).count() == 1
    job = Job.objects.get(office=office, kind="audit.verify")
    assert (job.kind, job.state, job.result["ok"]) == ("audit.verify", "succeeded", True)


def test_building_the_same_seed_twice_is_refused(db):
    build(5)

    with pytest.raises(
        CommandError, match=r"The demo office for seed 5 \(demo-5\) already exists."
    ):
        call_command("demo", seed=5)

    assert Office.objects.count() == 1


def test_the_demo_audit_log_verifies(db):
    build(6)
    out = StringIO()

    call_command("audit", "verify", stdout=out)

    assert out.getvalue().startswith("demo-6: ok — ")
    assert out.getvalue().endswith(" events, chain intact\n")
