"""Demo casework: the starter case types with their templates, the standard letters, agencies
with their liaisons, two teams, enough caseworkers for the load, and `count` cases over the last
18 months with histories that hang together.

Each case's story is played forward from the day it opened (intake, privacy release, inquiry to
the agency, its answer, what the agency needs from the constituent, resolution, closing, now and
then a reopening) and stops at the start of today. So old cases end closed, recent ones are
still open or waiting, overdue ticklers belong to stalled cases, and a case's status is always
the one its last status change left. The texts are those the services write.

The configuration goes through the services, as an admin would set it up (a few dozen audit
events), and the stories follow the office's types (workflow, privacy release, target days).
The cases, their people, actions, ticklers, releases and timeline entries are inserted in bulk
like the demo people (constituents/demo.py), with one audit event for the load. Deterministic
for a seed: the same seed gives the same cases (dates count back from today)."""

import contextlib
import json
import math
import operator
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone, translation

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import add_member
from civicdesk.constituents import services as constituent_services
from civicdesk.constituents.models import (
    Address,
    AddressDistrict,
    Direction,
    Interaction,
    InteractionKind,
    Organization,
    OrganizationKind,
    Person,
    Relationship,
)
from civicdesk.tags.models import Tag

from . import services
from .models import (
    CLOSED_STATUSES,
    ActionKind,
    ActionState,
    Case,
    CaseAction,
    CaseCounter,
    CaseDistrict,
    CaseParty,
    CasePriority,
    CaseStatus,
    CaseTag,
    CaseTemplate,
    CaseType,
    PartyRole,
    PrivacyRelease,
    ReleaseMethod,
    Team,
    TemplateStep,
)

DAYS_BACK = 548  # 18 months
MAX_ACTIONS = 15
CASES_PER_CASEWORKER = 900  # about a full caseload over 18 months
FEDERAL, CITY = "Federal agencies desk", "City services desk"
NEW_CASEWORKERS = [("Renee", "Castillo"), ("Marcus", "Bell"), ("Farah", "Siddiqui"),
                   ("Ethan", "Whitaker"), ("Lena", "Hoffman"), ("Desmond", "Akande")]  # fmt: skip


@dataclass(frozen=True)
class AgencySpec:
    name: str
    code: str  # prefix of the agency's own reference numbers
    domain: str
    address: str
    liaison: str = ""  # the title of its contact for elected offices, if it has one


AGENCIES = [
    AgencySpec("U.S. Department of Veterans Affairs", "VA", "va.example.gov",
               "810 Vermont Ave NW\nWashington, DC 20420", "Congressional liaison"),
    AgencySpec("Social Security Administration", "SSA", "ssa.example.gov",
               "2100 M St NW\nWashington, DC 20037", "Public affairs specialist"),
    AgencySpec("U.S. Citizenship and Immigration Services", "IOE", "uscis.example.gov",
               "20 Massachusetts Ave NW\nWashington, DC 20529", "Congressional liaison"),
    AgencySpec("U.S. Department of State, Passport Services", "PPT", "passports.example.gov",
               "600 19th St NW\nWashington, DC 20431", "Liaison officer"),
    AgencySpec("DC Housing Authority", "DCHA", "dcha.example.gov",
               "1133 N Capitol St NE\nWashington, DC 20002", "Ombudsman"),
    AgencySpec("Department of Housing and Community Development", "DHCD", "dhcd.example.gov",
               "1800 Martin Luther King Jr Ave SE\nWashington, DC 20020"),
    AgencySpec("Pepco", "PEP", "pepco.example.com", "701 9th St NW\nWashington, DC 20001",
               "Government relations manager"),
    AgencySpec("Washington Gas", "WG", "washgas.example.com", "1000 Maine Ave SW\nWashington, DC 20024",
               "Customer advocate"),
    AgencySpec("DC Water", "DCW", "dcwater.example.gov", "1385 Canal St SE\nWashington, DC 20003"),
    AgencySpec("District Department of Transportation", "DDOT", "ddot.example.gov",
               "250 M St SE\nWashington, DC 20003"),
    AgencySpec("Department of Public Works", "DPW", "dpw.example.gov",
               "2000 14th St NW\nWashington, DC 20009"),
    AgencySpec("Department of Buildings", "DOB", "dob.example.gov",
               "1100 4th St SW\nWashington, DC 20024", "Inspections supervisor"),
    AgencySpec("DC Health", "DOH", "dchealth.example.gov", "899 N Capitol St NE\nWashington, DC 20002",
               "Community liaison"),
    AgencySpec("Department of Health Care Finance", "DHCF", "dhcf.example.gov",
               "441 4th St NW\nWashington, DC 20001", "Medicaid ombudsman"),
]  # fmt: skip
AGENCY_CODES = {agency.name: agency.code for agency in AGENCIES}


@dataclass(frozen=True)
class TypeSpec:
    """How the cases of one of the starter case types (services.seed_case_types) go: how often
    they come, which team takes them, the agencies they go to, what people ask, what the agency
    answers and asks for, how they end. The type itself (sensitive, release, target days) is
    the office's."""

    name: str
    weight: int
    team: str
    agencies: tuple[tuple[str, int], ...]
    subjects: tuple[str, ...]
    documents: tuple[str, ...]  # what the agency needs from the constituent
    replies: tuple[str, ...]
    resolutions: tuple[str, ...]
    tags: tuple[str, ...]


