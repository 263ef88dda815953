from datetime import timedelta

import pytest
from django.utils import timezone

from civicdesk.accounts.models import ApiToken, Invitation, Membership, Office, User
from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import (
    InvitationInvalid,
    LastAdmin,
    TokenRejected,
    accept_invitation,
    add_member,
    authenticate_token,
    change_role,
    create_api_token,
    create_office,
    deactivate_member,
    hash_secret,
    invite_member,
    reactivate_member,
    revoke_api_token,
    revoke_invitation,
    update_office,
)
from civicdesk.audit.models import AuditEvent
from civicdesk.core.errors import DomainError, NotAllowed
from conftest import PASSWORD


def events(office, action):
    return list(
        AuditEvent.objects.filter(office=office, action=action).values_list("changes", flat=True)
    )


# ---------------------------------------------------------------- offices


def test_create_office_slugifies_and_audits(db):
    office = create_office(name="  District 7 Office ", kind="state_legislator")

    assert (office.name, office.slug, office.kind) == (
        "District 7 Office",
        "district-7-office",
        "state_legislator",
    )
    assert events(office, "office.created") == [
        {
            "name": [None, "District 7 Office"],
            "slug": [None, "district-7-office"],
            "kind": [None, "state_legislator"],
        }
    ]


def test_create_office_refuses_a_taken_slug(ward1):
    with pytest.raises(DomainError) as caught:
        create_office(name="Another Ward 1", slug="Ward 1")

    assert caught.value.code == "office_slug_taken"
    assert caught.value.message == "An office with the short name 'ward-1' already exists."
    assert list(Office.objects.values_list("slug", flat=True)) == ["ward-1"]


def test_create_office_needs_a_name(db):
    with pytest.raises(DomainError) as caught:
        create_office(name="  ")

    assert caught.value.code == "office_name_required"
    assert Office.objects.count() == 0


def test_update_office_records_field_level_changes(ward1, adam):
    update_office(ward1, by=adam, jurisdiction="City of Riverton", name=ward1.name)

    ward1.refresh_from_db()
    assert ward1.jurisdiction == "City of Riverton"
    assert events(ward1, "office.changed") == [{"jurisdiction": ["", "City of Riverton"]}]


def test_update_office_by_a_caseworker_changes_nothing(ward1, alice):
    with pytest.raises(NotAllowed):
        update_office(ward1, by=alice, jurisdiction="Elsewhere")

    ward1.refresh_from_db()
    assert (ward1.jurisdiction, events(ward1, "office.changed")) == ("", [])


# ---------------------------------------------------------------- members


def test_add_member_creates_the_person_and_audits(ward1, adam):
    member = add_member(
        ward1, email=" Bea@Ward1.Example ", role=Role.CASEWORKER, by=adam, full_name=" Bea B "
    )

    assert (member.user.email, member.user.full_name, member.role, member.is_active) == (
        "bea@ward1.example",
        "Bea B",
        "caseworker",
        True,
    )
    event = AuditEvent.objects.get(office=ward1, action="member.added", object_id=str(member.pk))
    assert (event.actor_id, event.changes) == (adam.pk, {"role": [None, "caseworker"]})


def test_add_member_gives_a_person_of_another_office_a_second_membership(ward1, carol):
    member = add_member(ward1, email=carol.user.email, role=Role.VIEWER, by=None)

    assert member.user_id == carol.user_id
    assert sorted(carol.user.memberships.values_list("office__slug", "role")) == [
        ("ward-1", "viewer"),
        ("ward-2", "caseworker"),
    ]


def test_adding_an_active_member_again_changes_nothing(ward1, alice):
    with pytest.raises(DomainError) as caught:
        add_member(ward1, email="ALICE@ward1.example", role=Role.ADMIN, by=None)

    alice.refresh_from_db()
    assert caught.value.code == "member_exists"
    assert (alice.role, Membership.objects.filter(office=ward1).count()) == ("caseworker", 1)


def test_add_member_refuses_an_unknown_role(ward1):
    with pytest.raises(DomainError) as caught:
        add_member(ward1, email="x@ward1.example", role="overlord", by=None)

    assert caught.value.code == "role_unknown"
    assert User.objects.count() == 0


@pytest.mark.parametrize("actor", ["alice", "dora"])
def test_only_an_admin_of_the_office_may_add_members(request, ward1, alice, dora, actor):
    with pytest.raises(NotAllowed):
        add_member(
            ward1, email="x@ward1.example", role=Role.VIEWER, by=request.getfixturevalue(actor)
        )

    assert not User.objects.filter(email="x@ward1.example").exists()


def test_add_member_gives_a_deactivated_person_access_again(ward1, adam, alice):
    deactivate_member(alice, by=adam)

    member = add_member(ward1, email=alice.user.email, role=Role.MANAGER, by=adam)

    assert (member.pk, member.role, member.is_active, member.deactivated_at) == (
        alice.pk,
        "manager",
        True,
        None,
    )


