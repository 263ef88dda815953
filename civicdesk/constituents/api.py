"""API of the constituents app (mounted at /api/v1 by civicdesk/api.py): people (list with
filters and a cursor, search, one person, create, edit with optimistic locking, delete),
their timeline and interactions, bulk tagging, households, organizations and custom fields.

Reading one person is audited. Bad input answers 422 with a message per field; an edit made on
an old version answers 409 with code `edit_conflict`, naming who changed the person and when."""

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, Literal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import CursorPagination, paginate

from civicdesk.core.api import ErrorOut, needs

from . import queries, services
from .models import Address, CustomField, Household, Interaction, Organization, Person, Relationship
from .validation import AddressIn, EmailIn, PhoneIn, format_phone

router = Router(tags=["constituents"])


def field_errors(func: Callable) -> Callable:
    """Django's ValidationError from a service becomes the API's 422, one message per field."""

    @wraps(func)
    def wrapped(request, *args: Any, **kwargs: Any):
        try:
            return func(request, *args, **kwargs)
        except DjangoValidationError as exc:
            details = (
                exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
            )
            raise NinjaValidationError(
                [
                    {"loc": ["body", name], "msg": message, "type": "invalid"}
                    for name, messages in details.items()
                    for message in messages
                ]
            ) from exc

    return wrapped


# ---------------------------------------------------------------- schemas: people


class PersonEmailIn(Schema):
    email: str
    kind: str = "home"
    is_primary: bool = False


class PersonPhoneIn(Schema):
    number: str
    kind: str = "mobile"
    is_primary: bool = False
    extension: str = ""


class PersonAddressIn(Schema):
    line1: str
    line2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = "US"
    kind: str = "home"
    is_primary: bool = False
    latitude: float | None = None
    longitude: float | None = None


class PersonEmailOut(Schema):
    id: int
    email: str
    kind: str
    is_primary: bool
    is_held: bool


class PersonPhoneOut(Schema):
    id: int
    number: str
    formatted: str
    extension: str
    kind: str
    is_primary: bool


class AddressDistrictOut(Schema):
    layer_id: int
    layer: str
    district_id: int
    district: str


class PersonAddressOut(Schema):
    id: int
    kind: str
    is_primary: bool
    line1: str
    line2: str
    city: str
    region: str
    postcode: str
    country: str
    latitude: float | None
    longitude: float | None
    geocode_source: str
    districts: list[AddressDistrictOut]


class PersonTagOut(Schema):
    id: int
    name: str
    path: str


class ExternalIdOut(Schema):
    system: str
    value: str


class ConsentOut(Schema):
    channel: str
    is_granted: bool
    source: str
    given_on: dt.date


class HouseholdRefOut(Schema):
    id: int
    name: str
    joint_salutation: str


class RelationshipOut(Schema):
    id: int
    kind: str
    title: str
    other_person_id: int | None
    other_person_name: str | None
    organization_id: int | None
    organization_name: str | None


class PersonSummaryOut(Schema):
    id: int
    display_name: str
    first_name: str
    last_name: str
    primary_email: str | None
    primary_phone: str | None
    primary_address: str | None
    language: str
    is_deceased: bool
    is_vip: bool
    updated_at: dt.datetime
    version: int


class PersonOut(PersonSummaryOut):
    prefix: str
    middle_name: str
    suffix: str
    preferred_name: str
    salutation: str
    birth_date: dt.date | None
    birth_year: int | None
    gender: str
    pronouns: str
    do_not_email: bool
    do_not_mail: bool
    do_not_call: bool
    do_not_text: bool
    is_out_of_district: bool
    is_of_concern: bool | None = Field(None, description="Only for managers; null otherwise.")
    concern_reason: str | None = Field(None, description="Only for managers; null otherwise.")
    custom: dict[str, Any]
    created_at: dt.datetime
    household: HouseholdRefOut | None
    emails: list[PersonEmailOut]
    phones: list[PersonPhoneOut]
    addresses: list[PersonAddressOut]
    tags: list[PersonTagOut]
    external_ids: list[ExternalIdOut]
    consents: list[ConsentOut]
    relationships: list[RelationshipOut]


