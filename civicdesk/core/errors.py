"""Domain errors. The web and API doors turn them into clear messages (API: 409 with a code)."""


class DomainError(Exception):
    """A rule of the domain refused the request. `code` is stable; `message` is for people."""

    code = "conflict"
    status = 409

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotAllowed(DomainError):
    code = "forbidden"
    status = 403
