from civicdesk import audit
from civicdesk.audit.models import AuditEvent
from civicdesk.audit.services import start_verification
from civicdesk.jobs.services import claim_job, run_claimed_job


def run(job):
    return run_claimed_job(claim_job(job.pk))


def test_a_verification_of_an_intact_log_succeeds(adam):
    job = run(start_verification(by=adam))

    assert (job.state, job.done, job.total, job.percent) == ("succeeded", 3, 3, 100)
    assert job.result == {"ok": True, "problem_count": 0, "problems": []}
    assert job.messages == []


def test_a_verification_lists_what_was_tampered_with(adam, ward1):
    changed = audit.record(adam, "test.step", adam)
    AuditEvent.objects.filter(pk=changed.pk).update(object_repr="forged")

    job = run(start_verification(by=adam))

    problem = (
        f"office {ward1.pk} event #3: changed: contents do not match its hash (action test.step)"
    )
    assert job.state == "succeeded"
    assert job.result == {"ok": False, "problem_count": 1, "problems": [problem]}
    assert [m["text"] for m in job.messages] == [problem]


def test_the_job_page_says_the_log_is_intact(web, adam):
    job = run(start_verification(by=adam))

    response = web(adam).get(f"/jobs/{job.pk}/")

    assert "The audit log is intact: 3 events checked, none changed or missing." in response.text
