"""The constituent's status link: a private, expiring address where they follow their case
(its status and the updates meant for them, never internal notes). Only the sha256 of the
link's token is stored; the token itself is shown once to staff and emailed to the person."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership
from civicdesk.casework.errors import CaseRefused, StatusLinkInvalid
from civicdesk.casework.models import ActionKind, Case, CaseStatusLink
from civicdesk.constituents.models import Person

from ._common import require
from .cases import _action
from .releases import _check_party

__all__ = [
    "create_status_link", "hash_status_token", "open_status_link", "revoke_status_link",
    "status_link_recipient", "status_link_url",
]  # fmt: skip

MAX_DAYS = 365


def hash_status_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def status_link_url(secret: str, base_url: str = "") -> str:
    """The link's full address, on `base_url` (settings.SITE_URL unless said)."""
    base = (base_url or settings.SITE_URL).rstrip("/")
    return base + reverse("casework:status-page", kwargs={"secret": secret})


def status_link_recipient(person: Person) -> str | None:
    """Where the link is emailed: the person's primary address (else another), unless they
    asked not to be emailed or every address bounced."""
    if person.do_not_email:
        return None
    address = person.emails.filter(is_held=False).order_by("-is_primary", "id").first()
    return address.email if address is not None else None


def _send(link: CaseStatusLink, *, to: str, url: str) -> None:
    case, office, person = link.case, link.office, link.person
    languages = {code for code, _name in settings.LANGUAGES}
    language = next(
        (code for code in (person.language, office.language) if code in languages),
        settings.LANGUAGE_CODE,
    )
    with translation.override(language):
        context = {"case": case, "office": office, "person": person, "url": url,
                   "expires_at": link.expires_at}  # fmt: skip
        # The subject names the case by its reference only: an inbox is not always private.
        subject = _("Follow your case %(ref)s with %(office)s") % {
            "ref": case.reference, "office": office.name,
        }  # fmt: skip
        body = render_to_string("casework/status_link_email.txt", context)
    message = EmailMessage(subject, body, to=[to], headers={"X-CivicDesk-Case": case.reference})
    message.send()


@transaction.atomic
def create_status_link(
    case: Case,
    *,
    by: Membership | None,
    person: Person | None = None,
    days: int = 30,
    send_email: bool = True,
    base_url: str = "",
) -> tuple[CaseStatusLink, str]:
    """Make a status link for `person` (the case's constituent unless said), valid `days` days,
    and email it to them (after the commit) when `send_email` and they may be emailed. Returns
    the link and its token: the token is not stored, so this is the only time it is known."""
    require(by, "case.status_link", case.office_id)
    person = person or case.primary_person
    _check_party(case, person)
    if not 1 <= days <= MAX_DAYS:
        raise CaseRefused(
            _("A status link lasts from 1 to %(max)s days.") % {"max": MAX_DAYS},
            details={"field": "days"},
        )
    secret = secrets.token_urlsafe(32)
    link = CaseStatusLink.objects.create(
        office_id=case.office_id,
        case=case,
        person=person,
        token_hash=hash_status_token(secret),
        expires_at=timezone.now() + dt.timedelta(days=days),
        created_by=by,
    )
    to = status_link_recipient(person) if send_email else None
    if to:
        url = status_link_url(secret, base_url)
        transaction.on_commit(lambda: _send(link, to=to, url=url))
        subject = _("Status link emailed to %(name)s (%(email)s)")
    else:
        subject = _("Status link made for %(name)s")
    _action(case, by=by, kind=ActionKind.EMAIL if to else ActionKind.NOTE,
            subject=subject % {"name": person.display_name, "email": to},
            details={"status_link_id": link.pk})  # fmt: skip
    audit.record(
        by, "case.status_link_created", case,
        changes={"status_link": [None, {"id": link.pk, "person": person.pk,
                                        "expires_at": link.expires_at, "emailed": bool(to)}]},
    )  # fmt: skip
    return link, secret


@transaction.atomic
def revoke_status_link(link: CaseStatusLink, *, by: Membership | None) -> CaseStatusLink:
    """The link stops working now. Revoking one twice changes nothing."""
    require(by, "case.status_link", link.office_id)
    locked = CaseStatusLink.objects.select_for_update().select_related("case").get(pk=link.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at", "updated_at"])
        audit.record(by, "case.status_link_revoked", locked.case,
                     changes={"status_link": [locked.pk, None]})  # fmt: skip
    return locked


@transaction.atomic
def open_status_link(secret: str) -> CaseStatusLink:
    """The link a constituent opened, with its case, or StatusLinkInvalid when it is unknown,
    revoked or expired (details: the office's name and address when the link was known).
    Records when it was last seen and audits the view ("case.viewed_by_constituent")."""
    now = timezone.now()
    link = None
    if 20 <= len(secret) <= 100:  # a token is 43 characters; do not hash whatever is sent
        link = (
            CaseStatusLink.objects.select_related(
                "office", "case__case_type", "case__assignee__user"
            )
            .filter(token_hash=hash_status_token(secret))
            .first()
        )
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        details = None
        if link is not None:
            details = {"office": link.office.name, "address": link.office.address}
        raise StatusLinkInvalid(_("This link is not valid or has expired."), details=details)
    CaseStatusLink.objects.filter(pk=link.pk).update(last_seen_at=now)
    link.last_seen_at = now
    audit.record(None, "case.viewed_by_constituent", link.case,
                 changes={"status_link": [None, link.pk]})  # fmt: skip
    return link
