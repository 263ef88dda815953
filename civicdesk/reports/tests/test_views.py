import pytest
from django.urls import reverse

from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import create_api_token, invite_member
from civicdesk.jobs.tests.factories import JobFactory
from conftest import give_totp, make_member

SEARCH = reverse("reports:search")


def titles(tiles) -> list[str]:
    return [tile.title for tile in tiles]


def test_a_new_offices_admin_sees_the_setup_steps(web, adam):
    response = web(adam).get("/")

    assert response.status_code == 200
    assert titles(response.context["setup_tiles"]) == [
        "Invite your team",
        "Complete your office profile",
        "Require two-factor sign-in",
        "Connect your tools",
        "Add or import your constituents",
    ]
    assert titles(response.context["work_tiles"]) == ["Background jobs", "Audit log"]
    assert "Set up your office" in response.text


def test_setup_steps_go_away_once_done(web, adam, alice, ward1):
    ward1.require_mfa_for_all = True
    ward1.save()
    create_api_token(adam, name="script")

    response = web(adam).get("/")

    assert titles(response.context["setup_tiles"]) == [
        "Complete your office profile",
        "Add or import your constituents",
    ]
    assert titles(response.context["work_tiles"]) == [
        "Staff",
        "Background jobs",
        "Audit log",
        "Connect your tools",
    ]


def test_the_staff_tile_counts_waiting_invitations(web, adam, alice, ward1):
    invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)

    staff = web(adam).get("/").context["work_tiles"][0]

    assert (staff.title, staff.count, staff.caption) == ("Staff", 2, "1 invitation waiting")


def test_a_volunteer_sees_no_admin_tiles(web, victor, adam):
    JobFactory(started_by=victor, state="running")
    JobFactory(started_by=adam, state="running")

    response = web(victor).get("/")

    assert titles(response.context["setup_tiles"]) == ["Connect your tools"]
    assert [(t.title, t.count) for t in response.context["work_tiles"]] == [("Background jobs", 1)]
    assert "Invite your team" not in response.text
    assert reverse("audit:event-list") not in response.text


def test_search_finds_staff_by_name_in_the_own_office_only(web, adam, alice, carol):
    response = web(adam).get(SEARCH, {"q": "alvarez"})

    [group] = response.context["groups"]
    assert (group.title, [(h.label, h.url) for h in group.hits]) == (
        "Staff",
        [("Alice Alvarez", reverse("accounts:staff-detail", args=[alice.pk]))],
    )
    assert response.context["groups"] == web(adam).get(SEARCH, {"q": "Alice"}).context["groups"]
    assert web(adam).get(SEARCH, {"q": "Carol"}).context["groups"] == []
    assert web(adam).get(SEARCH, {"q": "ward2.example"}).context["groups"] == []


def test_search_finds_jobs_by_title_never_another_offices(web, adam, dora):
    own = JobFactory(started_by=adam, title="Export of tagged people")
    JobFactory(started_by=dora, title="Export of tagged people")

    response = web(adam).get(SEARCH, {"q": "tagged"})

    [group] = response.context["groups"]
    assert (group.title, [(h.label, h.url, h.detail) for h in group.hits]) == (
        "Jobs",
        [("Export of tagged people", reverse("jobs:job-detail", args=[own.pk]), "Queued")],
    )


def test_a_caseworker_finds_only_their_own_jobs(web, alice, adam):
    JobFactory(started_by=adam, title="Export of tagged people")

    assert web(alice).get(SEARCH, {"q": "tagged"}).context["groups"] == []


def test_a_volunteer_searching_staff_finds_nothing(web, victor, alice):
    assert web(victor).get(SEARCH, {"q": "Alice"}).context["groups"] == []


def test_one_letter_is_too_short_to_search(web, adam):
    response = web(adam).get(SEARCH, {"q": "a"})

    assert response.context["groups"] == []
    assert "Type at least two letters" in response.text


def test_nothing_found_says_so(web, adam):
    assert "Nothing matches “zebra”." in web(adam).get(SEARCH, {"q": "zebra"}).text


PAGES = [
    ("reports:home", "dashboard.view"),
    ("reports:search", "search.use"),
    ("jobs:job-list", "dashboard.view"),
    ("accounts:staff-list", "member.view"),
    ("accounts:office-settings", "office.edit"),
    ("audit:event-list", "audit.view"),
    ("accounts:profile", None),
]


@pytest.mark.parametrize("role", Role.values)
def test_every_page_renders_for_every_role(web, ward1, role):
    member = make_member(ward1, f"{role}@ward1.example", role, f"A {role}")
    if role == Role.ADMIN:
        give_totp(member)
    client = web(member)

    answers = {name: client.get(reverse(name), {"q": "ab"}).status_code for name, _ in PAGES}

    assert answers == {
        name: 200 if permission is None or member.can(permission) else 403
        for name, permission in PAGES
    }
