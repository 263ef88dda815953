"""What the constituents pages show, shaped for the templates: read-only helpers on top of
queries.py. Nothing here writes."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max, Min, Prefetch, prefetch_related_objects
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.audit.models import AuditEvent
from civicdesk.geo import queries as geo_queries
from civicdesk.geo.models import District, DistrictLayer

from . import panels, queries
from .forms import CALL_SCRIPTS, CUSTOM_PREFIX, LANGUAGE_CHOICES, OUTCOME_SUGGESTIONS
from .models import (
    Address,
    AddressDistrict,
    Consent,
    CustomField,
    CustomFieldType,
    Household,
    Interaction,
    Organization,
    Person,
    Relationship,
)
from .validation import format_phone

# ---------------------------------------------------------------- flags


@dataclass(frozen=True)
class Flag:
    key: str  # the PersonFilter flag name
    label: str
    icon: str  # Bootstrap Icons name
    tone: str  # a Bootstrap colour for the badge
    detail: str = ""


FLAGS = [
    # (field, label, icon, tone)
    ("do_not_email", gettext_lazy("Do not email"), "envelope-slash", "warning"),
    ("do_not_mail", gettext_lazy("Do not mail"), "mailbox2-flag", "warning"),
    ("do_not_call", gettext_lazy("Do not call"), "telephone-x", "warning"),
    ("do_not_text", gettext_lazy("Do not text"), "chat-square-dots", "warning"),
    ("is_deceased", gettext_lazy("Deceased"), "flower1", "dark"),
    ("is_vip", gettext_lazy("VIP"), "star-fill", "primary"),
    ("is_out_of_district", gettext_lazy("Out of district"), "geo-alt", "secondary"),
    ("is_of_concern", gettext_lazy("Person of concern"), "exclamation-octagon", "danger"),
]


def person_flags(person: Person, member) -> list[Flag]:
    may_see_concern = member.can("person.view_concern")
    flags = []
    for key, label, icon, tone in FLAGS:
        if not getattr(person, key):
            continue
        if key == "is_of_concern":
            if not may_see_concern:
                continue
            flags.append(Flag(key, str(label), icon, tone, person.concern_reason))
        else:
            flags.append(Flag(key, str(label), icon, tone))
    return flags


def flag_choices(member) -> list[tuple[str, str]]:
    return [
        (key, str(label))
        for key, label, _icon, _tone in FLAGS
        if key != "is_of_concern" or member.can("person.view_concern")
    ]


def language_name(code: str) -> str:
    return str(dict(LANGUAGE_CHOICES).get(code, code)) if code else ""


# ---------------------------------------------------------------- the people list


def district_choices(office) -> list:
    """Districts grouped by layer, for a <select> with one <optgroup> per layer."""
    layers = DistrictLayer.objects.for_office(office).order_by("name")
    districts = District.objects.for_office(office).order_by("layer_id", "name")
    by_layer: dict[int, list] = {}
    for district in districts.only("pk", "name", "layer_id"):
        by_layer.setdefault(district.layer_id, []).append((district.pk, district.name))
    return [(layer.name, by_layer[layer.pk]) for layer in layers if layer.pk in by_layer]


def person_filter(values: dict) -> "queries.PersonFilter":
    return queries.PersonFilter(
        text=(values.get("q") or "").strip(),
        district_id=values.get("district"),
        tag_ids=tuple(tag.pk for tag in values.get("tags") or ()),
        tag_mode=values.get("tag_mode") or "any",
        flags=tuple(values.get("flags") or ()),
        language=values.get("language") or "",
    )


def is_filtered(values: dict) -> bool:
    keys = ("q", "district", "tags", "flags", "language")
    return any(values.get(key) for key in keys)


@dataclass
class PersonRow:
    person: Person
    email: str = ""
    phone: str = ""
    place: str = ""
    tags: list = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


def list_rows(people, member) -> list[PersonRow]:
    """One row per person, with what the list shows, from what person_list prefetched (primary
    contact points first)."""
    rows = []
    for person in people:
        emails, phones = list(person.emails.all()), list(person.phones.all())
        addresses = list(person.addresses.all())
        address = addresses[0] if addresses else None
        links = sorted(person.tag_links.all(), key=lambda link: link.tag.path)
        rows.append(
            PersonRow(
                person=person,
                email=emails[0].email if emails else "",
                phone=format_phone(phones[0].number) if phones else "",
                place=", ".join(p for p in (address.line1, address.city) if p) if address else "",
                tags=[link.tag for link in links],
                flags=person_flags(person, member),
            )
        )
    return rows


SORTABLE = {"name": ("name", "-name"), "updated": ("-updated", "updated")}


def sort_links(params: QueryDict, order: str) -> dict[str, dict]:
    """For each sortable column: the URL that sorts by it (toggling direction) and its state."""
    links = {}
    for column, (first, second) in SORTABLE.items():
        is_active = order in (first, second)
        target = second if order == first else first
        query = params.copy()
        query["order"] = target
        query.pop("after", None)
        ascending = order in ("name", "updated")
        links[column] = {
            "url": "?" + query.urlencode(),
            "active": is_active,
            "aria_sort": ("ascending" if ascending else "descending") if is_active else "none",
            "icon": ("sort-up" if ascending else "sort-down") if is_active else "arrow-down-up",
        }
    return links


def first_page_url(params: QueryDict) -> str:
    """The list without its cursor, when the page shown is not the first one."""
    if not params.get("after"):
        return ""
    query = params.copy()
    query.pop("after")
    return "?" + query.urlencode()


def next_page_url(params: QueryDict, cursor: str | None) -> str:
    if not cursor:
        return ""
    query = params.copy()
    query["after"] = cursor
    return "?" + query.urlencode()


# ---------------------------------------------------------------- the person page

RELATIONSHIP_SUGGESTIONS = [
    gettext_lazy("spouse"),
    gettext_lazy("partner"),
    gettext_lazy("parent"),
    gettext_lazy("child"),
    gettext_lazy("sibling"),
    gettext_lazy("caregiver"),
    gettext_lazy("neighbor"),
    gettext_lazy("employee"),
    gettext_lazy("board member"),
    gettext_lazy("volunteer"),
]


@dataclass
class AddressCard:
    address: Address
    districts: list[tuple[str, str]]  # (layer, district)
    map_data: dict | None
    place_data: dict | None = None  # an unlocated address an editor may place by hand

    @property
    def map_id(self) -> str:
        return f"map-data-{self.address.pk}"

    @property
    def place_id(self) -> str:
        return f"place-data-{self.address.pk}"


# Where "Place on the map" opens when the office has no districts and no located address yet:
# the contiguous United States, [[south, west], [north, east]].
DEFAULT_PLACE_BOUNDS = [[24.5, -125.0], [49.5, -66.9]]


def placement_map(member) -> dict:
    """Where to open the map for placing a pin by hand: the extent of the office's districts
    (with one layer's outlines to find one's way, if the member may see districts), else of
    its located addresses, else the default."""
    office = member.office
    extent = District.objects.for_office(office).aggregate(
        south=Min("min_lat"),
        west=Min("min_lon"),
        north=Max("max_lat"),
        east=Max("max_lon"),
        layer_id=Min("layer_id"),
    )
    outlines = []
    if extent["layer_id"] is not None and member.can("district.view"):
        outlines = [reverse("geo:layer-geojson", args=[extent["layer_id"]])]
    if extent["south"] is None:
        located = Address.objects.for_office(office).filter(
            latitude__isnull=False, longitude__isnull=False
        )
        extent = located.aggregate(
            south=Min("latitude"),
            west=Min("longitude"),
            north=Max("latitude"),
            east=Max("longitude"),
        )
    if extent["south"] is None:
        return {"bounds": DEFAULT_PLACE_BOUNDS, "outlines": []}
    bounds = [[extent["south"], extent["west"]], [extent["north"], extent["east"]]]
    return {"bounds": bounds, "outlines": outlines}


def district_outline_url(link: AddressDistrict) -> str:
    """Where the map fetches a district's outline: the layer's version in the URL lets the
    browser keep it until the next import."""
    url = reverse("geo:district-outline", args=[link.layer_id, link.district_id])
    return f"{url}?{_encode({'v': geo_queries.layer_version(link.layer)})}"


def address_cards(member, addresses) -> list[AddressCard]:
    """Each address with its districts (prefetched, without their shapes) and what its map
    shows: the pin, and the districts' outlines, which the map fetches after the page."""
    may_see_districts = member.can("district.view")
    may_edit = member.can("person.edit")
    placement = None
    cards = []
    for address in addresses:
        links = sorted(address.district_links.all(), key=lambda link: link.layer.name)
        map_data = None
        if address.has_position:
            map_data = {
                "latitude": address.latitude,
                "longitude": address.longitude,
                "label": str(address),
                "outlines": [district_outline_url(link) for link in links]
                if may_see_districts
                else [],
                "editable": member.can("person.edit"),
            }
        place_data = None
        if may_edit and not address.has_position:
            placement = placement or placement_map(member)
            place_data = {**placement, "label": str(address)}
        districts = [(link.layer.name, link.district.name) for link in links]
        cards.append(AddressCard(address, districts, map_data, place_data))
    return cards