class PersonFieldsIn(Schema):
    prefix: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    suffix: str = ""
    preferred_name: str = ""
    salutation: str = ""
    birth_date: dt.date | None = None
    birth_year: int | None = None
    language: str = ""
    gender: str = ""
    pronouns: str = ""
    do_not_email: bool = False
    do_not_mail: bool = False
    do_not_call: bool = False
    do_not_text: bool = False
    is_deceased: bool = False
    is_vip: bool = False
    is_out_of_district: bool = False
    is_of_concern: bool = False
    concern_reason: str = ""
    custom: dict[str, Any] = {}


class PersonIn(PersonFieldsIn):
    emails: list[PersonEmailIn] = []
    phones: list[PersonPhoneIn] = []
    addresses: list[PersonAddressIn] = []
    tag_ids: list[int] = []


class PersonPatch(Schema):
    """Only the fields sent change; a list sent replaces the person's list."""

    version: int = Field(description="The version the edit was made on (from GET).")
    prefix: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    suffix: str | None = None
    preferred_name: str | None = None
    salutation: str | None = None
    birth_date: dt.date | None = None
    birth_year: int | None = None
    language: str | None = None
    gender: str | None = None
    pronouns: str | None = None
    do_not_email: bool | None = None
    do_not_mail: bool | None = None
    do_not_call: bool | None = None
    do_not_text: bool | None = None
    is_deceased: bool | None = None
    is_vip: bool | None = None
    is_out_of_district: bool | None = None
    is_of_concern: bool | None = None
    concern_reason: str | None = None
    custom: dict[str, Any] | None = Field(None, description="Keys sent change; null clears.")
    emails: list[PersonEmailIn] | None = None
    phones: list[PersonPhoneIn] | None = None
    addresses: list[PersonAddressIn] | None = None


class PersonPageOut(Schema):
    items: list[PersonSummaryOut]
    next_cursor: str | None
    total_count: int


class PersonHitOut(Schema):
    person: PersonSummaryOut
    matched_on: str


class PersonQuery(Schema):
    q: str = Field("", description="Words, an email, a phone number, a postcode or an id.")
    district_id: int | None = None
    tag_ids: list[int] = Field([], description="People with any, all or none of these tags.")
    tag_mode: Literal["any", "all", "none"] = "any"
    flags: list[str] = Field([], description=f"Flags that must be set: {services.FLAG_FIELDS}")
    language: str = ""
    order: Literal["name", "-name", "updated", "-updated"] = "name"
    cursor: str | None = Field(None, description="next_cursor of the previous page.")
    limit: int = Field(50, ge=1, le=200)


class InteractionIn(Schema):
    kind: str
    occurred_at: dt.datetime
    subject: str = ""
    notes: str = ""
    direction: Literal["in", "out"] = "in"
    script: str = ""
    outcome: str = ""


class InteractionOut(Schema):
    id: int
    kind: str
    direction: str
    occurred_at: dt.datetime
    subject: str
    notes: str
    script: str
    outcome: str
    logged_by: str | None
    source_type: str
    source_id: str

    @staticmethod
    def resolve_logged_by(obj: Interaction) -> str | None:
        return obj.logged_by.user.display_name if obj.logged_by else None


class TimelineOut(Schema):
    items: list[InteractionOut]
    next_before: str | None = Field(None, description="Pass as `before` for older entries.")


class BulkTagIn(Schema):
    person_ids: list[int] = Field(min_length=1, max_length=50_000)
    tag_ids: list[int] = Field(min_length=1, max_length=50)
    action: Literal["tag", "untag"] = "tag"


class BulkTagOut(Schema):
    changed: int


def _primary(rows: list) -> Any:
    return next((row for row in rows if row.is_primary), rows[0] if rows else None)


def _summary(person: Person) -> dict[str, Any]:
    email = _primary(list(person.emails.all()))
    phone = _primary(list(person.phones.all()))
    address = _primary(list(person.addresses.all()))
    return {
        "id": person.pk,
        "display_name": person.display_name,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "primary_email": email.email if email else None,
        "primary_phone": format_phone(phone.number) if phone else None,
        "primary_address": str(address) if address else None,
        "language": person.language,
        "is_deceased": person.is_deceased,
        "is_vip": person.is_vip,
        "updated_at": person.updated_at,
        "version": person.version,
    }


def _address_out(address: Address) -> dict[str, Any]:
    return {
        **{
            name: getattr(address, name)
            for name in (
                "id",
                "kind",
                "is_primary",
                "line1",
                "line2",
                "city",
                "region",
                "postcode",
                "country",
                "latitude",
                "longitude",
                "geocode_source",
            )  # fmt: skip
        },
        "districts": [
            {
                "layer_id": link.layer_id,
                "layer": link.layer.name,
                "district_id": link.district_id,
                "district": link.district.name,
            }
            for link in address.district_links.all()
        ],
    }


def _relationship_out(rel: Relationship) -> dict[str, Any]:
    return {
        "id": rel.pk,
        "kind": rel.kind,
        "title": rel.title,
        "other_person_id": rel.other_person_id,
        "other_person_name": rel.other_person.display_name if rel.other_person else None,
        "organization_id": rel.organization_id,
        "organization_name": rel.organization.name if rel.organization else None,
    }


def _person_out(person: Person, member: Any) -> dict[str, Any]:
    """Everything about a person, as a dict: the concern flag only for those who may see it."""
    sees_concern = member.can("person.view_concern")
    scalar = (
        "prefix", "middle_name", "suffix", "preferred_name", "salutation", "birth_date",
        "birth_year", "gender", "pronouns", "do_not_email", "do_not_mail", "do_not_call",
        "do_not_text", "is_out_of_district", "custom", "created_at",
    )  # fmt: skip
    household = person.household
    return {
        **_summary(person),
        **{name: getattr(person, name) for name in scalar},
        "is_of_concern": person.is_of_concern if sees_concern else None,
        "concern_reason": person.concern_reason if sees_concern else None,
        "household": (
            {
                "id": household.pk,
                "name": household.name,
                "joint_salutation": household.joint_salutation,
            }
            if household
            else None
        ),
        "emails": list(person.emails.all()),
        "phones": [
            {
                "id": p.pk,
                "number": p.number,
                "formatted": format_phone(p.number),
                "extension": p.extension,
                "kind": p.kind,
                "is_primary": p.is_primary,
            }
            for p in person.phones.all()
        ],
        "addresses": [_address_out(a) for a in person.addresses.all()],
        "tags": [
            {"id": link.tag_id, "name": link.tag.name, "path": link.tag.path}
            for link in person.tag_links.all()
        ],
        "external_ids": list(person.external_ids.all()),
        "consents": list(person.consents.all()),
        "relationships": [_relationship_out(rel) for rel in person.relationships.all()],
    }


def _contact_inputs(payload: Schema) -> dict[str, Any]:
    def listed(name: str, kind: type) -> list | None:
        items = getattr(payload, name)
        return None if items is None else [kind(**item.dict()) for item in items]

    return {
        "emails": listed("emails", EmailIn),
        "phones": listed("phones", PhoneIn),
        "addresses": listed("addresses", AddressIn),
    }


def _check_concern_filter(member: Any, flags: list[str]) -> None:
    if "is_of_concern" in flags and not member.can("person.view_concern"):
        raise PermissionDenied


# ---------------------------------------------------------------- people


@router.get("/people", response=PersonPageOut)
@needs("person.view")
@field_errors
def list_people(request, filters: Query[PersonQuery]):
    """The office's people, `limit` at a time, filtered and in the order asked."""
    unknown = [flag for flag in filters.flags if flag not in services.FLAG_FIELDS]
    if unknown:
        raise queries.UnknownFlag(
            f"Unknown flags: {', '.join(unknown)}. Use some of {', '.join(services.FLAG_FIELDS)}.",
            details={"flags": unknown, "known": list(services.FLAG_FIELDS)},
        )
    _check_concern_filter(request.auth, filters.flags)
    page = queries.person_list(
        request.auth.office,
        filter=queries.PersonFilter(
            text=filters.q,
            district_id=filters.district_id,
            tag_ids=filters.tag_ids,
            tag_mode=filters.tag_mode,
            flags=filters.flags,
            language=filters.language,
        ),
        order=filters.order,
        after=filters.cursor,
        limit=filters.limit,
    )
    return {
        "items": [_summary(person) for person in page.items],
        "next_cursor": page.next_cursor,
        "total_count": page.total_count,
    }


