"""What other apps add to a person's page and form, named by dotted path and URL name so that
constituents imports none of them (casework adds its "Cases" section and links its timeline
entries in its AppConfig.ready; dedupe its duplicate check of the person form)."""

import logging

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Dotted paths of `panel(member, person) -> dict | None`; a dict holds "template" (included on
# the page with the dict as `panel`) and whatever that template shows.
PERSON_PANELS: list[str] = []

# Interaction.source_type → the URL name of the record it came from (one argument: source_id).
SOURCE_LINKS: dict[str, str] = {}

# Dotted paths of `check(office, draft) -> list[dict]`: people of the office like the one about
# to be created (the person form warns before adding a duplicate). `draft` holds first_name,
# middle_name, last_name, preferred_name, birth_date, birth_year, gender, emails, phones (E.164)
# and addresses [(line1, city, postcode)]; each dict found holds "id", "name", "address",
# "percent" and "url".
DUPLICATE_CHECKS: list[str] = []


def person_panels(member, person) -> list[dict]:
    panels = (import_string(path)(member, person) for path in PERSON_PANELS)
    return [panel for panel in panels if panel]


def similar_people(office, draft: dict) -> list[dict]:
    """What every duplicate check finds for `draft`, each person once, the likeliest first. A
    check that fails is logged and skipped: a warning must never stop a person being added."""
    found: dict[int, dict] = {}
    for path in DUPLICATE_CHECKS:
        try:
            hits = import_string(path)(office, draft)
        except Exception:
            logger.exception("duplicate check %s failed", path)
            continue
        for hit in hits:
            if hit["id"] not in found or hit["percent"] > found[hit["id"]]["percent"]:
                found[hit["id"]] = hit
    return sorted(found.values(), key=lambda hit: -hit["percent"])


def source_url(source_type: str, source_id: str) -> str:
    name = SOURCE_LINKS.get(source_type)
    if not name or not source_id:
        return ""
    try:
        return reverse(name, args=[source_id])
    except NoReverseMatch:
        return ""
