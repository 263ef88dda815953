"""The global search box: each provider returns a titled group of hits.
Later issues add providers (constituents, cases, messages, problem reports)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from civicdesk.accounts import queries as accounts_queries
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


PROVIDERS: list[Callable] = [staff_hits, job_hits]


def search(member, text: str) -> list[HitGroup]:
    text = text.strip()
    if len(text) < 2:
        return []
    groups = [
        group for group in (provider(member, text) for provider in PROVIDERS) if group is not None
    ]
    return [group for group in groups if group.hits]
