from django.core.management import call_command

from civicdesk import audit
from civicdesk.audit.models import AuditEvent
from civicdesk.jobs.models import Job


def test_events_page_through_the_whole_log_once(api, adam, ward1, ward2):
    for n in range(7):
        audit.record(adam, f"test.step_{n}", adam)
    client = api(adam)
    expected = list(
        AuditEvent.objects.filter(office=ward1).order_by("-seq").values_list("seq", flat=True)
    )

    seen, url = [], "/api/v1/audit/events?page_size=4"
    while url:
        body = client.get(url).json()
        seen += [event["seq"] for event in body["results"]]
        url = body["next"]

    assert seen == expected
    assert len(expected) == 10  # created, adam added, 7 steps, adam's test token


def test_an_event_carries_its_chain_links(api, adam):
    client = api(adam)

    newest, older = client.get("/api/v1/audit/events?page_size=2").json()["results"]

    assert (newest["action"], newest["actor_label"]) == ("api_token.created", "adam@ward1.example")
    assert newest["prev_hash"] == older["hash"]
    assert newest["changes"]["expires_at"][0] is None


def test_events_filter_by_action(api, adam, alice):
    audit.record(adam, "member.viewed", alice)

    body = api(adam).get("/api/v1/audit/events?action=member.viewed").json()

    assert [(e["action"], e["object_id"]) for e in body["results"]] == [
        ("member.viewed", str(alice.pk))
    ]


def test_events_queries_do_not_grow_with_the_log(api, adam, django_assert_max_num_queries):
    client = api(adam)
    client.get("/api/v1/audit/events")
    with django_assert_max_num_queries(2):
        few = client.get("/api/v1/audit/events").json()["results"]
    for n in range(40):
        audit.record(adam, f"test.step_{n}", adam)
    with django_assert_max_num_queries(2):
        many = client.get("/api/v1/audit/events").json()["results"]

    assert (len(few), len(many)) == (3, 43)


def test_a_manager_may_not_read_the_log(api, manny):
    response = api(manny).get("/api/v1/audit/events")

    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")


def test_verify_starts_a_job_and_answers_202(transactional_db, api, adam):
    response = api(adam).post("/api/v1/audit/verify")

    job = Job.objects.get()
    assert response.status_code == 202
    body = response.json()
    assert (body["id"], body["kind"], body["state"], body["title"]) == (
        job.pk,
        "audit.verify",
        "queued",
        "Verify the audit log",
    )

    call_command("worker", batch=True, no_scheduler=True)  # outside a test transaction: see jobs

    result = api(adam).get(f"/api/v1/jobs/{job.pk}").json()
    assert (result["state"], result["percent"], result["result"]) == (
        "succeeded",
        100,
        {"ok": True, "problem_count": 0, "problems": []},
    )


def test_a_caseworker_may_not_start_a_verification(api, alice):
    response = api(alice).post("/api/v1/audit/verify")

    assert response.status_code == 403
    assert Job.objects.count() == 0


def test_an_api_call_records_where_it_came_from(db, api, adam):
    client = api(adam)

    client.post("/api/v1/audit/verify", REMOTE_ADDR="192.0.2.44", HTTP_USER_AGENT="sync-script/2.1")

    event = AuditEvent.objects.get(action="audit.verify_started")
    assert (event.ip, event.user_agent) == ("192.0.2.44", "sync-script/2.1")
