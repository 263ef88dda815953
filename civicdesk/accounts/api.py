"""API: who am I, my office, its staff."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import CursorPagination, paginate

from civicdesk.core.api import needs

from . import queries
from .models import Membership

router = Router(tags=["accounts"])


class OfficeOut(Schema):
    id: int
    name: str
    slug: str
    kind: str
    jurisdiction: str
    time_zone: str
    language: str


class MemberOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    is_active: bool
    created_at: datetime

    @staticmethod
    def resolve_email(obj: Membership) -> str:
        return obj.user.email

    @staticmethod
    def resolve_full_name(obj: Membership) -> str:
        return obj.user.full_name


class MeOut(Schema):
    member: MemberOut
    office: OfficeOut
    permissions: list[str]


@router.get("/me", response=MeOut)
@needs("api.use")
def me(request):
    from .permissions import PERMISSIONS

    member = request.auth
    return {
        "member": member,
        "office": member.office,
        "permissions": sorted(p for p in PERMISSIONS if member.can(p)),
    }


@router.get("/office", response=OfficeOut)
@needs("office.view")
def current_office(request):
    return request.auth.office


@router.get("/members", response=list[MemberOut])
@needs("member.view")
@paginate(CursorPagination, ordering=("-id",))
def list_members(request, include_inactive: bool = False):
    return queries.member_list(request.auth.office, include_inactive=include_inactive).order_by(
        "-id"
    )


@router.get("/members/{member_id}", response=MemberOut)
@needs("member.view")
def get_member(request, member_id: int):
    return get_object_or_404(
        Membership.objects.for_office(request.auth.office).select_related("user"), pk=member_id
    )