TYPES = [
    TypeSpec(
        "Veterans benefits", 10, FEDERAL,
        (("U.S. Department of Veterans Affairs", 1),),
        ("Disability claim pending for months", "Appeal of a disability rating",
         "Replacement of a lost DD-214", "Pension payments stopped", "Delays for a VA clinic appointment",
         "GI Bill housing allowance not paid", "Burial benefits for a veteran parent",
         "Missing service medals"),
        ("a copy of the DD-214", "the VA claim number", "a signed VA Form 21-4138",
         "the latest medical records"),
        ("The claim is with the rating board; a decision is expected within 30 days.",
         "The VA found the file had been sent to the wrong regional office and moved it.",
         "The appeal was docketed; the VA will write to the veteran directly.",
         "Payment was held for a mismatched bank account; the VA needs the new details."),
        ("The VA approved the claim; back pay was issued.", "The rating was raised to 70% on appeal.",
         "A replacement DD-214 was mailed to the veteran.", "The pension was reinstated with back payments.",
         "The appointment was moved up to next week."),
        ("Veterans",),
    ),
    TypeSpec(
        "Social Security", 12, FEDERAL,
        (("Social Security Administration", 1),),
        ("SSDI application pending", "SSI overpayment notice", "Replacement Social Security card",
         "Retirement benefits have not started", "Medicare Part B enrolment", "Change of representative payee",
         "Benefits stopped after a move"),
        ("a copy of the award letter", "proof of income for the last three months", "a birth certificate",
         "the overpayment notice"),
        ("The field office has the file and will schedule a hearing.",
         "SSA says the application was missing the medical release; it has been added.",
         "The overpayment was caused by a wage report entered twice; SSA is correcting it.",
         "Payment will start next month with the months owed."),
        ("SSA approved the disability claim.", "The overpayment was waived.",
         "Benefits restarted with the months owed.", "The new card was mailed."),
        ("Social Security", "Senior services"),
    ),
    TypeSpec(
        "Immigration", 8, FEDERAL,
        (("U.S. Citizenship and Immigration Services", 8), ("U.S. Department of State, Passport Services", 2)),
        ("Green card application pending", "Naturalization interview not scheduled",
         "Work permit renewal delayed", "Visa for a family member abroad",
         "Expedite request for a travel document", "Lost notice of action (I-797)",
         "Passport needed for urgent travel"),
        ("a copy of the receipt notice", "the biometrics appointment letter", "proof of the urgent travel",
         "a copy of the I-797"),
        ("USCIS reopened the case; an interview notice will be mailed.",
         "The case is outside normal processing times; USCIS has asked the field office to act.",
         "The expedite request was approved.", "Biometrics have to be redone; a new appointment is set."),
        ("The green card was approved and mailed.", "The oath ceremony is scheduled.",
         "The work permit was issued.", "The passport was issued in time for the trip.",
         "The constituent withdrew the request after hiring an attorney."),
        ("Immigration",),
    ),
    TypeSpec(
        "Housing", 18, CITY,
        (("DC Housing Authority", 6), ("Department of Housing and Community Development", 4)),
        ("Housing voucher application status", "Repairs not done at {address}",
         "Emergency rental assistance application", "Landlord will not return the deposit",
         "Eviction notice received", "Mould in the apartment at {address}", "No heat in the building at {address}"),
        ("a copy of the lease", "the eviction notice", "photos of the damage", "proof of income"),
        ("DCHA scheduled an inspection for next week.", "The application is complete and in the queue.",
         "The landlord was cited; repairs are due within 30 days.",
         "DHCD needs the landlord's W-9 before paying."),
        ("The repairs were made and inspected.", "Rental assistance was paid to the landlord.",
         "The voucher was issued.", "The eviction was stayed while assistance is paid.",
         "The constituent moved; no further help needed."),
        ("Affordable housing", "Tenant rights"),
    ),
    TypeSpec(
        "Utilities", 12, CITY,
        (("Pepco", 5), ("DC Water", 3), ("Washington Gas", 2)),
        ("Disconnection notice received", "Disputed bill of several hundred dollars",
         "Repeated power outages on {street}", "Gas service shut off", "Help with the utility discount programme",
         "Water main leak on {street}"),
        ("the latest bill", "the disconnection notice", "proof of income for the discount programme"),
        ("The disconnection is on hold for 30 days while the bill is reviewed.",
         "The meter was misread; a corrected bill will be sent.",
         "A crew has been sent to check the line.", "The account was enrolled in the discount programme."),
        ("The bill was corrected and the late fees removed.", "Service was restored.",
         "The account is on a payment plan.", "The line was repaired."),
        ("Electricity and gas", "Water and sewer"),
    ),
    TypeSpec(
        "Street repair", 18, CITY,
        (("District Department of Transportation", 7), ("Department of Public Works", 3)),
        ("Pothole on {street}", "Broken sidewalk in front of {address}", "Streetlight out on {street}",
         "Missing stop sign on {street}", "Alley behind {street} needs repaving", "Tree box hazard on {street}"),
        ("photos of the spot", "the exact location"),
        ("A work order was opened; crews are scheduled.", "DDOT inspected and added it to this season's list.",
         "The request was merged with an earlier one for the same block."),
        ("The pothole was filled.", "The sidewalk was repaired.", "The streetlight was fixed.",
         "The sign was replaced.", "The alley was repaved."),
        ("Street repair", "Sidewalks", "Streetlights", "Traffic safety"),
    ),
    TypeSpec(
        "Code enforcement", 12, CITY,
        (("Department of Buildings", 8), ("Department of Public Works", 2)),
        ("Vacant property at {address}", "Illegal construction next door on {street}",
         "Rodents in the alley behind {street}", "Illegal dumping on {street}",
         "Overgrown lot on {street}", "Unsafe porch at {address}"),
        ("photos of the property", "the neighbour's address"),
        ("An inspector visited and issued a notice of violation.", "The owner has 30 days to comply.",
         "Abatement is scheduled.", "A stop-work order was posted."),
        ("The property was cleaned up.", "The owner made the repairs after the citation.",
         "The dumping was removed and cameras installed.", "The alley was baited."),
        ("Code enforcement", "Illegal dumping"),
    ),
    TypeSpec(
        "Health care", 10, FEDERAL,
        (("Department of Health Care Finance", 6), ("DC Health", 4)),
        ("Medicaid renewal lapsed", "DC Healthy Families enrolment", "Prescription coverage denied",
         "Home health aide hours cut", "Complaint about a nursing home", "Medical transportation not arriving"),
        ("the denial letter", "proof of residence", "the renewal form"),
        ("The renewal was received; coverage is restored back to the lapse date.",
         "DHCF asked the plan to review the denial.", "An investigator was assigned to the complaint."),
        ("Coverage was restored.", "The denial was overturned.", "The hours were restored.",
         "The complaint was substantiated and the facility cited."),
        ("Senior services",),
    ),
]  # fmt: skip