def test_change_role_audits_old_and_new(alice, adam):
    change_role(alice, role=Role.MANAGER, by=adam)

    alice.refresh_from_db()
    assert alice.role == "manager"
    assert events(alice.office, "member.role_changed") == [{"role": ["caseworker", "manager"]}]


def test_the_last_admin_cannot_step_down(adam):
    with pytest.raises(LastAdmin):
        change_role(adam, role=Role.CASEWORKER, by=adam)

    adam.refresh_from_db()
    assert (adam.role, events(adam.office, "member.role_changed")) == ("admin", [])


def test_an_admin_can_step_down_when_another_admin_remains(adam, admin_without_mfa):
    change_role(adam, role=Role.MANAGER, by=admin_without_mfa)

    adam.refresh_from_db()
    assert adam.role == "manager"


def test_change_role_refuses_an_unknown_role(alice, adam):
    with pytest.raises(DomainError) as caught:
        change_role(alice, role="overlord", by=adam)

    alice.refresh_from_db()
    assert (caught.value.code, alice.role) == ("role_unknown", "caseworker")


def test_deactivate_member_revokes_their_tokens_and_audits(alice, adam):
    token, secret = create_api_token(alice, name="script")

    deactivate_member(alice, by=adam)

    alice.refresh_from_db()
    token.refresh_from_db()
    assert (alice.is_active, alice.deactivated_at is not None) == (False, True)
    assert token.revoked_at is not None
    assert alice.can("dashboard.view") is False
    with pytest.raises(TokenRejected, match="revoked"):
        authenticate_token(secret)
    assert AuditEvent.objects.filter(action="member.deactivated", actor=adam).count() == 1


def test_deactivating_twice_records_one_event(alice, adam):
    deactivate_member(alice, by=adam)
    deactivate_member(alice, by=adam)

    assert AuditEvent.objects.filter(action="member.deactivated").count() == 1


def test_the_last_admin_cannot_be_deactivated(adam):
    with pytest.raises(LastAdmin):
        deactivate_member(adam, by=adam)

    adam.refresh_from_db()
    assert (adam.is_active, adam.deactivated_at) == (True, None)


def test_deactivation_leaves_the_other_offices_membership_alone(ward1, adam, carol):
    second = add_member(ward1, email=carol.user.email, role=Role.CASEWORKER, by=adam)

    deactivate_member(second, by=adam)

    carol.refresh_from_db()
    assert carol.is_active is True


def test_reactivate_member_restores_access(alice, adam):
    deactivate_member(alice, by=adam)

    reactivate_member(alice, by=adam)

    alice.refresh_from_db()
    assert (alice.is_active, alice.deactivated_at, alice.can("dashboard.view")) == (
        True,
        None,
        True,
    )


# ---------------------------------------------------------------- invitations


def test_invite_member_mails_the_link_after_commit(
    ward1, adam, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://desk.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        invitation, secret = invite_member(
            ward1, email="Newbie@Example.org", role="viewer", by=adam
        )

    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "newbie@example.org",
        "viewer",
        adam,
    )
    assert invitation.token_hash == hash_secret(secret)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["newbie@example.org"]
    assert mail.subject == "You are invited to Ward 1 — Council Member Reyes on CivicDesk"
    assert f"https://desk.example.org/invite/{secret}/" in mail.body
    assert "Adam Admin invites you to work in Ward 1 — Council Member Reyes" in mail.body


def test_an_invitation_mail_waits_for_the_commit(ward1, adam, mailoutbox):
    invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)

    assert mailoutbox == []


def test_invite_member_without_notify_sends_nothing(
    ward1, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite_member(ward1, email="newbie@example.org", role="viewer", by=None, notify=False)

    assert mailoutbox == []


def test_inviting_again_withdraws_the_earlier_link(ward1, adam):
    first, first_secret = invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)

    invite_member(ward1, email="newbie@example.org", role="caseworker", by=adam)

    first.refresh_from_db()
    assert first.revoked_at is not None
    with pytest.raises(InvitationInvalid):
        accept_invitation(first_secret, full_name="N", password=PASSWORD)


def test_inviting_a_member_changes_nothing(ward1, adam, alice):
    with pytest.raises(DomainError) as caught:
        invite_member(ward1, email="alice@ward1.example", role="viewer", by=adam)

    assert caught.value.code == "member_exists"
    assert Invitation.objects.count() == 0


def test_a_caseworker_cannot_invite(ward1, alice):
    with pytest.raises(NotAllowed):
        invite_member(ward1, email="newbie@example.org", role="viewer", by=alice)

    assert Invitation.objects.count() == 0


def test_accepting_an_invitation_creates_the_account_and_membership(ward1, adam):
    invitation, secret = invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)

    member = accept_invitation(secret, full_name="Nora Newbie", password=PASSWORD)

    invitation.refresh_from_db()
    assert (member.office, member.role, member.user.full_name) == (ward1, "viewer", "Nora Newbie")
    assert member.user.check_password(PASSWORD)
    assert invitation.accepted_at is not None


