"""People who work in CivicDesk, the offices they work for, and their credentials."""

import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import OfficeOwned, OfficeQuerySet, TimeStamped

from .permissions import Role, role_can

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: staff or volunteer. What they may do depends on their memberships."""

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)  # installation operators, not office staff
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when someone else chose the password (`civicdesk run`, `civicdesk user create`):
    # the person must pick their own before doing anything else.
    password_change_required = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.full_name or self.email

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_change_required = False  # the caller marks it again when it chose for them

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]


class OfficeKind(models.TextChoices):
    COUNCIL_MEMBER = "council_member", _("City council member")
    MAYOR = "mayor", _("Mayor")
    COUNTY = "county", _("County official")
    STATE_LEGISLATOR = "state_legislator", _("State legislator")
    CONGRESS = "congress", _("Member of Congress")
    MP_COUNCILLOR = "mp_councillor", _("MP or councillor")
    OTHER = "other", _("Other")


class Office(TimeStamped):
    """The tenant: one elected official's office. Everything an office owns carries its id."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    kind = models.CharField(
        _("kind"), max_length=30, choices=OfficeKind.choices, default=OfficeKind.OTHER
    )
    jurisdiction = models.CharField(_("jurisdiction"), max_length=200, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC"
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    address = models.TextField(_("address"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="office-logos/", blank=True)
    require_mfa_for_all = models.BooleanField(
        _("require two-factor authentication for everyone"), default=False
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(OfficeQuerySet):
    def active(self) -> "MembershipQuerySet":
        return self.filter(is_active=True, user__is_active=True)


class Membership(OfficeOwned):
    """A person's place in one office, with the role that decides what they may do there."""

    user = models.ForeignKey(User, models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "user"], name="membership_one_per_office"),
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(deactivated_at__isnull=False),
                name="membership_inactive_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def can(self, permission: str) -> bool:
        return self.is_active and role_can(self.role, permission)

    @cached_property
    def needs_mfa(self) -> bool:
        return self.role == Role.ADMIN or self.office.require_mfa_for_all

    # Set by the middleware for the request's membership: where the person is acting from.
    # Audit events read it; it is never stored on the row.
    client_ip: str | None = None
    client_agent: str = ""


class Invitation(OfficeOwned):
    """An emailed invitation to join an office with a role. Accepted once, before it expires."""

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(Membership, models.SET_NULL, null=True, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["office", "email"], name="invitation_office_email")]

    def __str__(self) -> str:
        return f"{self.email} → {self.office}"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class ApiToken(OfficeOwned):
    """A personal API credential, scoped to one membership (so to one office). Stored hashed."""

    membership = models.ForeignKey(Membership, models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)  # shown in lists so people can tell tokens apart
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
