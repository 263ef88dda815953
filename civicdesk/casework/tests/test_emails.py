"""Email from a case, through the service: the reference in the subject and in a header, the
Message-ID kept for threading replies, the release rule for the agency, and refusals that send
nothing and record nothing."""

import json
import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services
from civicdesk.casework.errors import CaseRefused, PrivacyReleaseRequired
from civicdesk.casework.models import ActionKind, CaseAction, CaseEmail
from civicdesk.casework.tests.test_letters import give_release
from civicdesk.constituents.models import EmailAddress, Interaction, Person
from civicdesk.core.errors import NotAllowed

BODY = "Your claim was received by the VA on March 3.\n\nWe will call you next week."


def send(case, by, **overrides):
    values = {"to": "john.smith@example.org", "subject": "Your claim", "body": BODY,
              "recipient": "constituent"} | overrides  # fmt: skip
    return services.send_case_email(case, by=by, **values)


def nothing_recorded() -> tuple:
    return (
        len(mail.outbox),
        CaseEmail.objects.count(),
        CaseAction.objects.filter(kind=ActionKind.EMAIL).count(),
        Interaction.objects.filter(kind="email").count(),
        AuditEvent.objects.filter(action="case.email_sent").count(),
    )


def test_an_email_carries_the_case_reference_and_its_message_id(case, alice, settings):
    email = send(case, alice)

    [message] = mail.outbox
    assert message.subject == "[C-1] Your claim"
    assert message.to == ["john.smith@example.org"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.body == BODY
    headers = message.message()
    assert headers["X-CivicDesk-Case"] == "C-1"
    assert headers["Message-ID"] == email.message_id
    assert email.message_id.startswith("<")
    assert email.message_id.endswith("@localhost>")
    assert (email.to, email.subject, email.body, email.by) == (
        "john.smith@example.org", "[C-1] Your claim", BODY, alice,
    )  # fmt: skip


def test_an_email_to_the_constituent_is_shown_to_them_and_on_their_timeline(case, alice, john):
    email = send(case, alice)
    action = CaseAction.objects.get(kind=ActionKind.EMAIL)
    assert (action.subject, action.is_public, action.details) == (
        "Email to john.smith@example.org: [C-1] Your claim", True, {"email_id": email.pk},
    )  # fmt: skip
    entry = Interaction.objects.get(person=john, kind="email")
    assert (entry.direction, entry.subject, entry.source_id) == (
        "out", "Email on case C-1: [C-1] Your claim", str(case.pk),
    )  # fmt: skip


def test_the_reference_is_not_doubled_in_a_reply(case, alice):
    send(case, alice, subject="Re: [C-1] Your claim")
    assert mail.outbox[0].subject == "Re: [C-1] Your claim"


def test_the_audit_log_keeps_no_message_body(case, alice):
    email = send(case, alice)
    event = AuditEvent.objects.get(action="case.email_sent")
    assert event.changes == {"email": [None, {
        "id": email.pk, "to": "john.smith@example.org", "recipient": "constituent",
        "message_id": email.message_id,
    }]}  # fmt: skip
    assert "March 3" not in json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_an_email_to_the_agency_waits_for_the_release(case, alice):
    agency_mail = {"to": "inquiries@va.example.gov", "recipient": "agency"}
    with pytest.raises(PrivacyReleaseRequired):
        send(case, alice, **agency_mail)
    assert nothing_recorded() == (0, 0, 0, 0, 0)

    give_release(case)
    email = send(case, alice, **agency_mail)

    assert mail.outbox[0].to == ["inquiries@va.example.gov"]
    action = CaseAction.objects.get(kind=ActionKind.EMAIL)
    assert (action.is_public, action.details) == (False, {"email_id": email.pk})
    assert not Interaction.objects.filter(kind="email").exists()


def test_a_constituent_who_asked_not_to_be_emailed_is_not(case, alice, john):
    Person.objects.filter(pk=john.pk).update(do_not_email=True)
    case.primary_person.refresh_from_db()
    with pytest.raises(CaseRefused) as refused:
        send(case, alice)
    assert refused.value.message == (
        "John Smith has asked not to be emailed (“do not email” is set on their record). "
        "Write a letter or call instead."
    )
    assert nothing_recorded() == (0, 0, 0, 0, 0)


def test_a_held_address_is_refused(case, alice, john):
    EmailAddress.objects.filter(person=john).update(is_held=True)
    with pytest.raises(CaseRefused, match="bounced"):
        send(case, alice)
    assert nothing_recorded() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize("address", ["john.smith", "john@", "", "a b@example.org"])
def test_an_invalid_address_is_refused(case, alice, address):
    with pytest.raises(CaseRefused, match="is not a valid email address"):
        send(case, alice, to=address)
    assert nothing_recorded() == (0, 0, 0, 0, 0)


def test_an_empty_subject_or_message_is_refused(case, alice):
    with pytest.raises(CaseRefused, match="subject"):
        send(case, alice, subject="  ")
    with pytest.raises(CaseRefused, match="text"):
        send(case, alice, body="\n")
    assert nothing_recorded() == (0, 0, 0, 0, 0)


def test_when_the_mail_server_refuses_nothing_is_recorded(case, alice, monkeypatch):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    with pytest.raises(CaseRefused) as refused:
        send(case, alice)
    assert refused.value.message == (
        "The email could not be sent (SMTPServerDisconnected). Nothing was recorded: "
        "try again later."
    )
    assert nothing_recorded() == (0, 0, 0, 0, 0)


def test_a_volunteer_cannot_email_from_a_case(case, victor):
    with pytest.raises(NotAllowed):
        send(case, victor)
    assert nothing_recorded() == (0, 0, 0, 0, 0)
