"""What other apps add to a person's page, named by dotted path and URL name so that
constituents imports none of them (casework adds its "Cases" section and links its timeline
entries in its AppConfig.ready)."""

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

# Dotted paths of `panel(member, person) -> dict | None`; a dict holds "template" (included on
# the page with the dict as `panel`) and whatever that template shows.
PERSON_PANELS: list[str] = []

# Interaction.source_type → the URL name of the record it came from (one argument: source_id).
SOURCE_LINKS: dict[str, str] = {}


def person_panels(member, person) -> list[dict]:
    panels = (import_string(path)(member, person) for path in PERSON_PANELS)
    return [panel for panel in panels if panel]


def source_url(source_type: str, source_id: str) -> str:
    name = SOURCE_LINKS.get(source_type)
    if not name or not source_id:
        return ""
    try:
        return reverse(name, args=[source_id])
    except NoReverseMatch:
        return ""
