"""Where a request comes from, and where it may go back to."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind a trusted proxy (CIVICDESK_BEHIND_PROXY) the last
    X-Forwarded-For entry — the one our proxy appended; earlier entries come from the client
    and can be forged. Otherwise the socket peer."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def posted_next(request: HttpRequest, fallback: str) -> str:
    """The POSTed `next` address when it stays on this site ("//elsewhere" does not), else
    `fallback`: where a form goes back to after it is done."""
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback
