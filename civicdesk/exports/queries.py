"""Reads for exports: the people list's filters read from a query string (so that an export
holds exactly the people the list shows), and the office's full exports."""

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from civicdesk.accounts.models import Membership, Office
from civicdesk.constituents.models import PERSON_FLAGS
from civicdesk.constituents.queries import TAG_MODES, PersonFilter
from civicdesk.geo.models import District
from civicdesk.tags.models import Tag

from .models import OfficeExport
from .people import ORDERS

LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})?$")
MAX_TEXT = 200  # the people list's search box


def _ints(values: list[str]) -> list[int] | None:
    """Whole numbers, or None if any value is not one."""
    if not all(value.strip().isdigit() for value in values):
        return None
    return [int(value) for value in values]


def people_filter(member: Membership, params: Any) -> tuple[PersonFilter, str]:
    """The filter and order of the people list, from its query string (a QueryDict), read as
    the list reads them: a value the list would ignore (another office's district or tag, an
    unknown flag, a text too long) is ignored here too, so the export holds who the list shows."""
    office = member.office
    text = (params.get("q") or "").strip()
    district_id = None
    district = (params.get("district") or "").strip()
    if district.isdigit() and District.objects.for_office(office).filter(pk=district).exists():
        district_id = int(district)
    tag_ids: list[int] = []
    posted = [value for value in params.getlist("tags") if value.strip()]
    wanted = _ints(posted) if posted else []
    if wanted:
        found = set(
            Tag.objects.for_office(office).filter(pk__in=wanted).values_list("pk", flat=True)
        )
        tag_ids = wanted if found == set(wanted) else []
    allowed_flags = [
        f for f in PERSON_FLAGS if f != "is_of_concern" or member.can("person.view_concern")
    ]
    flags = [value for value in params.getlist("flags") if value]
    if any(flag not in allowed_flags for flag in flags):
        flags = []
    language = (params.get("language") or "").strip()
    tag_mode = params.get("tag_mode") or "any"
    order = params.get("order") or "name"
    return (
        PersonFilter(
            text=text if len(text) <= MAX_TEXT else "",
            district_id=district_id,
            tag_ids=tuple(tag_ids),
            tag_mode=tag_mode if tag_mode in TAG_MODES else "any",
            flags=tuple(dict.fromkeys(flags)),
            language=language if LANGUAGE_CODE.match(language) else "",
        ),
        order if order in ORDERS else "name",
    )


def office_export_list(office: Office) -> QuerySet[OfficeExport]:
    return (
        OfficeExport.objects.for_office(office)
        .select_related("job", "started_by__user")
        .order_by("-created_at", "-id")
    )


def get_office_export(
    member: Membership, export_id: int, *, need: str = "office.export"
) -> OfficeExport:
    """One of the office's exports: 404 if missing or another office's, 403 without `need`."""
    if not member.can(need):
        raise PermissionDenied
    return get_object_or_404(office_export_list(member.office), pk=export_id)
