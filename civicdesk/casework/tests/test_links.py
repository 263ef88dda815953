"""The constituent's status link, through the services: made, emailed, hashed at rest, opened,
expired, revoked."""

import datetime as dt
import hashlib

import pytest
from django.core import mail
from django.utils import timezone

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services
from civicdesk.casework.errors import CaseRefused, StatusLinkInvalid
from civicdesk.casework.models import ActionKind, CaseAction, CaseStatusLink
from civicdesk.core.errors import NotAllowed


def test_only_the_hash_of_the_token_is_stored(case, alice):
    link, token = services.create_status_link(case, by=alice, send_email=False)

    row = CaseStatusLink.objects.values().get(pk=link.pk)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row)
    assert token not in str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert len(token) == 43


def test_the_token_opens_the_link_and_the_visit_is_audited(case, alice):
    link, token = services.create_status_link(case, by=alice, send_email=False)

    opened = services.open_status_link(token)

    assert (opened.pk, opened.case) == (link.pk, case)
    link.refresh_from_db()
    assert link.last_seen_at is not None
    event = AuditEvent.objects.get(action="case.viewed_by_constituent")
    assert (event.actor, event.actor_label, event.object_id) == (None, "system", str(case.pk))


def test_a_link_expires_after_its_days(case, alice):
    link, token = services.create_status_link(case, by=alice, days=7, send_email=False)

    assert link.expires_at - link.created_at == pytest.approx(
        dt.timedelta(days=7), abs=dt.timedelta(seconds=5)
    )
    CaseStatusLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(StatusLinkInvalid) as refused:
        services.open_status_link(token)
    assert refused.value.message == "This link is not valid or has expired."
    assert refused.value.details == {"office": case.office.name, "address": ""}
    assert not AuditEvent.objects.filter(action="case.viewed_by_constituent").exists()


def test_a_revoked_link_no_longer_opens(case, alice):
    link, token = services.create_status_link(case, by=alice, send_email=False)

    services.revoke_status_link(link, by=alice)

    with pytest.raises(StatusLinkInvalid):
        services.open_status_link(token)
    assert AuditEvent.objects.filter(action="case.status_link_revoked").count() == 1


def test_an_unknown_token_opens_nothing(case):
    with pytest.raises(StatusLinkInvalid) as refused:
        services.open_status_link("x" * 43)
    assert refused.value.details is None


def test_the_link_is_emailed_to_the_constituent(case, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _link, token = services.create_status_link(case, by=alice)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["john.smith@example.org"]
    assert message.subject == "Follow your case C-1 with Ward 1 — Council Member Reyes"
    assert message.extra_headers["X-CivicDesk-Case"] == "C-1"
    assert f"http://127.0.0.1:8000/cases/status/{token}/" in message.body
    assert "Disability claim" not in message.body  # the subject stays out of an inbox
    action = CaseAction.objects.get(case=case, kind=ActionKind.EMAIL)
    assert action.subject == "Status link emailed to John Smith (john.smith@example.org)"


def test_a_constituent_who_asked_not_to_be_emailed_gets_no_email(
    case, alice, john, django_capture_on_commit_callbacks
):
    john.do_not_email = True
    john.save(update_fields=["do_not_email"])

    with django_capture_on_commit_callbacks(execute=True):
        services.create_status_link(case, by=alice)

    assert mail.outbox == []
    assert CaseAction.objects.filter(case=case, subject="Status link made for John Smith").exists()


def test_the_base_url_can_be_given(case, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _link, token = services.create_status_link(
            case, by=alice, base_url="https://desk.ward1.example/"
        )

    assert f"https://desk.ward1.example/cases/status/{token}/" in mail.outbox[0].body


@pytest.mark.parametrize("days", [0, 366])
def test_a_link_lasts_from_1_to_365_days(case, alice, days):
    with pytest.raises(CaseRefused):
        services.create_status_link(case, by=alice, days=days, send_email=False)
    assert CaseStatusLink.objects.count() == 0


def test_a_volunteer_cannot_make_a_link(case, victor):
    with pytest.raises(NotAllowed):
        services.create_status_link(case, by=victor, send_email=False)
    assert CaseStatusLink.objects.count() == 0
