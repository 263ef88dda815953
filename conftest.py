"""Fixtures every test shares: two offices and the people in them (STYLE.md, "Tests").

`alice` is a caseworker in Ward 1, `victor` a volunteer there and `adam` its admin (with TOTP
set up, as admins must); `carol` is a caseworker and `dora` the admin of Ward 2. Every
fixture set has a second office that must fail.
"""

import pyotp
import pytest
from django.test import Client

from civicdesk.accounts.middleware import SESSION_OFFICE_KEY
from civicdesk.accounts.models import Membership, Office
from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import add_member, create_api_token, create_office

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ward1(db) -> Office:
    return create_office(name="Ward 1 — Council Member Reyes", slug="ward-1", kind="council_member")


@pytest.fixture
def ward2(db) -> Office:
    return create_office(name="Ward 2 — Council Member Liu", slug="ward-2", kind="council_member")


def make_member(office: Office, email: str, role: str, name: str) -> Membership:
    return add_member(office, email=email, role=role, by=None, full_name=name, password=PASSWORD)


def give_totp(member: Membership) -> str:
    """Set up TOTP for the member's user; returns the secret so tests can make codes."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(member.user, secret)
    return secret


def totp_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


@pytest.fixture
def alice(ward1) -> Membership:
    return make_member(ward1, "alice@ward1.example", Role.CASEWORKER, "Alice Alvarez")


@pytest.fixture
def victor(ward1) -> Membership:
    return make_member(ward1, "victor@ward1.example", Role.VOLUNTEER, "Victor Volk")


@pytest.fixture
def adam(ward1) -> Membership:
    member = make_member(ward1, "adam@ward1.example", Role.ADMIN, "Adam Admin")
    member.totp_secret = give_totp(member)
    return member


@pytest.fixture
def carol(ward2) -> Membership:
    return make_member(ward2, "carol@ward2.example", Role.CASEWORKER, "Carol Chen")


@pytest.fixture
def dora(ward2) -> Membership:
    member = make_member(ward2, "dora@ward2.example", Role.ADMIN, "Dora Diaz")
    member.totp_secret = give_totp(member)
    return member


@pytest.fixture
def web():
    """web(member) -> a test Client signed in as the member, working in the member's office."""

    def client_for(member: Membership) -> Client:
        client = Client()
        client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[SESSION_OFFICE_KEY] = member.office_id
        session.save()
        return client

    return client_for


@pytest.fixture
def api():
    """api(member) -> a test Client that sends the member's personal API token."""

    def client_for(member: Membership) -> Client:
        _token, secret = create_api_token(member, name="tests")
        return Client(headers={"authorization": f"Bearer {secret}"})

    return client_for


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests hash dozens of passwords; the production hasher takes a noticeable time for each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def manny(ward1) -> Membership:
    """A manager in Ward 1: sees all of the office's jobs, but not its audit log."""
    return make_member(ward1, "manny@ward1.example", Role.MANAGER, "Manny Moreno")
