"""The refusals of casework. Each has a stable code (the API's `error.code`) and a message for
people; the doors show the message as it is."""

from civicdesk.core.errors import DomainError


class CaseRefused(DomainError):
    """A request the rules of casework refuse (a person of another office, a closed case...)."""

    code = "case_refused"


class IllegalStatusChange(DomainError):
    """The case type's workflow does not allow this status change."""

    code = "illegal_status_change"


class CaseEditConflict(DomainError):
    """Someone saved the case after the editor opened it (optimistic locking)."""

    code = "edit_conflict"


class PrivacyReleaseRequired(DomainError):
    """The case type needs the constituent's privacy release before the agency is contacted."""

    code = "privacy_release_required"


class UploadRefused(DomainError):
    """A file too large, of a forbidden type, or refused by the scanner."""

    code = "upload_refused"
    status = 400


class StatusLinkInvalid(DomainError):
    """A constituent's status link that is unknown, revoked or expired."""

    code = "status_link_invalid"
    status = 404