@router.get("/people/search", response=list[PersonHitOut])
@needs("person.view")
def search_people(request, q: str, limit: int = Query(20, ge=1, le=100)):
    """People found by a name (typos forgiven), email, phone in any format, address,
    postcode or external id; best first."""
    hits = queries.search_people(request.auth.office, q, limit=limit)
    return [{"person": _summary(hit.person), "matched_on": hit.matched_on} for hit in hits]


@router.post("/people/tags", response={200: BulkTagOut, 409: ErrorOut, 422: ErrorOut})
@needs("person.bulk_tag")
def tag_people(request, payload: BulkTagIn):
    """Put tags on (or take them off) many people at once. A merged tag puts the tag it was
    merged into; a deprecated or unknown tag answers 422 (`tag_deprecated`, `unknown_tag`)."""
    change = services.tag_people if payload.action == "tag" else services.untag_people
    changed = change(
        request.auth.office, person_ids=payload.person_ids, tag_ids=payload.tag_ids, by=request.auth
    )
    return {"changed": changed}


@router.get("/people/{person_id}", response=PersonOut)
@needs("person.view")
def get_person(request, person_id: int):
    """One person with everything about them. Audited: the office sees who looked."""
    return _person_out(queries.get_person(request.auth, person_id), request.auth)


@router.post("/people", response={201: PersonOut, 422: ErrorOut})
@needs("person.edit")
@field_errors
def create_person(request, payload: PersonIn):
    fields = payload.dict(exclude={"emails", "phones", "addresses", "tag_ids"})
    person = services.create_person(
        request.auth.office,
        by=request.auth,
        fields=fields,
        tag_ids=payload.tag_ids,
        **_contact_inputs(payload),
    )
    return Status(
        201, _person_out(queries.person_for_change(request.auth, person.pk), request.auth)
    )


@router.patch("/people/{person_id}", response={200: PersonOut, 409: ErrorOut, 422: ErrorOut})
@needs("person.edit")
@field_errors
def update_person(request, person_id: int, payload: PersonPatch):
    """Change a person. Send the `version` you read: if someone saved in between, the answer
    is 409 `edit_conflict` and nothing changes."""
    person = queries.person_for_change(request.auth, person_id)
    sent = payload.dict(exclude_unset=True)
    clearable = {
        "birth_date",
        "birth_year",
    }  # null empties these; for the others null is "unchanged"
    fields = {
        name: value
        for name, value in sent.items()
        if name not in {"version", "emails", "phones", "addresses"}
        and (value is not None or name in clearable)
    }
    if fields.get("custom") is not None:  # a PATCH changes the keys sent; null empties one
        fields["custom"] = {**person.custom, **fields["custom"]}
    services.update_person(
        person, by=request.auth, version=payload.version, fields=fields, **_contact_inputs(payload)
    )
    return _person_out(queries.person_for_change(request.auth, person_id), request.auth)


@router.delete("/people/{person_id}", response={204: None})
@needs("person.delete")
def delete_person(request, person_id: int):
    services.delete_person(
        queries.person_for_change(request.auth, person_id, need="person.delete"), by=request.auth
    )
    return Status(204, None)


@router.get("/people/{person_id}/timeline", response=TimelineOut)
@needs("person.view")
@field_errors
def person_timeline(
    request, person_id: int, before: str | None = None, limit: int = Query(50, ge=1, le=200)
):
    """The person's history, newest first. Audited as a view of the person."""
    person = queries.get_person(request.auth, person_id, details=False)
    before_key = queries.decode_timeline_cursor(before) if before else None
    items = queries.person_timeline(person, limit=limit + 1, before=before_key)
    next_before = queries.encode_timeline_cursor(items[limit - 1]) if len(items) > limit else None
    return {"items": items[:limit], "next_before": next_before}


