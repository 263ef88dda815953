from django.core.files.base import ContentFile
from django.urls import reverse

from civicdesk.jobs.tests.factories import JobFactory

JOBS = reverse("jobs:job-list")


def detail(job) -> str:
    return reverse("jobs:job-detail", args=[job.pk])


def download(job) -> str:
    return reverse("jobs:job-download", args=[job.pk])


def test_a_caseworker_sees_only_their_own_jobs(web, alice, adam):
    own = JobFactory(started_by=alice, title="Alice's export")
    others = JobFactory(started_by=adam, title="Adam's export")
    client = web(alice)

    assert list(client.get(JOBS).context["jobs"]) == [own]
    assert client.get(detail(own)).status_code == 200
    assert client.get(detail(others)).status_code == 404


def test_a_manager_sees_all_of_the_offices_jobs(web, manny, alice, adam, carol):
    older = JobFactory(started_by=alice)
    newer = JobFactory(started_by=adam)
    JobFactory(started_by=carol)

    response = web(manny).get(JOBS)

    assert list(response.context["jobs"]) == [newer, older]
    assert web(manny).get(detail(older)).status_code == 200


def test_the_jobs_list_queries_do_not_grow(web, manny, alice, django_assert_max_num_queries):
    client = web(manny)
    JobFactory(started_by=alice)
    client.get(JOBS)
    with django_assert_max_num_queries(8):
        assert len(client.get(JOBS).context["jobs"]) == 1
    JobFactory.create_batch(15, started_by=alice)
    with django_assert_max_num_queries(8):
        assert len(client.get(JOBS).context["jobs"]) == 16


def test_the_progress_partial_polls_until_the_job_ends(web, alice):
    job = JobFactory(started_by=alice, state="running", done=3, total=12)

    response = web(alice).get(detail(job), HTTP_HX_REQUEST="true")

    assert response.text.strip().startswith('<div id="job-progress"')
    assert "<html" not in response.text
    assert 'hx-trigger="every 1s"' in response.text
    assert "3 of 12" in response.text
    assert 'data-percent="25"' in response.text


def test_a_finished_job_stops_polling(web, alice):
    job = JobFactory(started_by=alice, state="failed", error="ValueError: no header row")

    response = web(alice).get(detail(job), HTTP_HX_REQUEST="true")

    assert "hx-trigger" not in response.text
    assert "ValueError: no header row" in response.text


def test_the_full_job_page_without_htmx(web, alice):
    job = JobFactory(started_by=alice, title="Verify the audit log")

    response = web(alice).get(detail(job))

    assert "<html" in response.text
    assert "Alice Alvarez" in response.text


def test_a_result_file_downloads(web, alice):
    job = JobFactory(started_by=alice, state="succeeded")
    job.result_file.save("people.csv", ContentFile(b"name\nAlice\n"), save=True)

    response = web(alice).get(download(job))

    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="people')
    assert b"".join(response.streaming_content) == b"name\nAlice\n"


def test_a_job_without_a_file_has_no_download(web, alice):
    job = JobFactory(started_by=alice, state="succeeded")

    assert web(alice).get(download(job)).status_code == 404


def test_another_persons_file_is_404_to_a_caseworker(web, alice, adam):
    job = JobFactory(started_by=adam, state="succeeded")
    job.result_file.save("people.csv", ContentFile(b"secret"), save=True)

    assert web(alice).get(download(job)).status_code == 404
