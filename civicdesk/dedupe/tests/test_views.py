"""The duplicates pages through the web client: the queue, a pair side by side (audited), the
merge form, the decisions, the merge history with Undo, the settings and "Scan now"."""

from django.urls import reverse

from civicdesk.audit.models import AuditEvent
from civicdesk.constituents.models import EmailAddress, Person
from civicdesk.dedupe.models import DedupeSettings, DuplicatePair, Merge, PairStatus
from civicdesk.jobs.models import Job

from .conftest import make_pair, make_person


def test_the_queue_lists_pending_pairs_best_first(web, manny, ward1, john, johnny):
    other = make_person(ward1, "Jon", "Smyth")
    weak = make_pair(john, other, 0.61)
    strong = make_pair(john, johnny, 0.98)
    make_pair(johnny, other, 0.9, status=PairStatus.NOT_DUPLICATE)

    response = web(manny).get(reverse("dedupe:queue"))

    assert response.status_code == 200
    pairs = list(response.context["page"].object_list)
    assert pairs == [strong, weak]
    assert response.context["tabs"][0][2] == 2
    assert "98%" in response.text
    assert "John Smith" in response.text


def test_the_decided_tab_shows_decisions(web, manny, john, johnny):
    make_pair(john, johnny, status=PairStatus.NOT_DUPLICATE)

    response = web(manny).get(reverse("dedupe:queue") + "?status=decided")

    assert [p.status for p in response.context["page"].object_list] == ["not_duplicate"]
    assert "Not a duplicate" in response.text


def test_an_unknown_tab_shows_the_pending_one(web, manny, pair):
    response = web(manny).get(reverse("dedupe:queue") + "?status=nonsense&page=abc")

    assert response.status_code == 200
    assert response.context["tab"] == "pending"


def test_a_caseworker_may_not_open_the_queue(web, alice, pair):
    assert web(alice).get(reverse("dedupe:queue")).status_code == 403
    assert web(alice).get(reverse("dedupe:pair-detail", args=[pair.pk])).status_code == 403


def test_the_pair_page_shows_both_people_and_is_audited(web, manny, pair, john, johnny):
    response = web(manny).get(reverse("dedupe:pair-detail", args=[pair.pk]))

    assert response.status_code == 200
    text = response.text
    assert "john.smith@example.org" in text
    assert "jsmith@work.example" in text
    assert "97% likely the same person" in text
    assert 'data-percent="100"' in text  # the widest bar
    viewed = AuditEvent.objects.filter(action="dedupe.pair_viewed")
    assert sorted(viewed.values_list("object_id", flat=True)) == sorted(
        [str(john.pk), str(johnny.pk)]
    )
    # First names differ: the merge form offers both, the survivor's checked.
    assert 'name="keep_first_name" value="a" id="keep_first_name_a" checked' in text
    # The survivor has no gender: the other's is the default.
    assert 'name="keep_gender" value="b" id="keep_gender_b" checked' in text


def test_another_offices_pair_is_404(web, dora, pair):
    client = web(dora)

    assert client.get(reverse("dedupe:pair-detail", args=[pair.pk])).status_code == 404
    assert (
        client.post(reverse("dedupe:pair-merge", args=[pair.pk]), {"survivor": "a"}).status_code
        == 404
    )
    assert Person.objects.count() == 2


def test_merging_from_the_pair_page_keeps_the_chosen_values(web, manny, pair, john, johnny):
    response = web(manny).post(
        reverse("dedupe:pair-merge", args=[pair.pk]),
        {"survivor": "a", "keep_first_name": "b", "keep_gender": "a"},
    )

    assert response.status_code == 302
    assert response.url == reverse("constituents:person-detail", args=[john.pk])
    john.refresh_from_db()
    assert (john.first_name, john.gender) == ("Johnny", "")
    assert sorted(EmailAddress.objects.filter(person=john).values_list("email", flat=True)) == [
        "john.smith@example.org",
        "jsmith@work.example",
    ]
    assert not Person.objects.filter(pk=johnny.pk).exists()
    pair.refresh_from_db()
    assert pair.status == PairStatus.MERGED


