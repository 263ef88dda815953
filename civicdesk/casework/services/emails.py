"""Email from a case, to its agency or its constituent. The case reference rides in the subject
("[C-12] ...") and in an X-CivicDesk-Case header, and the Message-ID is kept, so the shared
inbox can attach replies to the case. Message bodies are stored on the case only: never in the
audit log or the application logs."""

from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, make_msgid
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership
from civicdesk.casework.errors import CaseRefused
from civicdesk.casework.letters import clean_text
from civicdesk.casework.models import (
    ActionKind,
    ActionState,
    Case,
    CaseAction,
    CaseEmail,
    LetterRecipient,
)
from civicdesk.constituents.models import Direction, EmailAddress, Interaction, InteractionKind

from ._common import require, text
from .cases import CASE_INTERACTION_SOURCE, ensure_release_for_agency, touch

__all__ = ["CASE_HEADER", "case_subject", "send_case_email"]

CASE_HEADER = "X-CivicDesk-Case"


def case_subject(case: Case, subject: str) -> str:
    """The subject with the case's tag in front, once: "[C-12] Your claim"."""
    tag = f"[{case.reference}]"
    subject = text(subject)
    return subject if tag in subject else f"{tag} {subject}".strip()


def _check_recipient(case: Case, *, to: str, recipient: str) -> None:
    if recipient not in LetterRecipient.values:
        raise CaseRefused(_("Choose whether the email goes to the agency or the constituent."))
    try:
        validate_email(to)
    except ValidationError:
        raise CaseRefused(
            _("“%(address)s” is not a valid email address.") % {"address": to}
        ) from None
    if recipient == LetterRecipient.AGENCY:
        ensure_release_for_agency(case, case.agency)
        return
    person = case.primary_person
    if person.do_not_email:
        raise CaseRefused(
            _(
                "%(name)s has asked not to be emailed (“do not email” is set on their record). "
                "Write a letter or call instead."
            )
            % {"name": person.display_name}
        )
    if EmailAddress.objects.filter(person=person, email__iexact=to, is_held=True).exists():
        raise CaseRefused(
            _("Mail to %(address)s bounced, so it is held: use another address.") % {"address": to}
        )


def send_case_email(
    case: Case, *, by: Membership | None, to: str, subject: str, body: str, recipient: str
) -> CaseEmail:
    """Send an email from the case now and keep it on the case, in its history and (to the
    constituent) on their timeline. To the agency, a case type that needs a privacy release
    refuses without one. If the mail server refuses, nothing is recorded (CaseRefused says so)."""
    require(by, "case.edit", case.office_id)
    to = (to or "").strip()
    _check_recipient(case, to=to, recipient=recipient)
    subject = case_subject(case, subject)[:250]
    body = clean_text(body)
    if subject == f"[{case.reference}]":
        raise CaseRefused(_("Give the email a subject."))
    if not body:
        raise CaseRefused(_("Write the email's text."))
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    message_id = make_msgid(idstring=f"case{case.pk}", domain=domain)
    message = EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to],
        headers={"Message-ID": message_id, CASE_HEADER: case.reference},
    )  # fmt: skip
    # Sent before anything is written, outside a transaction: a slow mail server must not hold
    # the database, and a refusal leaves no record of an email that never went.
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP, network and provider errors alike
        raise CaseRefused(
            _("The email could not be sent (%(reason)s). Nothing was recorded: try again later.")
            % {"reason": type(exc).__name__}
        ) from exc
    return _record(case, by=by, to=to, subject=subject, body=body, recipient=recipient,
                   message_id=message_id)  # fmt: skip


@transaction.atomic
def _record(
    case: Case, *, by: Membership | None, to: str, subject: str, body: str, recipient: str,
    message_id: str,
) -> CaseEmail:  # fmt: skip
    now = timezone.now()
    email = CaseEmail.objects.create(
        office_id=case.office_id, case=case, to=to[:320], subject=subject, body=body,
        message_id=message_id[:250], sent_at=now, by=by,
    )  # fmt: skip
    to_constituent = recipient == LetterRecipient.CONSTITUENT
    CaseAction.objects.create(
        office_id=case.office_id, case=case, kind=ActionKind.EMAIL, state=ActionState.DONE,
        subject=(_("Email to %(to)s: %(subject)s") % {"to": to, "subject": subject})[:200],
        is_public=to_constituent, occurred_at=now, by=by, details={"email_id": email.pk},
    )  # fmt: skip
    touch(case)
    if to_constituent:
        line = _("Email on case %(ref)s: %(subject)s")
        if case.is_sensitive:  # the timeline is seen by staff who may not see the case
            line = _("Email on sensitive case %(ref)s")
        Interaction.objects.create(
            office_id=case.office_id, person=case.primary_person, kind=InteractionKind.EMAIL,
            direction=Direction.OUTBOUND, occurred_at=now, logged_by=by,
            subject=(line % {"ref": case.reference, "subject": subject})[:200],
            source_type=CASE_INTERACTION_SOURCE, source_id=str(case.pk),
        )  # fmt: skip
    audit.record(by, "case.email_sent", case, changes={"email": [None, {
        "id": email.pk, "to": email.to, "recipient": recipient, "message_id": email.message_id,
    }]})  # fmt: skip
    return email