INTAKE_KINDS = [(ActionKind.CALL, 55), (ActionKind.EMAIL, 30), (ActionKind.MEETING, 15)]
INTAKE_SUBJECTS = {
    ActionKind.CALL: "Intake call with {first}",
    ActionKind.EMAIL: "Email from {first} asking for help",
    ActionKind.MEETING: "{first} came to the office",
}
INTAKE_NOTES = [
    "{first} has called the agency several times without an answer.",
    "Prefers phone calls in the afternoon.",
    "Prefers email; the address on file is right.",
    "Neighbours report the same problem.",
    "Asked that we not share details with the landlord.",
    "Speaks Spanish at home; her daughter translates.",
    "Second time this year; see the earlier case.",
    "Referred by the ANC commissioner.",
]
FOLLOW_UPS = [
    "Left a voicemail with the liaison.",
    "The liaison says the file is with a supervisor.",
    "Spoke with the liaison; an answer is expected within two weeks.",
    "No answer yet; sent the inquiry again by email.",
]
PRIORITIES = [
    (CasePriority.LOW, 12), (CasePriority.NORMAL, 62), (CasePriority.HIGH, 20),
    (CasePriority.URGENT, 6),
]  # fmt: skip
URGENT_WORDS = ("Eviction", "Disconnection", "No heat", "shut off", "urgent")
ROUNDS = [(1, 70), (2, 25), (3, 5)]


class _StatusLabels(dict):
    """language → {status: its name}, as the history shows it; looked up once per language
    (gettext in the loop of thousands of status changes costs seconds)."""

    def __missing__(self, language: str | None) -> dict[str, str]:
        self[language] = {status.value: str(status.label) for status in CaseStatus}
        return self[language]


STATUS_LABELS = _StatusLabels()


class _Now(Exception):
    """The story has reached today: the case stays as it is."""


def _weighted(rng: random.Random, pairs: Iterable[tuple[Any, float]]) -> Any:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


@dataclass
class _Event:
    at: datetime
    kind: str
    subject: str
    body: str = ""
    is_public: bool = False
    details: dict = field(default_factory=dict)
    by: Membership | None = None
    optional: bool = False  # dropped first when the history gets too long


@dataclass
class _Person:
    pk: int
    first: str
    full_name: str
    household_id: int | None
    address: str
    street: str


@dataclass
class _Story:
    """One case played forward until it ends or reaches today."""

    rng: random.Random
    tz: ZoneInfo
    cutoff: datetime
    case_type: CaseType
    t: datetime
    owner: Membership | None
    status: str = CaseStatus.OPEN
    events: list[_Event] = field(default_factory=list)
    closed_at: datetime | None = None
    resolution: str = ""
    released_on: date | None = None
    finishes: list[tuple[datetime, str]] = field(default_factory=list)
    labels: dict[str, str] = field(
        default_factory=lambda: STATUS_LABELS[translation.get_language()]
    )

    @property
    def target_days(self) -> int:
        return self.case_type.target_days or 30

    def add(self, kind: str, subject: str, **fields: Any) -> None:
        if self.t >= self.cutoff:
            raise _Now
        fields.setdefault("by", self.owner)
        self.events.append(_Event(self.t, kind, subject[:200], **fields))

    def wait(self, low: int, high: int) -> None:
        """Move on a number of days, to working hours on a weekday."""
        days = self.rng.randint(low, max(low, high))
        if days == 0:
            self.t += timedelta(minutes=self.rng.randint(10, 90))
            return
        day = self.t.date() + timedelta(days=days)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        moment = time(self.rng.randint(8, 17), self.rng.choice((0, 5, 15, 20, 30, 40, 45, 50)))
        self.t = datetime.combine(day, moment, tzinfo=self.tz)

    def assign(self, member: Membership, team: Team, *, by: Membership | None) -> None:
        """A reassignment as assign_case writes it; the case's ticklers follow it."""
        old = self.owner.pk if self.owner else None
        details = {"assignee": [old, member.pk], "team": [team.pk, team.pk]}
        subject = f"Assigned to {member.user.display_name} ({team.name})"
        self.add(ActionKind.ASSIGNMENT, subject, by=by or member, details=details)
        self.owner = member

    def move(self, new: str, *, note: str = "", resolution: str = "", public: bool = True) -> None:
        """A status change as change_status writes it; skipped if the workflow forbids it."""
        old = self.status
        if new == old or new not in self.case_type.next_statuses(old):
            return
        is_reopen = old in CLOSED_STATUSES and new not in CLOSED_STATUSES
        subject = (
            "Case reopened" if is_reopen else f"Status: {self.labels[old]} → {self.labels[new]}"
        )
        body = "\n\n".join(part for part in (note, resolution) if part)
        self.add(
            ActionKind.STATUS_CHANGE,
            subject,
            body=body,
            is_public=public,
            details={"status": [old, new]},
        )
        if new in CLOSED_STATUSES:
            self.resolution = resolution or self.resolution
            if old not in CLOSED_STATUSES:
                self.closed_at = self.t
                self.finishes.append((self.t, new))
        else:
            self.closed_at = None
        self.status = new