def test_keeping_the_second_record(web, manny, pair, john, johnny):
    web(manny).post(reverse("dedupe:pair-merge", args=[pair.pk]), {"survivor": "b"})

    assert list(Person.objects.values_list("pk", flat=True)) == [johnny.pk]
    johnny.refresh_from_db()
    assert johnny.first_name == "Johnny"


def test_a_merge_form_without_a_choice_changes_nothing(web, manny, pair):
    response = web(manny).post(reverse("dedupe:pair-merge", args=[pair.pk]), {})

    assert response.status_code == 200
    assert "Choose which record to keep" in response.text
    assert Person.objects.count() == 2
    assert Merge.objects.count() == 0


def test_not_a_duplicate_goes_on_to_the_next_pair(web, manny, ward1, pair, john):
    following = make_pair(john, make_person(ward1, "J", "Smith"), 0.7)

    response = web(manny).post(
        reverse("dedupe:pair-decide", args=[pair.pk]), {"decision": "not_duplicate"}
    )

    assert response.url == reverse("dedupe:pair-detail", args=[following.pk])
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by) == (PairStatus.NOT_DUPLICATE, manny)


def test_a_bad_decision_is_refused_with_a_message(web, manny, pair):
    client = web(manny)
    response = client.post(reverse("dedupe:pair-decide", args=[pair.pk]), {"decision": "maybe"})

    assert response.url == reverse("dedupe:pair-detail", args=[pair.pk])
    pair.refresh_from_db()
    assert pair.status == PairStatus.PENDING
    page = client.get(response.url)
    assert "is not a decision" in page.text


def test_the_merge_history_undoes_a_merge(web, manny, pair, john, johnny):
    client = web(manny)
    client.post(reverse("dedupe:pair-merge", args=[pair.pk]), {"survivor": "a"})
    merge = Merge.objects.get()

    history = client.get(reverse("dedupe:merge-list"))
    assert "Johnny Smith" in history.text
    assert "Undo" in history.text
    response = client.post(reverse("dedupe:merge-undo", args=[merge.pk]), follow=True)

    assert "is back as a record of their own" in response.text
    assert Person.objects.filter(pk=johnny.pk).exists()
    assert list(johnny.emails.values_list("email", flat=True)) == ["jsmith@work.example"]
    again = client.post(reverse("dedupe:merge-undo", args=[merge.pk]), follow=True)
    assert "already undone" in again.text


def test_settings_need_an_admin(web, manny, adam):
    assert web(manny).get(reverse("dedupe:settings")).status_code == 403
    assert web(adam).get(reverse("dedupe:settings")).status_code == 200


def test_the_threshold_is_saved_and_checked(web, adam, ward1):
    client = web(adam)

    low = client.post(reverse("dedupe:settings"), {"percent": "40"})
    assert "above 50" in low.text
    assert not DedupeSettings.objects.filter(office=ward1).exists()
    client.post(reverse("dedupe:settings"), {"percent": "99.5"})
    assert DedupeSettings.objects.get(office=ward1).auto_merge_threshold == 0.995
    client.post(reverse("dedupe:settings"), {"percent": ""})
    assert DedupeSettings.objects.get(office=ward1).auto_merge_threshold is None


def test_scan_now_starts_one_job(web, adam, ward1):
    client = web(adam)

    first = client.post(reverse("dedupe:scan"))
    second = client.post(reverse("dedupe:scan"))

    job = Job.objects.get(kind="dedupe.scan")
    assert first.url == second.url == reverse("jobs:job-detail", args=[job.pk])


def test_a_merged_pair_page_says_where_the_person_went(web, manny, pair, john, johnny):
    client = web(manny)
    client.post(reverse("dedupe:pair-merge", args=[pair.pk]), {"survivor": "a"})

    response = client.get(reverse("dedupe:pair-detail", args=[pair.pk]))

    assert response.status_code == 200
    assert "was merged into the other record" in response.text
    assert not DuplicatePair.objects.filter(status=PairStatus.PENDING).exists()
