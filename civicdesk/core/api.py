"""Helpers every API router uses: the permission check, and the one error body shape.

Every error the API returns is `{"error": {"code": str, "message": str, "details": ...}}`.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Schema

from .access import mark_policy


class ErrorBody(Schema):
    code: str
    message: str
    details: Any | None = None


class ErrorOut(Schema):
    error: ErrorBody


def error_body(code: str, message: str, details: Any = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details}}


def needs(permission: str) -> Callable:
    """Declare and check the permission an endpoint needs. `request.auth` is a Membership
    (from a token or the browser session), so the office is always known."""

    def decorator(func: Callable) -> Callable:
        @wraps(func)
        def wrapped(request, *args: Any, **kwargs: Any):
            if not request.auth.can(permission):
                raise PermissionDenied
            return func(request, *args, **kwargs)

        return mark_policy(wrapped, f"member:{permission}")

    return decorator
