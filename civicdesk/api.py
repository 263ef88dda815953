"""The REST API root at /api/v1: authentication, error shapes, and each app's router."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from civicdesk.accounts.api import router as accounts_router
from civicdesk.accounts.services import TokenRejected, authenticate_token
from civicdesk.audit.api import router as audit_router
from civicdesk.casework.api import router as casework_router
from civicdesk.constituents.api import router as constituents_router
from civicdesk.core.api import error_body
from civicdesk.core.errors import DomainError
from civicdesk.core.net import client_ip
from civicdesk.dedupe.api import router as dedupe_router
from civicdesk.exports.api import router as exports_router
from civicdesk.geo.api import router as geo_router
from civicdesk.imports.api import router as imports_router
from civicdesk.interchange.api import router as interchange_router
from civicdesk.jobs.api import router as jobs_router
from civicdesk.tags.api import router as tags_router


class TokenAuth(HttpBearer):
    """`Authorization: Bearer cd_…`: a personal token, which acts as one membership."""

    openapi_description = "A personal API token from your profile page; it acts in one office."

    def authenticate(self, request, token: str):
        try:
            member = authenticate_token(token)
        except TokenRejected as exc:
            raise TokenError(exc.reason) from exc
        # Where the call comes from, for the audit log (as the web middleware does for sessions).
        member.client_ip = client_ip(request)
        member.client_agent = request.headers.get("user-agent", "")[:300]
        request.member = member
        return member


class TokenError(AuthenticationError):
    def __init__(self, reason: str):
        super().__init__()
        self.reason = reason


class SessionAuth(APIKeyCookie):
    """The browser's signed-in session, in its current office. Unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        member = getattr(request, "member", None)
        if request.user.is_authenticated and member is not None:
            return member
        return None


api = NinjaAPI(
    title="CivicDesk API",
    version="1",
    description="Constituent services. Every call acts in one office: the token's, or the session's current one.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(TokenError)
def token_error(request, exc: TokenError):
    return api.create_response(request, error_body("token_invalid", exc.reason), status=401)


@api.exception_handler(AuthenticationError)
def not_authenticated(request, exc):
    return api.create_response(
        request,
        error_body(
            "not_authenticated", "Send a personal API token: Authorization: Bearer <token>."
        ),
        status=401,
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, error_body("not_found", "Not found."), status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(
        request, error_body("forbidden", "Your role does not allow this."), status=403
    )


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    return api.create_response(
        request, error_body("invalid", "The request is not valid.", exc.errors), status=422
    )


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(
        request, error_body(exc.code, exc.message, exc.details), status=exc.status
    )


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return api.create_response(request, error_body("error", str(exc)), status=exc.status_code)


api.add_router("", accounts_router)
api.add_router("", jobs_router)
api.add_router("", audit_router)
api.add_router("", constituents_router)
api.add_router("", tags_router)
api.add_router("", geo_router)
api.add_router("", casework_router)
api.add_router("", imports_router)
api.add_router("", dedupe_router)
api.add_router("", exports_router)
api.add_router("", interchange_router)