@dataclass
class CustomValue:
    label: str
    value: str


def custom_values(person: Person) -> list[CustomValue]:
    values = person.custom or {}
    shown = []
    for definition in CustomField.objects.for_office(person.office_id).filter(is_active=True):
        value = values.get(definition.key)
        if value in (None, "", []):
            continue
        if definition.field_type == CustomFieldType.YES_NO:
            text = _("Yes") if value else _("No")
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = str(value)
        shown.append(CustomValue(definition.label, text))
    return shown


@dataclass
class RelationshipRow:
    relationship: Relationship
    label: str  # "Spouse", "Employee — Deputy director"
    person: Person | None = None
    organization: Organization | None = None
    is_incoming: bool = False  # someone else recorded the relationship towards this person


def relationship_rows(person: Person) -> list[RelationshipRow]:
    rows = []
    for rel in sorted(person.relationships.all(), key=lambda rel: (rel.kind, rel.pk)):
        label = rel.kind + (f" — {rel.title}" if rel.title else "")
        rows.append(RelationshipRow(rel, label, rel.other_person, rel.organization))
    incoming = Relationship.objects.filter(other_person=person).select_related("person")
    for rel in incoming.order_by("kind"):
        rows.append(RelationshipRow(rel, rel.kind, rel.person, is_incoming=True))
    return rows


