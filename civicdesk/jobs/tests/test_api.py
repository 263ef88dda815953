from django.core.files.base import ContentFile

from civicdesk.jobs.tests.factories import JobFactory


def test_one_job_with_its_progress(api, alice):
    job = JobFactory(started_by=alice, state="running", done=1, total=4, title="Import")

    response = api(alice).get(f"/api/v1/jobs/{job.pk}")

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("id", "kind", "title", "state", "done", "total", "percent")} == {
        "id": job.pk,
        "kind": "audit.verify",
        "title": "Import",
        "state": "running",
        "done": 1,
        "total": 4,
        "percent": 25,
    }
    assert (body["result_url"], body["error"], body["finished_at"]) == (None, "", None)


def test_a_job_with_a_file_links_to_it(api, alice):
    job = JobFactory(started_by=alice, state="succeeded")
    job.result_file.save("people.csv", ContentFile(b"x"), save=True)

    body = api(alice).get(f"/api/v1/jobs/{job.pk}").json()

    assert body["result_url"] == f"/jobs/{job.pk}/download/"


def test_a_caseworker_lists_their_own_jobs(api, alice, adam):
    own = JobFactory(started_by=alice)
    others = JobFactory(started_by=adam)
    client = api(alice)

    assert [j["id"] for j in client.get("/api/v1/jobs").json()["results"]] == [own.pk]
    assert client.get(f"/api/v1/jobs/{others.pk}").status_code == 404


def test_a_manager_lists_all_of_the_offices_jobs(api, manny, alice, carol):
    first = JobFactory(started_by=alice)
    second = JobFactory(started_by=manny, state="failed")
    JobFactory(started_by=carol)
    client = api(manny)

    assert [j["id"] for j in client.get("/api/v1/jobs").json()["results"]] == [second.pk, first.pk]
    assert [j["id"] for j in client.get("/api/v1/jobs?state=failed").json()["results"]] == [
        second.pk
    ]


def test_jobs_page_through_once(api, manny, alice):
    jobs = JobFactory.create_batch(5, started_by=alice)
    client = api(manny)

    seen, url = [], "/api/v1/jobs?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [j["id"] for j in body["results"]]
        url = body["next"]

    assert seen == [job.pk for job in reversed(jobs)]


def test_jobs_queries_do_not_grow(api, manny, alice, django_assert_max_num_queries):
    client = api(manny)
    client.get("/api/v1/jobs")
    JobFactory(started_by=alice)
    with django_assert_max_num_queries(2):
        assert len(client.get("/api/v1/jobs").json()["results"]) == 1
    JobFactory.create_batch(20, started_by=alice)
    with django_assert_max_num_queries(2):
        assert len(client.get("/api/v1/jobs").json()["results"]) == 21
