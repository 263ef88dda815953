"""The duplicates API: the queue, one pair (audited), decisions, merging any two people, undoing
a merge, starting a scan; another office's records answer 404 like missing ones."""

from civicdesk.audit.models import AuditEvent
from civicdesk.constituents.models import Person
from civicdesk.dedupe.models import Merge, PairStatus
from civicdesk.jobs.models import Job

from .conftest import make_pair, make_person


def test_the_queue_lists_pairs_best_first(api, manny, ward1, pair, john):
    weaker = make_pair(john, make_person(ward1, "J", "Smith"), 0.7)

    response = api(manny).get("/api/v1/duplicates")

    assert response.status_code == 200
    body = response.json()
    assert [p["id"] for p in body["results"]] == [pair.pk, weaker.pk]
    first = body["results"][0]
    assert first["person_a"]["display_name"] == "John Smith"
    assert first["probability"] == 0.97
    assert first["fields"][1] == {"field": "first_name", "level": "exact", "weight": 6.5}


def test_an_unknown_queue_is_a_clear_400(api, manny, pair):
    response = api(manny).get("/api/v1/duplicates?status=maybe")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_queue"


def test_reading_a_pair_is_audited_on_both_people(api, manny, pair, john, johnny):
    response = api(manny).get(f"/api/v1/duplicates/{pair.pk}")

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    viewed = AuditEvent.objects.filter(action="dedupe.pair_viewed", actor=manny)
    assert sorted(viewed.values_list("object_id", flat=True)) == sorted(
        [str(john.pk), str(johnny.pk)]
    )


def test_deciding_not_a_duplicate(api, manny, pair):
    response = api(manny).post(
        f"/api/v1/duplicates/{pair.pk}/decision", {"decision": "not_duplicate"},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 200
    assert response.json()["pair"]["status"] == "not_duplicate"
    assert response.json()["merge"] is None


def test_merging_a_pair_through_its_decision(api, manny, pair, john, johnny):
    response = api(manny).post(
        f"/api/v1/duplicates/{pair.pk}/decision",
        {"decision": "merge", "survivor_id": johnny.pk, "choices": {"first_name": "other"}},
        content_type="application/json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["pair"]["status"] == "merged"
    assert (body["merge"]["survivor_id"], body["merge"]["merged_id"]) == (johnny.pk, john.pk)
    johnny.refresh_from_db()
    assert johnny.first_name == "John"


def test_a_survivor_outside_the_pair_is_refused(api, manny, ward1, pair):
    stranger = make_person(ward1, "Zed", "Zane")

    response = api(manny).post(
        f"/api/v1/duplicates/{pair.pk}/decision",
        {"decision": "merge", "survivor_id": stranger.pk}, content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "decision_refused"
    assert Person.objects.count() == 3


def test_merging_any_two_people_and_undoing_it(api, manny, john, johnny):
    client = api(manny)

    merged = client.post(
        f"/api/v1/people/{john.pk}/merge", {"other_id": johnny.pk}, content_type="application/json"
    )
    assert merged.status_code == 200
    merge_id = merged.json()["id"]
    assert not Person.objects.filter(pk=johnny.pk).exists()
    assert client.get("/api/v1/merges").json()["results"][0]["id"] == merge_id

    undone = client.post(f"/api/v1/merges/{merge_id}/undo")
    assert undone.status_code == 200
    assert undone.json()["undone_at"] is not None
    assert Person.objects.filter(pk=johnny.pk).exists()
    again = client.post(f"/api/v1/merges/{merge_id}/undo")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "undo_refused")


def test_bad_choices_are_refused(api, manny, john, johnny):
    response = api(manny).post(
        f"/api/v1/people/{john.pk}/merge",
        {"other_id": johnny.pk, "choices": {"version": "other"}}, content_type="application/json",
    )  # fmt: skip

    assert (response.status_code, response.json()["error"]["code"]) == (409, "merge_refused")
    assert Person.objects.count() == 2


def test_another_offices_people_pairs_and_merges_are_404(
    api, manny, dora, ward2, john, johnny, pair
):
    theirs = make_person(ward2, "John", "Smith")
    mine = api(manny)
    assert mine.post(f"/api/v1/people/{john.pk}/merge", {"other_id": theirs.pk},
                     content_type="application/json").status_code == 404  # fmt: skip
    merge_id = mine.post(f"/api/v1/people/{john.pk}/merge", {"other_id": johnny.pk},
                         content_type="application/json").json()["id"]  # fmt: skip

    other = api(dora)
    assert other.get(f"/api/v1/duplicates/{pair.pk}").status_code == 404
    assert other.post(f"/api/v1/merges/{merge_id}/undo").status_code == 404
    assert other.get("/api/v1/merges").json()["results"] == []
    assert Merge.objects.get().undone_at is None


def test_a_caseworker_gets_403(api, alice, pair):
    assert api(alice).get("/api/v1/duplicates").status_code == 403


def test_starting_a_scan_needs_an_admin(api, manny, adam):
    assert api(manny).post("/api/v1/duplicates/scan").status_code == 403

    response = api(adam).post("/api/v1/duplicates/scan")

    assert response.status_code == 202
    job = Job.objects.get(kind="dedupe.scan")
    assert response.json() == {"job_id": job.pk, "state": "queued", "url": f"/jobs/{job.pk}/"}


def test_later_then_back_to_review(api, manny, pair):
    client = api(manny)
    url = f"/api/v1/duplicates/{pair.pk}/decision"

    client.post(url, {"decision": "later"}, content_type="application/json")
    assert client.get("/api/v1/duplicates?status=later").json()["results"][0]["id"] == pair.pk
    client.post(url, {"decision": "pending"}, content_type="application/json")

    pair.refresh_from_db()
    assert (pair.status, pair.decided_at) == (PairStatus.PENDING, None)
