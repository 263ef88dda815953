from django.urls import reverse

from civicdesk import audit
from civicdesk.audit.models import AuditEvent
from civicdesk.jobs.models import Job

EVENTS = reverse("audit:event-list")


def test_the_audit_log_lists_the_offices_events_newest_first(web, adam, carol):
    response = web(adam).get(EVENTS)

    assert response.status_code == 200
    assert [e.action for e in response.context["page"].object_list] == [
        "member.added",
        "office.created",
    ]
    assert "carol@ward2.example" not in response.text


def test_the_audit_log_filters_by_action_and_actor(web, adam, alice):
    audit.record(adam, "member.viewed", alice)
    audit.record(alice, "member.viewed", adam)

    response = web(adam).get(EVENTS, {"action": "member.viewed", "actor_id": alice.pk})

    assert [(e.action, e.actor_id) for e in response.context["page"].object_list] == [
        ("member.viewed", alice.pk)
    ]


def test_the_audit_log_filters_by_record(web, adam, alice):
    audit.record(adam, "member.viewed", alice)

    response = web(adam).get(
        EVENTS, {"object_type": "accounts.membership", "object_id": str(alice.pk)}
    )

    assert [e.action for e in response.context["page"].object_list] == [
        "member.viewed",
        "member.added",
    ]


def test_an_htmx_filter_gets_only_the_rows(web, adam):
    response = web(adam).get(EVENTS, {"action": "office."}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response.text.strip().startswith('<div id="event-rows">')
    assert "<html" not in response.text
    assert "office.created" in response.text
    assert "member.added" not in response.text


def test_the_audit_log_is_for_admins_only(web, alice, manny):
    assert web(alice).get(EVENTS).status_code == 403
    assert web(manny).get(EVENTS).status_code == 403


def test_the_audit_log_shows_where_a_change_came_from(web, adam, ward1):
    web(adam).post(
        reverse("accounts:office-settings"),
        {"name": ward1.name, "kind": ward1.kind, "time_zone": "UTC", "language": "en",
         "jurisdiction": "Riverton"},
        REMOTE_ADDR="198.51.100.23",
        HTTP_USER_AGENT="Mozilla/5.0 (audit test)",
    )  # fmt: skip

    response = web(adam).get(EVENTS)

    assert "198.51.100.23" in response.text
    assert "Mozilla/5.0 (audit test)" in response.text
    event = AuditEvent.objects.get(action="office.changed")
    assert (event.ip, event.user_agent) == ("198.51.100.23", "Mozilla/5.0 (audit test)")


def test_an_admin_starts_a_verification(web, adam, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = web(adam).post(reverse("audit:verify"))

    job = Job.objects.get()
    assert response.headers["location"] == reverse("jobs:job-detail", args=[job.pk])
    assert (job.kind, job.state, job.started_by) == ("audit.verify", "queued", adam)
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="audit.verify_started").count() == 1


def test_a_caseworker_cannot_start_a_verification(web, alice):
    assert web(alice).post(reverse("audit:verify")).status_code == 403
    assert Job.objects.count() == 0
