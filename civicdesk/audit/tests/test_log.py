from datetime import date
from decimal import Decimal

import pytest

from civicdesk import audit
from civicdesk.audit.log import event_hash, verify_chain
from civicdesk.audit.models import AuditChainHead, AuditEvent


@pytest.fixture
def chain(ward1, adam) -> list[AuditEvent]:
    """Ward 1's chain: the office's creation, adam joining, then three more events."""
    return [
        *AuditEvent.objects.filter(office=ward1).order_by("seq"),
        *(audit.record(adam, f"test.step_{n}", adam) for n in range(3)),
    ]


def test_record_chains_the_events_of_an_office(chain, ward1):
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == ""
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]
    assert [e.hash for e in chain] == [event_hash(e) for e in chain]
    head = AuditChainHead.objects.get(office=ward1)
    assert (head.last_seq, head.last_hash) == (5, chain[-1].hash)


def test_each_office_has_its_own_chain(chain, ward2, dora):
    event = audit.record(dora, "test.elsewhere", dora)

    assert (event.office, event.seq) == (ward2, 3)
    assert verify_chain(ward2.pk) == []


def test_record_names_the_actor_and_the_object(adam, alice):
    event = audit.record(adam, "member.viewed", alice)

    assert (event.actor, event.actor_label, event.office_id) == (
        adam,
        "adam@ward1.example",
        adam.office_id,
    )
    assert (event.object_type, event.object_id, event.object_repr) == (
        "accounts.membership",
        str(alice.pk),
        "Alice Alvarez (Caseworker)",
    )


def test_the_system_acts_without_an_actor(ward1):
    event = audit.record(None, "office.checked", ward1)

    assert (event.actor, event.actor_label, event.office) == (None, "system", ward1)


def test_record_refuses_an_event_of_no_office(db):
    with pytest.raises(ValueError, match="cannot tell which office"):
        audit.record(None, "something.happened")

    assert AuditEvent.objects.count() == 0


def test_changes_between_lists_only_changed_fields(alice):
    before = audit.snapshot(alice, ("role", "is_active", "office_id"))
    alice.role = "manager"

    assert audit.changes_between(
        before, audit.snapshot(alice, ("role", "is_active", "office_id"))
    ) == {"role": ["caseworker", "manager"]}


def test_changes_are_stored_json_safe(ward1):
    event = audit.record(
        None,
        "test.values",
        ward1,
        changes={"on": [None, date(2026, 3, 1)], "amount": [None, Decimal("2.50")]},
    )

    event.refresh_from_db()
    assert event.changes == {"on": [None, "2026-03-01"], "amount": [None, "2.50"]}
    assert verify_chain(ward1.pk) == []


def test_an_event_cannot_be_saved_again(chain):
    event = chain[2]
    event.action = "test.rewritten"

    with pytest.raises(RuntimeError, match="append-only"):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).action == "test.step_0"


def test_an_event_cannot_be_deleted(chain):
    with pytest.raises(RuntimeError, match="append-only"):
        chain[2].delete()

    assert AuditEvent.objects.filter(pk=chain[2].pk).exists()


def test_an_intact_chain_verifies(chain, ward1):
    assert verify_chain(ward1.pk) == []


def test_verify_finds_a_changed_event(chain, ward1):
    AuditEvent.objects.filter(pk=chain[2].pk).update(object_repr="Somebody else")

    problems = verify_chain(ward1.pk)

    assert [(p.seq, p.event_id, p.message) for p in problems] == [
        (3, chain[2].pk, "changed: contents do not match its hash (action test.step_0)")
    ]
    assert str(problems[0]) == (
        f"office {ward1.pk} event #3: changed: contents do not match its hash (action test.step_0)"
    )


def test_verify_finds_a_rehashed_event_by_its_broken_link(chain, ward1):
    forged = AuditEvent.objects.get(pk=chain[2].pk)
    forged.object_repr = "Somebody else"
    AuditEvent.objects.filter(pk=forged.pk).update(
        object_repr=forged.object_repr, hash=event_hash(forged)
    )

    problems = verify_chain(ward1.pk)

    assert [(p.seq, p.message) for p in problems] == [
        (4, "link broken: previous hash does not match")
    ]


def test_verify_finds_a_deleted_middle_event(chain, ward1):
    AuditEvent.objects.filter(pk=chain[2].pk).delete()

    problems = verify_chain(ward1.pk)

    assert [(p.seq, p.event_id, p.message) for p in problems] == [
        (3, None, "deleted: event #3 is missing")
    ]


def test_verify_names_a_run_of_deleted_events(chain, ward1):
    AuditEvent.objects.filter(pk__in=[chain[1].pk, chain[2].pk]).delete()

    assert [p.message for p in verify_chain(ward1.pk)] == ["deleted: event #2–#3 is missing"]


def test_verify_finds_a_deleted_tail(chain, ward1):
    AuditEvent.objects.filter(pk__in=[chain[3].pk, chain[4].pk]).delete()

    problems = verify_chain(ward1.pk)

    assert [(p.seq, p.message) for p in problems] == [
        (4, "deleted: events #4–#5 at the end of the chain are missing")
    ]


def test_verify_finds_a_head_that_does_not_match(chain, ward1):
    AuditChainHead.objects.filter(office=ward1).update(last_hash="0" * 64)

    assert [p.message for p in verify_chain(ward1.pk)] == [
        "the chain head does not match the last event"
    ]


def test_verify_reports_progress(chain, ward1):
    calls = []

    verify_chain(ward1.pk, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(5, 5)]
