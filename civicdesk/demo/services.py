"""Build a deterministic demo office: the same seed gives the same office, staff and history."""

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from civicdesk.accounts.models import Membership, Office, OfficeKind
from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import (
    add_member,
    create_api_token,
    create_office,
    invite_member,
    update_office,
)
from civicdesk.casework.demo import build_demo_cases
from civicdesk.constituents.demo import build_people
from civicdesk.jobs.models import Job
from civicdesk.jobs.services import claim_job, run_claimed_job

FIRST_NAMES = [
    "Maria",
    "James",
    "Aisha",
    "Daniel",
    "Priya",
    "Luis",
    "Grace",
    "Samuel",
    "Mei",
    "Omar",
    "Hannah",
    "Tomás",
    "Keisha",
    "Viktor",
    "Nadia",
    "Robert",
]
LAST_NAMES = [
    "Alvarez",
    "Okafor",
    "Chen",
    "Johnson",
    "Patel",
    "Nguyen",
    "Romero",
    "Williams",
    "Kowalski",
    "Haddad",
    "Brennan",
    "Sato",
    "Mensah",
    "Dubois",
    "Foster",
    "Ibrahim",
]
WARDS = [
    (
        "Ward 3 — Council Member {last}",
        OfficeKind.COUNCIL_MEMBER,
        "City of Riverton, Ward 3",
        "America/Chicago",
    ),
    (
        "District 12 Office of Senator {last}",
        OfficeKind.STATE_LEGISLATOR,
        "State Senate District 12",
        "America/New_York",
    ),
    ("Office of Mayor {last}", OfficeKind.MAYOR, "City of Lakeport", "America/Los_Angeles"),
]
STAFF_ROLES = [
    Role.MANAGER,
    Role.CASEWORKER,
    Role.CASEWORKER,
    Role.CORRESPONDENT,
    Role.OUTREACH,
    Role.VOLUNTEER,
    Role.VIEWER,
]


@dataclass
class DemoResult:
    office: Office
    staff_count: int
    people_count: int = 0
    case_count: int = 0


def _person(rng: random.Random, used: set[str]) -> tuple[str, str]:
    while True:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first.lower().replace('á', 'a')}.{last.lower()}@demo.civicdesk.localhost"
        if email not in used:
            used.add(email)
            return f"{first} {last}", email


@transaction.atomic
def build_demo_office(
    *,
    seed: int,
    people: int = 20000,
    cases: int | None = None,
    progress: Callable[[str], object] | None = None,
) -> DemoResult:
    """A realistic office: a council member's staff with every role, a pending invitation,
    an API token, `people` constituents on the DC wards (constituents/demo.py), `cases` cases
    with their histories (casework/demo.py; by default one for every four people: 5,000) and a
    verified audit log. `progress` is told of each part as it is built."""
    say = progress or (lambda line: None)
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not secrets)
    template, kind, jurisdiction, tz = rng.choice(WARDS)
    official = rng.choice(LAST_NAMES)
    slug = f"demo-{seed}"
    office = create_office(
        name=template.format(last=official),
        slug=slug,
        kind=kind,
        jurisdiction=jurisdiction,
        time_zone=tz,
    )
    street = rng.randint(100, 999)
    update_office(
        office,
        by=None,
        address=f"{street} Main Street, Suite {rng.randint(1, 40)}\n{jurisdiction.split(',')[0]}",
    )
    used: set[str] = set()
    members = []
    for role in STAFF_ROLES:
        name, email = _person(rng, used)
        members.append(
            add_member(office, email=email, role=role, by=None, full_name=name, password=None)
        )
    manager = members[0]
    _name, invitee = _person(rng, used)
    invite_member(office, email=invitee, role=Role.CASEWORKER, by=None, notify=False)
    create_api_token(manager, name="Website contact form", days=90)
    constituents = build_people(office, seed=seed, count=people)
    say(f"  {constituents.people:,} people, {constituents.interactions:,} timeline entries")
    casework = build_demo_cases(office, count=people // 4 if cases is None else cases, seed=seed)
    say(f"  {casework.cases:,} cases, {casework.actions:,} actions, {casework.todos:,} to-dos")
    job = Job.objects.create(
        office=office, kind="audit.verify", title="Verify the audit log", started_by=manager
    )
    claimed = claim_job(job.pk)
    if claimed is not None:
        run_claimed_job(claimed)
    return DemoResult(
        office=office,
        staff_count=Membership.objects.for_office(office).count(),  # with the caseworkers added
        people_count=constituents.people,
        case_count=casework.cases,
    )