@router.post("/people/{person_id}/interactions", response={201: InteractionOut, 422: ErrorOut})
@needs("interaction.log")
@field_errors
def log_interaction(request, person_id: int, payload: InteractionIn):
    """Log a call, a walk-in, a letter... on the person's timeline."""
    person = queries.person_for_change(request.auth, person_id, need="interaction.log")
    interaction = services.log_interaction(person, by=request.auth, **payload.dict())
    return Status(201, interaction)


# ---------------------------------------------------------------- households


class HouseholdOut(Schema):
    id: int
    name: str
    joint_salutation: str
    member_count: int


class HouseholdDetailOut(HouseholdOut):
    members: list[PersonSummaryOut]


class HouseholdIn(Schema):
    name: str
    joint_salutation: str = ""
    member_ids: list[int] = []


class HouseholdPatch(Schema):
    name: str | None = None
    joint_salutation: str | None = None


class HouseholdMemberIn(Schema):
    person_id: int


def _household_out(household: Household) -> dict[str, Any]:
    members = list(household.members.all())
    return {
        "id": household.pk,
        "name": household.name,
        "joint_salutation": household.joint_salutation,
        "member_count": len(members),
        "members": [_summary(person) for person in members],
    }


@router.get("/households", response=list[HouseholdOut])
@needs("person.view")
@paginate(CursorPagination, ordering=("-id",))
def list_households(request, q: str = ""):
    return queries.household_list(request.auth.office, text=q).order_by("-id")


@router.get("/households/{household_id}", response=HouseholdDetailOut)
@needs("person.view")
def get_household(request, household_id: int):
    return _household_out(queries.household_detail(request.auth, household_id))


@router.post("/households", response={201: HouseholdDetailOut, 422: ErrorOut})
@needs("household.edit")
@field_errors
def create_household(request, payload: HouseholdIn):
    household = services.create_household(request.auth.office, by=request.auth, **payload.dict())
    return Status(201, _household_out(queries.household_detail(request.auth, household.pk)))


@router.patch("/households/{household_id}", response={200: HouseholdDetailOut, 422: ErrorOut})
@needs("household.edit")
@field_errors
def update_household(request, household_id: int, payload: HouseholdPatch):
    household = queries.get_household(request.auth, household_id, need="household.edit")
    services.update_household(household, by=request.auth, fields=payload.dict(exclude_unset=True))
    return _household_out(queries.household_detail(request.auth, household_id))


@router.delete("/households/{household_id}", response={204: None})
@needs("household.edit")
def delete_household(request, household_id: int):
    household = queries.get_household(request.auth, household_id, need="household.edit")
    services.delete_household(household, by=request.auth)
    return Status(204, None)


@router.post("/households/{household_id}/members", response=HouseholdDetailOut)
@needs("household.edit")
def add_household_member(request, household_id: int, payload: HouseholdMemberIn):
    household = queries.get_household(request.auth, household_id, need="household.edit")
    person = queries.person_for_change(request.auth, payload.person_id, need="household.edit")
    services.add_to_household(household, by=request.auth, person=person)
    return _household_out(queries.household_detail(request.auth, household_id))


@router.delete("/households/{household_id}/members/{person_id}", response=HouseholdDetailOut)
@needs("household.edit")
def remove_household_member(request, household_id: int, person_id: int):
    household = queries.get_household(request.auth, household_id, need="household.edit")
    person = get_object_or_404(household.members.all(), pk=person_id)
    services.remove_from_household(person, by=request.auth)
    return _household_out(queries.household_detail(request.auth, household_id))


# ---------------------------------------------------------------- organizations


class OrganizationOut(Schema):
    id: int
    name: str
    kind: str
    email: str
    phone: str
    website: str
    address: str
    notes: str
    is_active: bool
    updated_at: dt.datetime


class OrganizationContactOut(Schema):
    relationship_id: int
    person_id: int
    person_name: str
    kind: str
    title: str


