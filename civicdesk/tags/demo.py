"""A starting vocabulary for a US city office, for demo offices and for new offices that want
one. Safe to run twice: tags and aliases that already exist are left as they are."""

from django.db import transaction

from civicdesk.accounts.models import Membership, Office

from . import queries, services
from .models import Tag, TagAlias, normalize

# (top-level tag, its aliases, [(sub-tag, its aliases), ...])
VOCABULARY: list[tuple[str, list[str], list[tuple[str, list[str]]]]] = [
    (
        "Transportation",
        ["transit"],
        [
            ("Street repair", ["potholes", "pothole", "road repair", "paving"]),
            ("Traffic safety", ["speeding", "speed bumps", "crosswalks", "stop sign"]),
            ("Parking", ["parking tickets", "residential parking permit"]),
            ("Public transit", ["bus", "bus stop", "buses"]),
            ("Sidewalks", ["curb ramps", "ADA ramps"]),
            ("Streetlights", ["street light out", "lighting"]),
        ],
    ),
    (
        "Housing",
        [],
        [
            ("Affordable housing", ["section 8", "housing vouchers"]),
            ("Tenant rights", ["eviction", "landlord", "rent increase"]),
            ("Code enforcement", ["code violation", "blight", "vacant property"]),
            ("Homelessness", ["unhoused", "encampment", "shelter"]),
        ],
    ),
    (
        "Public safety",
        ["police"],
        [
            ("Policing", ["police response"]),
            ("Fire and EMS", ["ambulance", "fire department"]),
            ("Noise", ["noise complaint", "loud music", "fireworks"]),
        ],
    ),
    (
        "Environment",
        [],
        [
            ("Trees", ["tree trimming", "fallen tree", "tree removal"]),
            ("Illegal dumping", ["dumping", "bulk trash"]),
            ("Trash and recycling", ["garbage", "missed pickup", "recycling"]),
            ("Flooding", ["storm drain", "drainage"]),
        ],
    ),
    ("Parks", ["playground", "recreation center"], []),
    ("Schools", ["education", "school board"], []),
    (
        "Taxes",
        [],
        [
            ("Property tax", ["assessment", "property assessment"]),
            ("City budget", ["budget"]),
        ],
    ),
    ("Veterans", ["VA benefits", "veterans affairs"], []),
    ("Immigration", ["visa", "green card", "citizenship"], []),
    ("Social Security", ["SSA", "SSI", "disability benefits"], []),
    (
        "Utilities",
        [],
        [
            ("Water and sewer", ["water bill", "water main", "sewer backup"]),
            ("Electricity and gas", ["power outage", "gas bill"]),
            ("Internet access", ["broadband"]),
        ],
    ),
    ("Animal control", ["stray dogs", "animal services"], []),
    ("Small business", ["permits", "business license"], []),
    ("Senior services", ["seniors", "Meals on Wheels"], []),
    ("Constituent event", ["town hall", "community meeting"], []),
]


def _ensure_tag(office: Office, name: str, parent: Tag | None, by: Membership | None) -> Tag:
    existing = (
        Tag.objects.for_office(office).filter(parent=parent, normalized=normalize(name)).first()
    )
    return existing or services.create_tag(office, name=name, parent=parent, by=by)


def _ensure_aliases(tag: Tag, aliases: list[str], by: Membership | None) -> None:
    for alias in aliases:
        taken = TagAlias.objects.for_office(tag.office_id).filter(normalized=normalize(alias))
        if not taken.exists() and queries.resolve_tag(tag.office, alias) is None:
            services.add_alias(tag, alias=alias, by=by)


@transaction.atomic
def seed_vocabulary(office: Office, *, by: Membership | None = None) -> list[Tag]:
    """Create the demo vocabulary (two levels, with aliases) in `office`; returns its tags."""
    tags: list[Tag] = []
    for name, aliases, children in VOCABULARY:
        top = _ensure_tag(office, name, None, by)
        _ensure_aliases(top, aliases, by)
        tags.append(top)
        for child_name, child_aliases in children:
            child = _ensure_tag(office, child_name, top, by)
            _ensure_aliases(child, child_aliases, by)
            tags.append(child)
    return tags
