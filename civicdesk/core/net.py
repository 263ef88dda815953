"""Where a request comes from."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind a trusted proxy (CIVICDESK_BEHIND_PROXY) the last
    X-Forwarded-For entry — the one our proxy appended; earlier entries come from the client
    and can be forged. Otherwise the socket peer."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None
