"""The global search box: each provider returns a titled group of hits.
Later issues add providers (constituents, cases, messages, problem reports)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.accounts import queries as accounts_queries
from civicdesk.casework import queries as casework_queries
from civicdesk.constituents import queries as constituents_queries
from civicdesk.jobs import queries as jobs_queries


@dataclass(frozen=True)
class Hit:
    label: str
    url: str
    detail: str = ""


@dataclass
class HitGroup:
    title: str
    icon: str
    hits: list[Hit] = field(default_factory=list)


def staff_hits(member, text: str) -> HitGroup | None:
    if not member.can("member.view"):
        return None
    hits = [
        Hit(
            str(m.user),
            reverse("accounts:staff-detail", args=[m.pk]),
            f"{m.user.email} · {m.get_role_display()}",
        )
        for m in accounts_queries.search_members(member.office, text)
    ]
    return HitGroup(_("Staff"), "people", hits)


def job_hits(member, text: str) -> HitGroup:
    jobs = jobs_queries.job_list(member).filter(title__icontains=text)[:10]
    return HitGroup(
        _("Jobs"),
        "hourglass-split",
        [
            Hit(j.title, reverse("jobs:job-detail", args=[j.pk]), j.get_state_display())
            for j in jobs
        ],
    )


MATCHED_ON = {
    "name": gettext_lazy("name"),
    "email": gettext_lazy("email"),
    "phone": gettext_lazy("phone"),
    "address": gettext_lazy("address"),
    "postcode": gettext_lazy("postcode"),
    "external_id": gettext_lazy("external id"),
}


def people_hits(member, text: str) -> HitGroup | None:
    if not member.can("person.view"):
        return None
    hits = [
        Hit(
            hit.person.display_name,
            reverse("constituents:person-detail", args=[hit.person.pk]),
            _("found by %(what)s") % {"what": MATCHED_ON.get(hit.matched_on, hit.matched_on)},
        )
        for hit in constituents_queries.search_people(member.office, text, limit=8)
    ]
    return HitGroup(_("People"), "person-vcard", hits)


def case_hits(member, text: str) -> HitGroup | None:
    """Cases by reference ("C-1042" or "1042"), subject or constituent: those the member may
    see (a sensitive case of someone else never shows, not even its subject)."""
    if not member.can("case.view"):
        return None
    flt = casework_queries.CaseFilter(text=text)
    page = casework_queries.case_list(member, flt, limit=8)
    hits = [
        Hit(
            f"{case.reference} {case.subject}",
            reverse("casework:case-detail", args=[case.pk]),
            f"{case.primary_person.display_name} · {case.get_status_display()}",
        )
        for case in page.items
    ]
    return HitGroup(_("Cases"), "briefcase", hits)


PROVIDERS: list[Callable] = [people_hits, case_hits, staff_hits, job_hits]


def search(member, text: str) -> list[HitGroup]:
    text = text.strip()
    if len(text) < 2:
        return []
    groups = [
        group for group in (provider(member, text) for provider in PROVIDERS) if group is not None
    ]
    return [group for group in groups if group.hits]
