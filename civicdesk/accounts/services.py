"""Writes for offices, staff and credentials. Every change is audited."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from civicdesk import audit
from civicdesk.core.errors import DomainError, NotAllowed

from .models import ApiToken, Invitation, Membership, Office, User
from .permissions import Role

OFFICE_FIELDS = (
    "name",
    "kind",
    "jurisdiction",
    "time_zone",
    "language",
    "address",
    "require_mfa_for_all",
)
TOKEN_PREFIX = "cd_"  # noqa: S105  (a visible marker, not a secret)


class InvitationInvalid(DomainError):
    code = "invitation_invalid"


class LastAdmin(DomainError):
    code = "last_admin"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _require(by: Membership | None, permission: str, office: Office) -> None:
    if by is not None and (by.office_id != office.pk or not by.can(permission)):
        raise NotAllowed("Your role does not allow this.")


# ---------------------------------------------------------------- offices


@transaction.atomic
def create_office(*, name: str, slug: str = "", by: Membership | None = None, **fields) -> Office:
    slug = slugify(slug or name)[:60]
    if not slug:
        raise DomainError("An office needs a name.", code="office_name_required")
    if Office.objects.filter(slug=slug).exists():
        raise DomainError(
            f"An office with the short name {slug!r} already exists.", code="office_slug_taken"
        )
    office = Office.objects.create(name=name.strip(), slug=slug, **fields)
    audit.record(
        None,
        "office.created",
        office,
        changes=audit.changes_between({}, audit.snapshot(office, ("name", "slug", "kind"))),
    )
    return office


@transaction.atomic
def update_office(office: Office, *, by: Membership | None, **fields) -> Office:
    _require(by, "office.edit", office)
    before = audit.snapshot(office, OFFICE_FIELDS)
    for name, value in fields.items():
        setattr(office, name, value)
    office.save()
    changes = audit.changes_between(before, audit.snapshot(office, OFFICE_FIELDS))
    if "logo" in fields:
        changes["logo"] = ["", office.logo.name]
    if changes:
        audit.record(by, "office.changed", office, changes=changes)
    return office


# ---------------------------------------------------------------- members


@transaction.atomic
def add_member(
    office: Office,
    *,
    email: str,
    role: str,
    by: Membership | None,
    full_name: str = "",
    password: str | None = None,
) -> Membership:
    """Give a person (created if new) a role in the office. For scripts and accepted invitations."""
    _require(by, "member.invite", office)
    if role not in Role.values:
        raise DomainError(
            f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.", code="role_unknown"
        )
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, full_name=full_name.strip())
    member = Membership.objects.filter(office=office, user=user).first()
    if member is not None and member.is_active:
        raise DomainError(f"{email} is already a member of {office}.", code="member_exists")
    if member is None:
        member = Membership.objects.create(office=office, user=user, role=role)
    else:
        member.role, member.is_active, member.deactivated_at = role, True, None
        member.save(update_fields=["role", "is_active", "deactivated_at", "updated_at"])
    audit.record(by, "member.added", member, office=office, changes={"role": [None, role]})
    return member


def _active_admin_count(office: Office) -> int:
    return Membership.objects.for_office(office).active().filter(role=Role.ADMIN).count()


@transaction.atomic
def change_role(member: Membership, *, role: str, by: Membership | None) -> Membership:
    _require(by, "member.change_role", member.office)
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}.", code="role_unknown")
    if member.role == Role.ADMIN and role != Role.ADMIN and _active_admin_count(member.office) <= 1:
        raise LastAdmin("An office needs at least one admin; make someone else admin first.")
    old = member.role
    member.role = role
    member.save(update_fields=["role", "updated_at"])
    audit.record(by, "member.role_changed", member, changes={"role": [old, role]})
    return member


@transaction.atomic
def deactivate_member(member: Membership, *, by: Membership | None) -> Membership:
    """Take away a person's access to this office (their other offices are untouched).
    Their API tokens for this office stop working at once."""
    _require(by, "member.deactivate", member.office)
    member = Membership.objects.select_for_update().get(pk=member.pk)
    if not member.is_active:
        return member
    if member.role == Role.ADMIN and _active_admin_count(member.office) <= 1:
        raise LastAdmin("This is the office's last admin; make someone else admin first.")
    member.is_active, member.deactivated_at = False, timezone.now()
    member.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    member.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(by, "member.deactivated", member)
    return member


@transaction.atomic
def reactivate_member(member: Membership, *, by: Membership | None) -> Membership:
    _require(by, "member.deactivate", member.office)
    member.is_active, member.deactivated_at = True, None
    member.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    audit.record(by, "member.reactivated", member)
    return member


# ---------------------------------------------------------------- invitations


@transaction.atomic
def invite_member(
    office: Office, *, email: str, role: str, by: Membership | None, notify: bool = True
) -> tuple[Invitation, str]:
    """Email an invitation link. Returns the invitation and the link's secret (sent, never stored)."""
    _require(by, "member.invite", office)
    email = email.strip().lower()
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}.", code="role_unknown")
    if Membership.objects.for_office(office).active().filter(user__email=email).exists():
        raise DomainError(f"{email} is already a member of {office}.", code="member_exists")
    Invitation.objects.for_office(office).filter(
        email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    secret = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        office=office,
        email=email,
        role=role,
        token_hash=hash_secret(secret),
        invited_by=by,
        expires_at=timezone.now() + settings.INVITATION_VALID_FOR,
    )
    audit.record(
        by,
        "member.invited",
        invitation,
        office=office,
        changes={"email": [None, email], "role": [None, role]},
    )
    link = f"{settings.SITE_URL}/invite/{secret}/"
    context = {
        "office": office,
        "link": link,
        "role": invitation.get_role_display(),
        "by": by,
        "expires_at": invitation.expires_at,
    }
    if not notify:  # demo data and imports: the link is never sent
        return invitation, secret
    transaction.on_commit(
        lambda: send_mail(
            f"You are invited to {office.name} on CivicDesk",
            render_to_string("accounts/email/invitation.txt", context),
            None,
            [email],
        )
    )
    return invitation, secret