def person_tags(person: Person) -> list:
    links = person.tag_links.all()  # prefetched by get_person, in path order
    return sorted((link.tag for link in links), key=lambda tag: tag.path)


def channel_consents(person: Person) -> list[dict]:
    """One line per channel: the recorded answer, or nothing recorded yet."""
    stored = {consent.channel: consent for consent in person.consents.all()}
    return [
        {"channel": label, "consent": stored.get(value)}
        for value, label in Consent._meta.get_field("channel").choices
    ]


def person_page(member, person: Person, *, timeline_size: int) -> dict:
    emails = sorted(person.emails.all(), key=lambda e: (not e.is_primary, e.pk))
    phones = sorted(person.phones.all(), key=lambda p: (not p.is_primary, p.pk))
    for phone in phones:
        phone.display = format_phone(phone.number)
    addresses = sorted(person.addresses.all(), key=lambda a: (not a.is_primary, a.pk))
    household = person.household
    return {
        "person": person,
        "flags": person_flags(person, member),
        "language_name": language_name(person.language),
        "emails": emails,
        "phones": phones,
        "address_cards": address_cards(member, addresses),
        "tags": person_tags(person),
        "positions": person.positions.select_related("tag").order_by("-noted_on", "-pk"),
        "household": household,
        "household_members": (
            household.members.exclude(pk=person.pk).order_by("sort_name") if household else []
        ),
        "relationships": relationship_rows(person),
        "consents": channel_consents(person),
        "external_ids": sorted(person.external_ids.all(), key=lambda e: (e.system, e.value)),
        "custom_values": custom_values(person),
        "timeline": timeline(person, before=None, size=timeline_size),
        "created_by": person.created_by.user if person.created_by_id else None,
        "outcome_suggestions": OUTCOME_SUGGESTIONS,
        "relationship_suggestions": RELATIONSHIP_SUGGESTIONS,
    }


# ---------------------------------------------------------------- the timeline


KIND_ICONS = {
    "call": "telephone",
    "walk_in": "door-open",
    "email": "envelope",
    "letter": "mailbox",
    "meeting": "people",
    "note": "sticky",
    "case": "briefcase",
    "other": "three-dots",
}


@dataclass
class TimelineEntry:
    interaction: Interaction
    icon: str
    logged_by: str
    script: str
    source_url: str = ""  # the case (or other record) the entry came from

    @property
    def anchor(self) -> str:
        return f"interaction-{self.interaction.pk}"


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    next_url: str = ""


def timeline_entry(interaction: Interaction) -> TimelineEntry:
    who = interaction.logged_by.user.display_name if interaction.logged_by_id else _("System")
    script = interaction.script
    return TimelineEntry(
        interaction,
        KIND_ICONS.get(interaction.kind, "dot"),
        who,
        str(dict(CALL_SCRIPTS).get(script, script)) if script else "",
        panels.source_url(interaction.source_type, interaction.source_id),
    )


def timeline(person: Person, *, before: str | None, size: int) -> TimelinePage:
    """A page of the person's timeline, newest first, and the URL of the next older page.
    The cursor is "<occurred_at ISO>~<id>" of the last entry shown; a bad one starts over."""
    items = queries.person_timeline(person, limit=size + 1, before=_parse_cursor(before))
    next_url = ""
    if len(items) > size:
        items = items[:size]
        last = items[-1]
        cursor = f"{last.occurred_at.isoformat()}~{last.pk}"
        url = reverse("constituents:person-timeline", args=[person.pk])
        next_url = f"{url}?{_encode({'before': cursor})}"
    return TimelinePage([timeline_entry(item) for item in items], next_url)