class OrganizationDetailOut(OrganizationOut):
    contacts: list[OrganizationContactOut]


class OrganizationIn(Schema):
    name: str
    kind: str = "other"
    email: str = ""
    phone: str = ""
    website: str = ""
    address: str = ""
    notes: str = ""
    is_active: bool = True


class OrganizationPatch(Schema):
    name: str | None = None
    kind: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    address: str | None = None
    notes: str | None = None
    is_active: bool | None = None


def _organization_out(org: Organization) -> dict[str, Any]:
    return {
        **{name: getattr(org, name) for name in (*services.ORGANIZATION_FIELDS, "updated_at")},
        "id": org.pk,
        "contacts": [
            {
                "relationship_id": rel.pk,
                "person_id": rel.person_id,
                "person_name": rel.person.display_name,
                "kind": rel.kind,
                "title": rel.title,
            }
            for rel in org.contacts.all()
        ],
    }


@router.get("/organizations", response=list[OrganizationOut])
@needs("organization.view")
@paginate(CursorPagination, ordering=("-id",))
def list_organizations(request, kind: str | None = None, q: str = ""):
    """The agency directory: agencies, businesses, schools, community groups."""
    return queries.organization_list(request.auth.office, kind=kind, text=q).order_by("-id")


@router.get("/organizations/{organization_id}", response=OrganizationDetailOut)
@needs("organization.view")
def get_organization(request, organization_id: int):
    return _organization_out(queries.get_organization(request.auth, organization_id))


@router.post("/organizations", response={201: OrganizationDetailOut, 422: ErrorOut})
@needs("organization.edit")
@field_errors
def create_organization(request, payload: OrganizationIn):
    org = services.create_organization(request.auth.office, by=request.auth, fields=payload.dict())
    return Status(201, _organization_out(queries.get_organization(request.auth, org.pk)))


@router.patch(
    "/organizations/{organization_id}", response={200: OrganizationDetailOut, 422: ErrorOut}
)
@needs("organization.edit")
@field_errors
def update_organization(request, organization_id: int, payload: OrganizationPatch):
    org = queries.get_organization(request.auth, organization_id, need="organization.edit")
    services.update_organization(org, by=request.auth, fields=payload.dict(exclude_unset=True))
    return _organization_out(queries.get_organization(request.auth, organization_id))


@router.delete("/organizations/{organization_id}", response={204: None})
@needs("organization.edit")
def delete_organization(request, organization_id: int):
    org = queries.get_organization(request.auth, organization_id, need="organization.edit")
    services.delete_organization(org, by=request.auth)
    return Status(204, None)


# ---------------------------------------------------------------- custom fields


class CustomFieldOut(Schema):
    id: int
    key: str
    label: str
    field_type: str
    choices: list[str]
    is_active: bool
    position: int


class CustomFieldIn(Schema):
    key: str = Field("", description="Made from the label when empty; fixed once created.")
    label: str
    field_type: str = Field(description="text, number, date, choice, multi_choice or yes_no.")
    choices: list[str] = []


class CustomFieldPatch(Schema):
    """Only the fields sent change; the key and the type are fixed once created."""

    label: str | None = None
    choices: list[str] | None = None
    is_active: bool | None = None
    position: int | None = None


@router.get("/custom-fields", response=list[CustomFieldOut])
@needs("person.view")
def list_custom_fields(request):
    """The fields the office adds to its people, in the person form's order."""
    return list(queries.custom_field_list(request.auth.office))


@router.post("/custom-fields", response={201: CustomFieldOut, 422: ErrorOut})
@needs("customfield.manage")
@field_errors
def create_custom_field(request, payload: CustomFieldIn):
    field = services.define_custom_field(request.auth.office, by=request.auth, **payload.dict())
    return Status(201, field)


@router.patch("/custom-fields/{field_id}", response={200: CustomFieldOut, 422: ErrorOut})
@needs("customfield.manage")
@field_errors
def update_custom_field(request, field_id: int, payload: CustomFieldPatch):
    field: CustomField = queries.get_custom_field(request.auth, field_id, need="customfield.manage")
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.update_custom_field(field, by=request.auth, **changes)
