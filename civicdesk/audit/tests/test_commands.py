from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicdesk import audit
from civicdesk.audit.models import AuditEvent


def verify(*args: str) -> str:
    out = StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def test_verify_reports_every_intact_chain(ward1, ward2, adam):
    audit.record(adam, "test.step", adam)

    assert verify() == (
        "ward-1: ok — 3 events, chain intact\nward-2: ok — 1 events, chain intact\n"
    )


def test_verify_one_office(ward1, ward2):
    assert verify("--office", "ward-2") == "ward-2: ok — 1 events, chain intact\n"


def test_verify_an_unknown_office_is_an_error(db):
    with pytest.raises(CommandError, match="No office with slug 'nowhere'."):
        verify("--office", "nowhere")


def test_verify_reports_tampering_and_exits_1(ward1, ward2, adam):
    changed = audit.record(adam, "test.step", adam)
    AuditEvent.objects.filter(pk=changed.pk).update(actor_label="someone@else.example")
    out = StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify", stdout=out)

    assert caught.value.returncode == 1
    assert str(caught.value) == "audit log tampered: 1 problem(s)"
    assert out.getvalue() == (
        "ward-1: TAMPERED — 1 problem(s) in 3 events\n"
        f"  event #3 (id {changed.pk}): changed: contents do not match its hash (action test.step)\n"
        "ward-2: ok — 1 events, chain intact\n"
    )


def test_verify_reports_a_deleted_event(ward1, adam):
    middle = audit.record(adam, "test.step", adam)
    audit.record(adam, "test.step", adam)
    AuditEvent.objects.filter(pk=middle.pk).delete()
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=out)

    assert out.getvalue() == (
        "ward-1: TAMPERED — 1 problem(s) in 3 events\n  event #3: deleted: event #3 is missing\n"
    )