def _parse_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor or "~" not in cursor:
        return None
    moment, _sep, entry_id = cursor.rpartition("~")
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        return None
    if not entry_id.isdigit() or timezone.is_naive(at):
        return None
    return at, int(entry_id)


def _encode(values: dict) -> str:
    query = QueryDict(mutable=True)
    query.update(values)
    return query.urlencode()


# ---------------------------------------------------------------- the person form


@dataclass
class ConflictNotice:
    message: str
    differences: dict[str, str]  # form field name -> the value now stored
    changed_labels: list[str]  # what the other save changed, in words


CONTACT_LABELS = {
    "emails": gettext_lazy("Emails"),
    "phones": gettext_lazy("Phones"),
    "addresses": gettext_lazy("Addresses"),
}


def changed_since(person: Person, opened_version: int) -> set[str] | None:
    """The fields the saves after `opened_version` changed, from their audit events (each
    save bumps the version once); None when that cannot be told."""
    count = person.version - opened_version
    if count <= 0:
        return None
    events = AuditEvent.objects.filter(
        office_id=person.office_id,
        object_type="constituents.person",
        object_id=str(person.pk),
        action="person.changed",
    ).order_by("-seq")[:count]
    return {name for event in events for name in event.changes}


def conflict_notice(exc, person: Person, form, *, opened_version: int) -> ConflictNotice:
    """What the page says after an edit conflict, and the fields the other save changed that
    now differ from what the user typed (marked beside them as "Now saved: …")."""
    changed = changed_since(person, opened_version)
    differences = {}
    typed = form.data
    for name in form.fields:
        if name in ("version", "tags", "tags_before") or name.startswith(CUSTOM_PREFIX):
            continue
        if changed is not None and name not in changed:
            continue  # the user's own edit, not the other person's
        stored = getattr(person, name, None)
        value = typed.get(name, "")
        if isinstance(stored, bool):
            if stored != (value in ("on", "true", "True", "1")):
                differences[name] = _("ticked") if stored else _("not ticked")
        elif str(stored if stored is not None else "") != str(value or "").strip():
            differences[name] = str(stored) if stored not in (None, "") else _("(empty)")
    for name, value in differences.items():
        form[name].conflict_value = value
    changed = changed or set()
    labels = [str(field.label) for name, field in form.fields.items() if name in changed]
    labels += [str(label) for name, label in CONTACT_LABELS.items() if name in changed]
    who = getattr(exc, "changed_by", "") or _("Someone")
    when = getattr(exc, "changed_at", None)
    if when is not None:
        local = timezone.localtime(when)
        same_day = local.date() == timezone.localdate()
        at = date_format(local, "TIME_FORMAT" if same_day else "SHORT_DATETIME_FORMAT")
        message = _(
            "%(who)s changed this record at %(at)s while you were editing; your changes are "
            "below — review and save again."
        ) % {"who": who, "at": at}
    else:
        message = _(
            "%(who)s changed this record while you were editing; your changes are below — "
            "review and save again."
        ) % {"who": who}
    return ConflictNotice(message, differences, labels)


# ---------------------------------------------------------------- households and organizations


def household_members(household: Household) -> list[Person]:
    """The members (prefetched by get_household), each with their addresses, primary first."""
    members = list(household.members.all())
    prefetch_related_objects(
        members, Prefetch("addresses", Address.objects.order_by("-is_primary", "pk"))
    )
    return members


def household_defaults(person: Person) -> dict:
    last = person.last_name.strip()
    return {
        "name": _("The %(name)s household") % {"name": last} if last else person.display_name,
        "joint_salutation": _("Dear %(name)s family") % {"name": last} if last else "",
    }


def chosen_people(member, ids) -> list[Person]:
    clean = [int(i) for i in ids if str(i).isdigit()]
    return list(Person.objects.for_office(member.office).filter(pk__in=clean))


def with_phone_display(organizations) -> list[Organization]:
    """The organizations, each with `phone_display`: its stored E.164 number as people write it."""
    organizations = list(organizations)
    for organization in organizations:
        organization.phone_display = format_phone(organization.phone) if organization.phone else ""
    return organizations


def organization_contacts(organization: Organization) -> list[Relationship]:
    """The people related to the organization (prefetched by get_organization, by name)."""
    return list(organization.contacts.all())