@dataclass
class _Setup:
    """What the cases are made from: the office's configuration, staff and people."""

    office: Office
    types: list[tuple[TypeSpec, CaseType, CaseTemplate | None]]
    steps: dict[int, list[tuple[str, str]]]  # template id → (kind, title) of its steps
    teams: dict[str, Team]
    team_members: dict[str, list[Membership]]
    everyone: list[Membership]  # who may open a case
    manager: Membership | None
    agencies: dict[str, Organization]
    contacts: dict[int, list[int]]  # agency id → its liaisons
    tags: dict[str, Tag]
    people: list[_Person]
    households: dict[int, list[int]]
    districts: dict[int, list[int]]


# ---------------------------------------------------------------- configuration


def _agencies(
    office: Office, rng: random.Random, pool: list[_Person]
) -> tuple[dict[str, Organization], dict[int, list[int]]]:
    """The agencies the cases go to, with their liaisons (agency id → person ids). Those the
    office has (the demo people's) are kept; a new one gets one of the people as its liaison."""
    existing = {o.name: o for o in Organization.objects.for_office(office)}
    agencies = {}
    for spec in AGENCIES:
        org = existing.get(spec.name)
        if org is None:
            org = constituent_services.create_organization(
                office, by=None,
                fields={"name": spec.name, "kind": OrganizationKind.AGENCY,
                        "email": f"liaison@{spec.domain}",
                        "phone": f"+1202555{rng.randint(100, 199):04d}",
                        "website": f"https://{spec.domain}/", "address": spec.address},
            )  # fmt: skip
            if spec.liaison and pool:
                liaison = Person.objects.get(pk=rng.choice(pool).pk)
                constituent_services.add_relationship(
                    liaison, by=None, kind="employee", organization=org, title=spec.liaison
                )
        agencies[spec.name] = org
    contacts: dict[int, list[int]] = defaultdict(list)
    employees = Relationship.objects.filter(
        office=office, kind="employee", organization__in=agencies.values()
    ).order_by("pk")
    for organization_id, person_id in employees.values_list("organization_id", "person_id"):
        contacts[organization_id].append(person_id)
    return agencies, contacts


def _caseworkers(office: Office, count: int) -> list[Membership]:
    """The office's caseworkers, with new ones added until there are enough for `count` cases."""
    workers = list(
        Membership.objects.for_office(office)
        .active()
        .filter(role=Role.CASEWORKER)
        .select_related("user")
        .order_by("pk")
    )
    wanted = max(1, math.ceil(count / CASES_PER_CASEWORKER))
    for first, last in NEW_CASEWORKERS[: max(0, wanted - len(workers))]:
        email = f"{first}.{last}@demo.civicdesk.localhost".lower()
        member = Membership.objects.for_office(office).filter(user__email=email).first()
        if member is None:
            member = add_member(
                office,
                email=email,
                role=Role.CASEWORKER,
                by=None,
                full_name=f"{first} {last}",
                password=None,
            )
        workers.append(member)
    return workers


def _teams(
    office: Office, workers: list[Membership], managers: list[Membership]
) -> dict[str, Team]:
    teams = {}
    lead = [m.pk for m in managers[:1]]
    for at, name in enumerate((FEDERAL, CITY)):
        team = Team.objects.for_office(office).filter(name=name).first()
        if team is None:
            share = workers[at::2] or workers
            team = services.save_team(
                office, by=None, name=name, member_ids=[m.pk for m in share] + lead
            )
        teams[name] = team
    return teams


def _case_types(office: Office) -> list[tuple[TypeSpec, CaseType, CaseTemplate | None]]:
    """The starter case types with their templates (those the office has are kept), with the
    story of each; a type the office has put out of use gets no new cases."""
    services.seed_case_types(office, by=None)
    services.ensure_standard_letters(office)
    by_name = {
        t.name.lower(): t for t in CaseType.objects.for_office(office).filter(is_active=True)
    }
    types = []
    for spec in TYPES:
        case_type = by_name.get(spec.name.lower())
        if case_type is not None:
            template = case_type.templates.filter(is_active=True).order_by("pk").first()
            types.append((spec, case_type, template))
    return types


