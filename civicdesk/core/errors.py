"""Domain errors. The web and API doors turn them into clear messages (API: 409 with a code)."""


class DomainError(Exception):
    """A rule of the domain refused the request. `code` is stable; `message` is for people."""

    code = "conflict"
    status = 409

    details: object = None  # optional, JSON-able: the API sends it as `error.details`

    def __init__(self, message: str, *, code: str | None = None, details: object = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if details is not None:
            self.details = details


class BadRequest(DomainError):
    """The request asks for something that cannot be: a page link or a filter it does not know."""

    code = "bad_request"
    status = 400


class NotAllowed(DomainError):
    code = "forbidden"
    status = 403
