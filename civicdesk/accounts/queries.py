"""Reads for offices and staff."""

from django.db.models import QuerySet

from .models import ApiToken, Invitation, Membership, Office


def member_list(office: Office, *, include_inactive: bool = False) -> QuerySet[Membership]:
    members = Membership.objects.for_office(office).select_related("user")
    if not include_inactive:
        members = members.active()
    return members.order_by("user__full_name", "user__email")


def pending_invitations(office: Office) -> QuerySet[Invitation]:
    from django.utils import timezone

    return (
        Invitation.objects.for_office(office)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-created_at")
    )


def token_list(member: Membership) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(membership=member).order_by("-created_at")


def search_members(office: Office, text: str, *, limit: int = 10) -> QuerySet[Membership]:
    from django.db.models import Q

    return member_list(office).filter(
        Q(user__full_name__icontains=text) | Q(user__email__icontains=text)
    )[:limit]
