import datetime as dt
from datetime import UTC

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from civicdesk.casework import services
from civicdesk.casework.models import DigestSent
from civicdesk.casework.tasks import send_daily_digests
from civicdesk.jobs.registry import PERIODIC

# 9:30 in the morning in Ward 1 (New York, summer time), the day of the to-dos below.
MORNING = dt.datetime(2026, 6, 10, 13, 30, tzinfo=UTC)
DAY = dt.date(2026, 6, 10)


def on(days: int) -> dt.date:
    return DAY + dt.timedelta(days=days)


@pytest.fixture(autouse=True)
def _offices_and_site(settings, ward1, ward2):
    settings.SITE_URL = "https://desk.example.org"
    for office, zone in ((ward1, "America/New_York"), (ward2, "UTC")):
        office.time_zone = zone
        office.save()


@pytest.fixture
def todos(case, alice):
    return [
        services.plan_action(case, by=alice, subject="Call the VA", due_on=on(-2)),
        services.plan_action(case, by=alice, subject="Send the DD-214", due_on=on(0)),
        services.plan_action(case, by=alice, subject="Check the claim", due_on=on(3)),
    ]


def test_the_digest_lists_what_is_overdue_and_due_today_with_links(todos, case, alice):
    assert send_daily_digests(now=MORNING) == 1

    [message] = mail.outbox
    assert message.to == ["alice@ward1.example"]
    assert message.subject == "Your to-dos for Wed 10 Jun: 1 overdue, 1 due today"
    assert "- Call the VA (2 days overdue)" in message.body
    assert "- Send the DD-214\n" in message.body
    assert "Check the claim" not in message.body
    assert f"https://desk.example.org/cases/{case.pk}/" in message.body
    assert "https://desk.example.org/cases/work/" in message.body
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert (
        f'<a href="https://desk.example.org/cases/{case.pk}/">C-1 Disability claim delayed</a>'
        in html
    )
    assert list(DigestSent.objects.values_list("member_id", "day")) == [(alice.pk, DAY)]


def test_the_digest_goes_once_a_day(todos):
    send_daily_digests(now=MORNING)

    assert send_daily_digests(now=MORNING + dt.timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1
    assert send_daily_digests(now=MORNING + dt.timedelta(days=1)) == 1
    assert len(mail.outbox) == 2


def test_no_digest_before_seven_in_the_offices_morning(todos):
    # 10:59 UTC is 6:59 in New York.
    assert send_daily_digests(now=dt.datetime(2026, 6, 10, 10, 59, tzinfo=UTC)) == 0
    assert (len(mail.outbox), DigestSent.objects.count()) == (0, 0)
    assert send_daily_digests(now=dt.datetime(2026, 6, 10, 11, 0, tzinfo=UTC)) == 1


def test_late_in_the_evening_it_is_still_the_offices_day(todos, alice):
    # 2:30 UTC on the 11th is 22:30 on the 10th in New York.
    assert send_daily_digests(now=dt.datetime(2026, 6, 11, 2, 30, tzinfo=UTC)) == 1
    assert DigestSent.objects.get().day == DAY


def test_nobody_with_nothing_due_gets_a_digest(case, alice, bella, todos):
    services.plan_action(case, by=alice, subject="Later", due_on=on(1), assignee=bella)
    services.complete_action(todos[0], by=alice)
    services.complete_action(todos[1], by=alice)

    assert send_daily_digests(now=MORNING) == 0
    assert (len(mail.outbox), DigestSent.objects.count()) == (0, 0)


def test_to_dos_of_closed_cases_and_inactive_members_send_nothing(case, alice, todos):
    services.change_status(case, by=alice, status="closed", resolution="Withdrawn")
    assert send_daily_digests(now=MORNING) == 0
    services.change_status(case, by=alice, status="open")
    alice.is_active, alice.deactivated_at = False, MORNING
    alice.save()
    assert send_daily_digests(now=MORNING) == 0
    assert len(mail.outbox) == 0


def test_a_digest_another_worker_claimed_is_not_sent_again(todos, alice):
    DigestSent.objects.create(member=alice, day=DAY)

    assert send_daily_digests(now=MORNING) == 0
    assert len(mail.outbox) == 0


def test_a_failed_send_gives_the_claim_back_for_the_next_run(todos, monkeypatch):
    def fail(self, fail_silently=False):
        raise OSError("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", fail)
    assert send_daily_digests(now=MORNING) == 0
    assert DigestSent.objects.count() == 0

    monkeypatch.undo()
    assert send_daily_digests(now=MORNING) == 1
    assert len(mail.outbox) == 1


def test_each_office_gets_its_digests_on_its_own_day(todos, carol, wren_case):
    wren_case = services.assign_case(wren_case, by=None, assignee=carol)
    services.plan_action(wren_case, by=None, subject="Call the landlord", due_on=on(0))
    # 6:30 UTC: 6:30 in Ward 2 (too early), 2:30 in New York, still the 9th there.
    early = dt.datetime(2026, 6, 10, 6, 30, tzinfo=UTC)

    assert send_daily_digests(now=early) == 0
    assert send_daily_digests(now=MORNING) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@ward1.example", "carol@ward2.example"]
    [carols] = [m for m in mail.outbox if m.to == ["carol@ward2.example"]]
    assert "Call the landlord" in carols.body
    assert "Call the VA" not in carols.body


def test_the_digest_runs_every_hour():
    task = PERIODIC["casework.daily_digest"]
    assert task.every == dt.timedelta(hours=1)
    assert task.func() == 0  # no office has anything due