def test_an_invitation_link_works_once(ward1, adam):
    _invitation, secret = invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)
    accept_invitation(secret, full_name="Nora", password=PASSWORD)

    with pytest.raises(InvitationInvalid):
        accept_invitation(secret, full_name="Nora again", password=PASSWORD)

    assert Membership.objects.filter(user__email="newbie@example.org").count() == 1


def test_an_expired_invitation_changes_nothing(ward1, adam):
    invitation, secret = invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    with pytest.raises(InvitationInvalid) as caught:
        accept_invitation(secret, full_name="Nora", password=PASSWORD)

    assert caught.value.message == (
        "This invitation link is not valid any more. Ask your office admin for a new one."
    )
    assert not User.objects.filter(email="newbie@example.org").exists()


def test_a_signed_in_person_joins_as_themselves(ward1, adam, carol):
    _invitation, secret = invite_member(ward1, email=carol.user.email, role="viewer", by=adam)

    member = accept_invitation(secret, user=carol.user)

    assert (member.user_id, member.office, member.role) == (carol.user_id, ward1, "viewer")


def test_an_invitation_for_someone_else_refuses_the_signed_in_person(ward1, adam, carol):
    invitation, secret = invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)

    with pytest.raises(InvitationInvalid, match="This invitation is for newbie@example.org"):
        accept_invitation(secret, user=carol.user)

    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not Membership.objects.filter(office=ward1, user=carol.user).exists()


# ---------------------------------------------------------------- API tokens


def test_a_token_is_shown_once_and_stored_as_a_hash(alice):
    token, secret = create_api_token(alice, name=" deploy script ", days=30)

    assert secret.startswith(f"cd_{token.prefix}_")
    assert len(token.prefix) == 8
    assert token.name == "deploy script"
    assert token.token_hash == hash_secret(secret)
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in [str(value) for value in stored.values()]
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert authenticate_token(secret) == alice


@pytest.mark.parametrize("days", [0, 367])
def test_a_token_lives_between_one_and_366_days(alice, days):
    with pytest.raises(DomainError) as caught:
        create_api_token(alice, name="x", days=days)

    assert caught.value.code == "token_lifetime"
    assert ApiToken.objects.count() == 0


def test_an_inactive_member_gets_no_token(alice, adam):
    alice = deactivate_member(alice, by=adam)

    with pytest.raises(DomainError) as caught:
        create_api_token(alice, name="x")

    assert caught.value.code == "member_inactive"
    assert ApiToken.objects.count() == 0


def test_revoking_a_token_twice_records_one_event(alice):
    token, secret = create_api_token(alice, name="x")

    revoke_api_token(token, by=alice)
    revoke_api_token(token, by=alice)

    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1
    with pytest.raises(TokenRejected) as caught:
        authenticate_token(secret)
    assert caught.value.reason == "The API token was revoked."


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("expired", "The API token has expired; create a new one on your profile page."),
        ("user_inactive", "The API token's owner no longer has access to this office."),
        ("unknown", "The API token is not valid."),
    ],
)
def test_authenticate_token_says_why_it_refuses(alice, change, reason):
    token, secret = create_api_token(alice, name="x")
    if change == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    elif change == "user_inactive":
        User.objects.filter(pk=alice.user_id).update(is_active=False)
    else:
        secret += "x"

    with pytest.raises(TokenRejected) as caught:
        authenticate_token(secret)

    assert caught.value.reason == reason


def test_authenticate_token_notes_its_use_at_most_once_a_minute(alice):
    token, secret = create_api_token(alice, name="x")
    start = timezone.now()

    authenticate_token(secret, now=start)
    authenticate_token(secret, now=start + timedelta(seconds=59))
    token.refresh_from_db()
    assert token.last_used_at == start

    authenticate_token(secret, now=start + timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=61)


def test_a_revoked_invitation_link_stops_working(ward1, adam):
    invitation, secret = invite_member(
        ward1, email="new@ward1.example", role=Role.CASEWORKER, by=adam
    )

    revoke_invitation(invitation, by=adam)

    with pytest.raises(InvitationInvalid):
        accept_invitation(secret, full_name="New Person", password=PASSWORD)
    assert not User.objects.filter(email="new@ward1.example").exists()
    assert AuditEvent.objects.filter(action="member.invitation_revoked").count() == 1


def test_a_caseworker_may_not_revoke_an_invitation(ward1, adam, alice):
    invitation, _secret = invite_member(
        ward1, email="new@ward1.example", role=Role.CASEWORKER, by=adam
    )

    with pytest.raises(NotAllowed):
        revoke_invitation(invitation, by=alice)

    invitation.refresh_from_db()
    assert invitation.revoked_at is None