def _people(office: Office, people: Iterable[Person] | None) -> list[_Person]:
    if people is None:
        people = (
            Person.objects.for_office(office)
            .filter(is_deceased=False)
            .order_by("pk")
            .only("pk", "first_name", "last_name", "household_id")
        )
    homes = dict(
        Address.objects.filter(office=office, is_primary=True)
        .order_by("person_id", "pk")
        .values_list("person_id", "line1")
    )
    result = []
    for person in people:
        line1 = homes.get(person.pk, "")
        street = line1.split(" ", 1)[-1].split(" Apt ")[0] if line1 else ""
        full_name = " ".join(p for p in (person.first_name, person.last_name) if p)
        result.append(
            _Person(
                person.pk,
                person.first_name or full_name,
                full_name or "Constituent",
                person.household_id,
                line1,
                street,
            )
        )
    return result


def _setup(
    office: Office, *, count: int, rng: random.Random, people: Iterable[Person] | None
) -> _Setup:
    workers = _caseworkers(office, count)
    managers = list(
        Membership.objects.for_office(office).active().filter(role=Role.MANAGER)
        .select_related("user").order_by("pk")
    )  # fmt: skip
    teams = _teams(office, workers, managers)
    types = _case_types(office)
    pool = _people(office, people)
    agencies, contacts = _agencies(office, rng, pool)
    liaisons = {pk for ids in contacts.values() for pk in ids}
    pool = [p for p in pool if p.pk not in liaisons]  # they call about others' cases
    households: dict[int, list[int]] = defaultdict(list)
    for person in pool:
        if person.household_id is not None:
            households[person.household_id].append(person.pk)
    districts: dict[int, list[int]] = defaultdict(list)
    links = AddressDistrict.objects.filter(office=office).order_by("address__person_id", "pk")
    for person_id, district_id in links.values_list("address__person_id", "district_id"):
        if district_id not in districts[person_id]:
            districts[person_id].append(district_id)
    team_members = {}
    for name, team in teams.items():
        ids = set(team.members.values_list("pk", flat=True))
        team_members[name] = [m for m in workers if m.pk in ids] or workers
    steps: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for template_id, kind, title in TemplateStep.objects.filter(
        template__in=[t for _s, _t, t in types if t is not None]
    ).values_list("template_id", "kind", "title"):
        steps[template_id].append((kind, title))
    tags = Tag.objects.for_office(office).filter(is_deprecated=False)
    return _Setup(
        office=office, types=types, steps=steps, teams=teams, team_members=team_members,
        everyone=sorted({*workers, *managers}, key=lambda m: m.pk),
        manager=managers[0] if managers else None, agencies=agencies, contacts=contacts,
        tags={t.name.lower(): t for t in tags},
        people=pool, households=households, districts=districts,
    )  # fmt: skip


# ---------------------------------------------------------------- one case


@dataclass
class _Case:
    """A case before it is saved: its row, its story, its people, tags and ticklers."""

    row: dict[str, Any]
    story: _Story
    person: _Person
    family: list[int]
    tag_ids: list[int]
    district_ids: list[int]
    todos: list[dict[str, Any]]
    release_agency_id: int | None