@transaction.atomic
def revoke_invitation(invitation: Invitation, *, by: Membership | None) -> Invitation:
    """Withdraw a pending invitation: its link stops working. An accepted or already
    withdrawn invitation is left as it is."""
    _require(by, "member.invite", invitation.office)
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        audit.record(by, "member.invitation_revoked", invitation)
    return invitation


def pending_invitation(secret: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("office").filter(token_hash=hash_secret(secret)).first()
    )
    if invitation is None or not invitation.is_pending:
        raise InvitationInvalid(
            "This invitation link is not valid any more. Ask your office admin for a new one."
        )
    return invitation


@transaction.atomic
def accept_invitation(
    secret: str, *, user: User | None = None, full_name: str = "", password: str | None = None
) -> Membership:
    """Join the office. A signed-in user joins as themselves; a new person gets an account."""
    invitation = pending_invitation(secret)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise InvitationInvalid("This invitation has already been used.")
    if user is not None and user.email.lower() != invitation.email:
        raise InvitationInvalid(
            f"This invitation is for {invitation.email}; sign out and open the link again."
        )
    member = add_member(
        invitation.office,
        email=invitation.email,
        role=invitation.role,
        by=None,
        full_name=full_name,
        password=password,
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    return member


# ---------------------------------------------------------------- API tokens


@transaction.atomic
def create_api_token(
    member: Membership, *, name: str, days: int | None = None, by: Membership | None = None
) -> tuple[ApiToken, str]:
    """A new personal token for `member`'s office. Returns the row and the token text, which
    is shown once and stored only as a hash."""
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days  # 0 is refused, not 90
    if not 1 <= days <= 366:
        raise DomainError("A token lives between 1 and 366 days.", code="token_lifetime")
    if not member.is_active:
        raise DomainError("An inactive member cannot hold API tokens.", code="member_inactive")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        office=member.office,
        membership=member,
        name=name.strip() or "API token",
        prefix=prefix,
        token_hash=hash_secret(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(
        by or member,
        "api_token.created",
        token,
        changes={"expires_at": [None, token.expires_at.isoformat()]},
    )
    return token, secret


@transaction.atomic
def revoke_api_token(token: ApiToken, *, by: Membership | None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(by, "api_token.revoked", token)
    return token


class TokenRejected(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def authenticate_token(secret: str, *, now: datetime | None = None) -> Membership:
    """The membership an API token acts as. Raises TokenRejected with a reason people can act on."""
    now = now or timezone.now()
    token = (
        ApiToken.objects.select_related("membership__office", "membership__user")
        .filter(token_hash=hash_secret(secret))
        .first()
    )
    if token is None:
        raise TokenRejected("The API token is not valid.")
    if token.revoked_at is not None:
        raise TokenRejected("The API token was revoked.")
    if token.expires_at <= now:
        raise TokenRejected("The API token has expired; create a new one on your profile page.")
    member = token.membership
    if not member.is_active or not member.user.is_active:
        raise TokenRejected("The API token's owner no longer has access to this office.")
    # At most one write a minute per token: the API stays fast under load.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return member
