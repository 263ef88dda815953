from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from civicdesk.accounts.models import ApiToken, Membership, Office, User
from civicdesk.accounts.services import create_office


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_office_create_prints_the_slug(db):
    output = run(
        "office", "create", "--name", "Office of Mayor Lee", "--slug", "mayor", "--kind", "mayor"
    )

    office = Office.objects.get()
    assert output == "created office mayor\n"
    assert (office.name, office.slug, office.kind, office.time_zone) == (
        "Office of Mayor Lee",
        "mayor",
        "mayor",
        "UTC",
    )


def test_office_create_refuses_a_taken_slug(ward1):
    with pytest.raises(
        CommandError, match="An office with the short name 'ward-1' already exists."
    ):
        run("office", "create", "--name", "Again", "--slug", "ward-1")

    assert Office.objects.count() == 1


def test_office_list_prints_one_office_a_line(ward1, ward2):
    create_office(name="Aardvark County", slug="a-county", kind="county")

    assert run("office", "list") == (
        "a-county\tAardvark County\tCounty official\n"
        "ward-1\tWard 1 — Council Member Reyes\tCity council member\n"
        "ward-2\tWard 2 — Council Member Liu\tCity council member\n"
    )


def test_user_create_prints_a_one_time_password_that_works(ward1):
    output = run(
        "user", "create", "--email", "Sam@Ward1.example", "--office", "ward-1", "--role", "manager"
    )

    prefix = "created sam@ward1.example as manager in ward-1 one-time password="
    assert output.startswith(prefix)
    password = output.removeprefix(prefix).strip()
    user = User.objects.get(email="sam@ward1.example")
    assert user.check_password(password)
    assert user.password_change_required is True
    assert Membership.objects.get(user=user).role == "manager"


def test_user_create_with_a_chosen_password_prints_none(ward1):
    output = run(
        "user", "create", "--email", "sam@ward1.example", "--office", "ward-1",
        "--role", "viewer", "--password", "a long chosen password",
    )  # fmt: skip

    user = User.objects.get(email="sam@ward1.example")
    assert output == "created sam@ward1.example as viewer in ward-1\n"
    assert user.check_password("a long chosen password")
    assert user.password_change_required is False


def test_user_create_gives_an_existing_person_a_role(ward1, carol):
    output = run(
        "user", "create", "--email", carol.user.email, "--office", "ward-1", "--role", "viewer"
    )

    assert output == "added existing user carol@ward2.example as viewer in ward-1\n"
    assert User.objects.filter(email=carol.user.email).count() == 1


def test_user_create_needs_a_known_office(db):
    with pytest.raises(CommandError, match="No office with slug 'nowhere'."):
        run("user", "create", "--email", "x@example.org", "--office", "nowhere", "--role", "viewer")

    assert User.objects.count() == 0


def test_user_create_refuses_a_member_twice(ward1, alice):
    with pytest.raises(CommandError, match="alice@ward1.example is already a member"):
        run("user", "create", "--email", alice.user.email, "--office", "ward-1", "--role", "admin")

    alice.refresh_from_db()
    assert alice.role == "caseworker"


def test_token_create_prints_a_token_that_works(alice):
    output = run(
        "token", "create", "--email", "ALICE@ward1.example", "--office", "ward-1", "--days", "7"
    )

    token = output.strip()
    response = Client(headers={"authorization": f"Bearer {token}"}).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["member"]["email"] == "alice@ward1.example"
    assert ApiToken.objects.get().name == "command line"


def test_token_create_refuses_someone_outside_the_office(alice, ward2):
    with pytest.raises(
        CommandError,
        match="alice@ward1.example is not an active member of an office with slug 'ward-2'.",
    ):
        run("token", "create", "--email", "alice@ward1.example", "--office", "ward-2")

    assert ApiToken.objects.count() == 0