def _tell(
    story: _Story,
    spec: TypeSpec,
    who: _Person,
    agency: Organization | None,
    *,
    subject: str,
    template: CaseTemplate | None,
    intake: Membership | None,
    manager: Membership | None,
    reassign_to: Membership | None,
    team: Team,
    rounds: int,
    reopen: bool,
) -> None:
    """Play the case forward: raises _Now when the story reaches today."""
    rng = story.rng
    first = who.first
    where = agency.name if agency else "the agency"
    story.add(ActionKind.NOTE, "Case opened", by=intake)
    story.wait(0, 0)
    kind = _weighted(rng, INTAKE_KINDS)
    story.add(
        kind,
        INTAKE_SUBJECTS[kind].format(first=first),
        by=intake,
        body=f"{subject}.",
    )
    story.wait(0, 0)
    if template is not None:
        story.add(ActionKind.NOTE, f"Template “{template.name}” applied", by=intake)
    else:
        story.add(
            ActionKind.NOTE,
            "Intake notes",
            body=rng.choice(INTAKE_NOTES).format(first=first),
            by=intake,
        )
    if story.owner is None:  # waited in the team's queue until someone took it
        story.wait(1, 4)
        story.assign(reassign_to, team, by=manager)
        reassign_to = None
    for round_ in range(rounds):
        if story.case_type.needs_privacy_release and story.released_on is None:
            story.wait(0, 6)
            story.add(
                ActionKind.PRIVACY_RELEASE,
                "Privacy release recorded (typed e-signature)",
                body=f"Signed by {who.full_name}.",
            )
            story.released_on = story.t.date()
        story.wait(0, 4)
        story.add(
            ActionKind.AGENCY_INQUIRY,
            f"Inquiry sent to {where}",
            body=f"Asked {where} to review {first}'s file and answer within two weeks.",
        )
        story.move(
            CaseStatus.WAITING_AGENCY,
            note=f"We have contacted {where} on your behalf and are waiting for their answer.",
        )
        if rng.random() < 0.12:  # the agency sits on it: the cases that go stale
            story.wait(40, 200)
        if rng.random() < 0.5:
            story.wait(5, 15)
            story.add(
                ActionKind.CALL,
                f"Follow-up call to {where}",
                body=rng.choice(FOLLOW_UPS),
                optional=True,
            )
            if rng.random() < 0.4:
                story.add(
                    ActionKind.NOTE,
                    "Update for the constituent",
                    is_public=True,
                    optional=True,
                    body=f"We followed up with {where}; they expect to answer soon.",
                )
        story.wait(3, max(5, story.target_days // 2))
        story.add(ActionKind.AGENCY_REPLY, f"{where} replied", body=rng.choice(spec.replies))
        if reassign_to is not None and rng.random() < 0.5:
            story.wait(0, 3)
            story.assign(reassign_to, team, by=manager)
            reassign_to = None
        if round_ == rounds - 1:
            break
        document = rng.choice(spec.documents)
        if rng.random() < 0.7:
            story.move(
                CaseStatus.WAITING_CONSTITUENT,
                note=f"{where} needs {document} from you. Please send a copy to our office.",
            )
            story.add(ActionKind.EMAIL, f"Asked {first} for {document}", optional=True)
            story.wait(2, 20)
            story.add(ActionKind.DOCUMENT, f"Received {document} from {first}")
        else:
            story.move(CaseStatus.OPEN, note="", public=False)
            story.add(
                ActionKind.NOTE, "The agency's answer is incomplete; asking again.", optional=True
            )
    story.wait(0, 5)
    story.add(ActionKind.CALL, f"Called {first} with the news", optional=True)
    if rng.random() < 0.06:
        story.move(CaseStatus.CLOSED, resolution="The constituent no longer needs our help.")
    else:
        story.move(CaseStatus.RESOLVED, resolution=rng.choice(spec.resolutions))
    story.wait(7, 30)
    story.move(CaseStatus.CLOSED, note="No further contact: closing the case.", public=False)
    if reopen:
        story.wait(5, 40)
        story.move(CaseStatus.OPEN, note=f"{first} called back: the problem is back.")
        story.wait(0, 5)
        story.add(ActionKind.AGENCY_INQUIRY, f"Inquiry sent to {where} again")
        story.move(CaseStatus.WAITING_AGENCY, note=f"We have contacted {where} again.")
        story.wait(5, max(7, story.target_days // 2))
        story.add(ActionKind.AGENCY_REPLY, f"{where} replied", body=rng.choice(spec.replies))
        story.move(CaseStatus.RESOLVED, resolution=rng.choice(spec.resolutions))


def _todos(
    rng: random.Random, setup: _Setup, story: _Story, spec: TypeSpec, who: _Person,
    agency: Organization, template: CaseTemplate | None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Ticklers for a case still open, due some days after the last thing done on it: a
    stalled case's are overdue."""
    if story.status in CLOSED_STATUSES or story.owner is None:
        return []
    choices = {
        CaseStatus.OPEN: [(ActionKind.AGENCY_INQUIRY, f"Send the inquiry to {agency.name}"),
                          (ActionKind.CALL, f"Call {who.first} with an update")],
        CaseStatus.WAITING_AGENCY: [(ActionKind.CALL, f"Follow up with {agency.name}"),
                                    (ActionKind.TASK, f"Check for {agency.name}'s answer")],
        CaseStatus.WAITING_CONSTITUENT: [
            (ActionKind.CALL, f"Remind {who.first} to send the papers"),
            (ActionKind.DOCUMENT, f"Get the document: {spec.documents[0]}")],
    }[story.status]  # fmt: skip
    if template is not None:  # the template's steps not done yet
        done = {e.kind for e in story.events}
        choices += [step for step in setup.steps.get(template.pk, []) if step[0] not in done]
    last = story.events[-1]
    howmany = min(len(choices), _weighted(rng, [(0, 15), (1, 50), (2, 25), (3, 10)]))
    return [
        {"kind": kind, "state": ActionState.PLANNED, "subject": subject[:200],
         "due_on": last.at.date() + timedelta(days=rng.randint(3, 30)),
         "assignee_id": story.owner.pk, "by_id": last.by.pk if last.by else None,
         "created_at": last.at, "updated_at": last.at}
        for kind, subject in rng.sample(choices, k=howmany)
    ]  # fmt: skip


def _opened_at(rng: random.Random, today: date, tz: ZoneInfo) -> datetime:
    """A weekday in the last 18 months, more often recent (the office gets busier)."""
    day = today - timedelta(days=1 + int((DAYS_BACK - 1) * rng.random() ** 1.25))
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    moment = time(rng.randint(8, 16), rng.choice((0, 10, 20, 30, 45)))
    return datetime.combine(day, moment, tzinfo=tz)


def _story(
    setup: _Setup, rng: random.Random, spec: TypeSpec, case_type: CaseType, who: _Person,
    agency: Organization, *, subject: str, template: CaseTemplate | None, opened_at: datetime,
    cutoff: datetime, tz: ZoneInfo,
) -> _Story:  # fmt: skip
    """The case's history up to today, at most MAX_ACTIONS long."""
    team, members = setup.teams[spec.team], setup.team_members[spec.team]
    owner = rng.choice(members) if rng.random() < 0.9 else None  # else: in the team's queue
    if setup.manager is not None and owner is not None and rng.random() < 0.04:
        owner = setup.manager
    reassign_to = None
    if owner is None or rng.random() < 0.07:
        reassign_to = rng.choice([m for m in members if m != owner] or members)
    intake = owner if owner is not None and rng.random() < 0.6 else rng.choice(setup.everyone)
    rounds, reopen = _weighted(rng, ROUNDS), rng.random() < 0.03
    while True:
        story = _Story(rng=rng, tz=tz, cutoff=cutoff, case_type=case_type,
                       t=opened_at, owner=owner)  # fmt: skip
        with contextlib.suppress(_Now):  # the story reached today: the case stays as it is
            _tell(story, spec, who, agency, subject=subject, template=template, intake=intake,
                  manager=setup.manager, reassign_to=reassign_to, team=team, rounds=rounds,
                  reopen=reopen)  # fmt: skip
        while len(story.events) > MAX_ACTIONS and any(e.optional for e in story.events):
            story.events.remove(next(e for e in reversed(story.events) if e.optional))
        if len(story.events) <= MAX_ACTIONS or (rounds == 1 and not reopen):
            return story
        rounds, reopen = max(1, rounds - 1), False  # too long: a simpler story


def _make_case(
    setup: _Setup, rng: random.Random, *, today: date, cutoff: datetime, tz: ZoneInfo
) -> _Case:
    spec, case_type, template = _weighted(rng, ((t, t[0].weight) for t in setup.types))
    who = rng.choice(setup.people)
    agency = setup.agencies[_weighted(rng, spec.agencies)]
    applied = template if rng.random() < 0.45 else None
    opened_at = _opened_at(rng, today, tz)
    subject = rng.choice(spec.subjects).format(
        address=who.address or "the building", street=who.street or "the street"
    )
    story = _story(setup, rng, spec, case_type, who, agency, subject=subject, template=applied,
                   opened_at=opened_at, cutoff=cutoff, tz=tz)  # fmt: skip
    priority = _weighted(rng, PRIORITIES)
    if any(word.lower() in subject.lower() for word in URGENT_WORDS):
        priority = _weighted(rng, [(CasePriority.HIGH, 1), (CasePriority.URGENT, 1)])
    target = (case_type.target_days or 30) // (2 if priority >= CasePriority.HIGH else 1)
    due_on = opened_at.date() + timedelta(days=target + rng.randint(-3, 7))
    replied = any(e.kind == ActionKind.AGENCY_REPLY for e in story.events)
    liaisons = setup.contacts.get(agency.pk, [])
    row = {
        "office_id": setup.office.pk, "case_type_id": case_type.pk, "subject": subject[:200],
        "description": f"{subject}. " + rng.choice(INTAKE_NOTES).format(first=who.first),
        "status": story.status, "priority": priority,
        "due_on": due_on if rng.random() < 0.85 else None,
        "assignee_id": story.owner.pk if story.owner else None,
        "team_id": setup.teams[spec.team].pk, "agency_id": agency.pk,
        "agency_contact_id": rng.choice(liaisons) if liaisons and rng.random() < 0.7 else None,
        "agency_reference": f"{AGENCY_CODES[agency.name]}-{rng.randint(100000, 999999)}"
        if replied and rng.random() < 0.6 else "",
        "template_id": applied.pk if applied else None, "is_sensitive": case_type.is_sensitive,
        "opened_at": opened_at, "closed_at": story.closed_at,
        "resolution": story.resolution,
        "primary_person_id": who.pk, "version": 1, "created_by_id": story.events[0].by.pk,
        "created_at": opened_at, "updated_at": story.events[-1].at,
    }  # fmt: skip
    relatives = [pk for pk in setup.households.get(who.household_id or 0, []) if pk != who.pk]
    family = [rng.choice(relatives)] if relatives and rng.random() < 0.15 else []
    wanted = [setup.tags[n.lower()] for n in spec.tags if n.lower() in setup.tags]
    tag_count = min(len(wanted), _weighted(rng, [(0, 10), (1, 75), (2, 15)]))
    return _Case(
        row=row, story=story, person=who, family=family,
        tag_ids=[t.pk for t in rng.sample(wanted, k=tag_count)],
        district_ids=setup.districts.get(who.pk, []),
        todos=_todos(rng, setup, story, spec, who, agency, applied),
        release_agency_id=agency.pk if rng.random() < 0.8 else None,  # else: any agency
    )  # fmt: skip


# ---------------------------------------------------------------- the load


def _converter(field: models.Field, *, is_pg: bool) -> Callable[[Any], Any] | None:
    """How a value goes to the column, or None when it goes as it is."""
    if isinstance(field, models.JSONField):
        return json.dumps  # COPY and SQLite both take JSON text
    if is_pg:
        return None  # psycopg writes dates and aware datetimes as PostgreSQL reads them
    if isinstance(field, models.DateTimeField):  # SQLite: naive UTC text, as Django stores it
        return lambda v: None if v is None else v.astimezone(UTC).isoformat(" ")[:-6]
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else v.isoformat()
    return None


def _insert(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Insert rows given as {attname: value}, giving each its "id": COPY on PostgreSQL,
    executemany on SQLite. Django's bulk_create would prepare every value of every row
    through its field (most of the time of a load this size) and set updated_at to now.
    Missing columns take their field's default. Meant for a demo office nobody else writes to."""
    if not rows:
        return
    is_pg = connection.vendor == "postgresql"
    table = connection.ops.quote_name(model._meta.db_table)
    fields = model._meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608
        next_id = (cursor.fetchone()[0] or 0) + 1
    for row in rows:
        row["id"], next_id = next_id, next_id + 1
    defaults = {f.attname: f.get_default() for f in fields}
    row_values = operator.itemgetter(*defaults)
    converters = [(at, c) for at, f in enumerate(fields) if (c := _converter(f, is_pg=is_pg))]
    values = []
    for row in rows:
        value = list(row_values({**defaults, **row}))
        for at, convert in converters:
            value[at] = convert(value[at])
        values.append(value)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if is_pg:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
            for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(sql)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)  # noqa: S608


@dataclass
class CasesDemo:
    cases: int
    actions: int
    todos: int
    releases: int


@transaction.atomic
def build_demo_cases(
    office: Office, *, count: int = 5000, seed: int = 1, people: Iterable[Person] | None = None
) -> CasesDemo:
    """`count` cases of the office's people (or of `people`) over the last 18 months, with
    their histories, and the configuration they need (types, templates, agencies, teams,
    enough caseworkers). Case numbers follow the office's counter."""
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not secrets)
    tz = ZoneInfo(office.time_zone or "UTC")
    today = timezone.localdate(timezone=tz)
    cutoff = datetime.combine(today, time(0), tzinfo=tz)  # stories stop at the start of today
    setup = _setup(office, count=count, rng=rng, people=people)
    if not setup.people or not setup.types or count <= 0:
        return CasesDemo(cases=0, actions=0, todos=0, releases=0)
    made = [_make_case(setup, rng, today=today, cutoff=cutoff, tz=tz) for _ in range(count)]
    made.sort(key=lambda m: m.row["opened_at"])  # numbers go up with time
    counter, _created = CaseCounter.objects.select_for_update().get_or_create(office=office)
    highest = Case.objects.for_office(office).aggregate(n=Max("number"))["n"] or 0
    first = max(counter.last_number, highest) + 1
    for number, m in enumerate(made, start=first):
        m.row["number"] = number
    _insert(Case, [m.row for m in made])
    counter.last_number = first + len(made) - 1
    counter.save(update_fields=["last_number"])

    releases = _people_and_releases(office, made)
    actions, timeline = [], []
    for m in made:
        case_id = m.row["id"]
        for e in m.story.events:
            details = dict(e.details)
            if e.kind == ActionKind.PRIVACY_RELEASE:
                details["release"] = releases[case_id]
            actions.append({
                "office_id": office.pk, "case_id": case_id, "kind": e.kind,
                "state": ActionState.DONE, "subject": e.subject, "body": e.body,
                "is_public": e.is_public, "occurred_at": e.at, "by_id": e.by.pk if e.by else None,
                "details": details, "created_at": e.at, "updated_at": e.at,
            })  # fmt: skip
        actions += [{**todo, "office_id": office.pk, "case_id": case_id} for todo in m.todos]
        timeline += _timeline(m)
    _insert(CaseAction, actions)
    _insert(Interaction, timeline)

    from civicdesk.tags.services import refresh_usage_counts

    refresh_usage_counts(office)
    result = CasesDemo(
        cases=len(made), actions=len(actions) - sum(len(m.todos) for m in made),
        todos=sum(len(m.todos) for m in made), releases=len(releases),
    )  # fmt: skip
    audit.record(
        None, "demo.cases_loaded", None, office=office, object_repr=f"{len(made)} demo cases",
        changes={key: [None, value] for key, value in asdict(result).items()},
    )  # fmt: skip
    return result


def _people_and_releases(office: Office, made: list[_Case]) -> dict[int, int]:
    """The cases' people, districts, tags and privacy releases; returns case id → release id."""
    parties, districts, tags, releases = [], [], [], []
    for m in made:
        common = {"office_id": office.pk, "case_id": m.row["id"]}
        parties.append({**common, "person_id": m.person.pk, "role": PartyRole.PRIMARY})
        parties += [{**common, "person_id": pk, "role": PartyRole.FAMILY} for pk in m.family]
        for district_id in m.district_ids:
            districts.append({**common, "district_id": district_id})
        tags += [{**common, "tag_id": tag_id} for tag_id in m.tag_ids]
        if m.story.released_on is not None:
            signed = next(e for e in m.story.events if e.kind == ActionKind.PRIVACY_RELEASE)
            releases.append({
                **common, "person_id": m.person.pk, "agency_id": m.release_agency_id,
                "method": ReleaseMethod.E_SIGNATURE, "signed_name": m.person.full_name,
                "signed_on": m.story.released_on,
                "expires_on": m.story.released_on + timedelta(days=365),
                "recorded_by_id": signed.by.pk if signed.by else None,
                "created_at": signed.at, "updated_at": signed.at,
            })  # fmt: skip
    for model, rows in ((CaseParty, parties), (CaseDistrict, districts), (CaseTag, tags),
                        (PrivacyRelease, releases)):  # fmt: skip
        _insert(model, rows)
    return {r["case_id"]: r["id"] for r in releases}


def _timeline(m: _Case) -> list[dict[str, Any]]:
    """The case on its people's timelines as the services put it there: opened (for each of
    its people) and finished. A sensitive case says only that it exists."""
    reference = f"C-{m.row['number']}"
    hidden = f"Sensitive case {reference}" if m.row["is_sensitive"] else None
    common = {
        "office_id": m.row["office_id"], "kind": InteractionKind.CASE,
        "direction": Direction.INBOUND, "source_type": services.CASE_INTERACTION_SOURCE,
        "source_id": str(m.row["id"]),
    }  # fmt: skip
    entries = [
        {**common, "person_id": person_id, "occurred_at": m.row["opened_at"],
         "subject": (hidden or f"Case {reference} opened: {m.row['subject']}")[:200],
         "logged_by_id": m.row["created_by_id"], "created_at": m.row["opened_at"],
         "updated_at": m.row["opened_at"]}
        for person_id in (m.person.pk, *m.family)
    ]  # fmt: skip
    for at, status in m.story.finishes:
        label = m.story.labels[status].lower()
        entries.append({
            **common, "person_id": m.person.pk, "occurred_at": at,
            "subject": hidden or f"Case {reference} {label}", "logged_by_id": m.row["assignee_id"],
            "created_at": at, "updated_at": at,
        })  # fmt: skip
    return entries
