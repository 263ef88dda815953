"""Small helpers for pages that swap fragments with htmx."""

from django.http import HttpRequest


def partial_or_page(request: HttpRequest, template: str, partial: str) -> str:
    """The named partial for an htmx swap inside the page, the whole page otherwise."""
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        return f"{template}#{partial}"
    return template
