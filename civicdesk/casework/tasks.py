"""Background work of casework: the daily digest, one email a day to each caseworker with
to-dos due, listing what is overdue and what is due today."""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civicdesk.accounts.models import Membership, Office
from civicdesk.jobs.registry import periodic

from . import queries, stats
from .models import OPEN_STATUSES, ActionState, CaseAction, DigestSent

logger = logging.getLogger(__name__)

# No digest before this local hour: it should land at the start of the working day, not at 1am.
DIGEST_HOUR = 7


@periodic("casework.daily_digest", every=timedelta(hours=1))
def daily_digest() -> int:
    return send_daily_digests()


def send_daily_digests(now: datetime | None = None) -> int:
    """Send today's digest to every active member who may edit cases and has to-dos due today
    or overdue, once per local day of their office and only from DIGEST_HOUR on. Returns how
    many were sent. Safe to run on several workers at once and to run again: each digest is
    claimed (a DigestSent row, unique per member and day) before it is sent, and the claim is
    given back if sending fails, so the next run tries again."""
    now = now or timezone.now()
    sent = 0
    for office_id in list(Office.objects.order_by("pk").values_list("pk", flat=True)):
        office = Office.objects.get(pk=office_id)
        local = timezone.localtime(now, stats.office_zone(office))
        if local.hour < DIGEST_HOUR:
            continue
        for member in _members_due(office, local.date()):
            sent += _send_once(member, local.date())
    return sent


def _members_due(office: Office, day: date) -> list[Membership]:
    """The office's members with to-dos due by `day` and no digest for it yet."""
    member_ids = (
        CaseAction.objects.filter(
            office=office,
            state=ActionState.PLANNED,
            due_on__lte=day,
            case__status__in=OPEN_STATUSES,
            assignee__isnull=False,
        )
        .values_list("assignee_id", flat=True)
        .distinct()
    )
    done = DigestSent.objects.filter(member__office=office, day=day).values_list(
        "member_id", flat=True
    )
    members = (
        Membership.objects.active()
        .filter(office=office, pk__in=list(member_ids))
        .exclude(pk__in=list(done))
        .select_related("user", "office")
        .order_by("pk")
    )
    return [m for m in members if m.can("case.edit") and m.user.email]


def _send_once(member: Membership, day: date) -> int:
    try:
        with transaction.atomic():
            claim = DigestSent.objects.create(member=member, day=day)
    except IntegrityError:  # another worker claimed it first
        return 0
    try:
        message = digest_message(member, day)
        if message is None:  # done in the meantime: keep the claim, nothing to say today
            return 0
        message.send()
    except Exception:
        # Give the claim back: the next hourly run tries again.
        DigestSent.objects.filter(pk=claim.pk).delete()
        logger.exception("daily digest for membership %s failed", member.pk)
        return 0
    return 1


def _link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def digest_message(member: Membership, day: date) -> EmailMultiAlternatives | None:
    """The digest email for a member and day, or None when nothing is due."""
    todos = queries.due_todos(member, on=day)
    if not todos:
        return None
    overdue = [a for a in todos if a.due_on < day]
    due_today = [a for a in todos if a.due_on == day]
    for action in todos:
        action.link = _link(reverse("casework:case-detail", args=[action.case_id]))
        action.days_overdue = (day - action.due_on).days
    with translation.override(member.office.language or settings.LANGUAGE_CODE):
        context = {
            "member": member,
            "office": member.office,
            "day": day,
            "overdue": overdue,
            "due_today": due_today,
            "my_work_url": _link(reverse("casework:my-work")),
        }
        parts = []
        if overdue:
            parts.append(
                ngettext("%(n)s overdue", "%(n)s overdue", len(overdue)) % {"n": len(overdue)}
            )
        if due_today:
            parts.append(
                ngettext("%(n)s due today", "%(n)s due today", len(due_today))
                % {"n": len(due_today)}
            )
        subject = _("Your to-dos for %(day)s: %(counts)s") % {
            "day": date_format(day, "D j M"),
            "counts": ", ".join(parts),
        }
        message = EmailMultiAlternatives(
            subject,
            render_to_string("casework/email/digest.txt", context),
            None,
            [member.user.email],
        )
        message.attach_alternative(
            render_to_string("casework/email/digest.html", context), "text/html"
        )
    return message
