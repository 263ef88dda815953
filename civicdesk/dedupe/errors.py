"""The refusals of duplicates. Each has a stable code (the API's `error.code`) and a message for
people; the doors show the message as it is."""

from civicdesk.core.errors import DomainError


class MergeRefused(DomainError):
    """A merge the rules refuse: a person into themselves, across offices, an unknown field."""

    code = "merge_refused"


class UndoRefused(DomainError):
    """A merge that cannot be undone (already undone, its survivor gone since)."""

    code = "undo_refused"


class DecisionRefused(DomainError):
    """A decision on a pair that cannot be taken (it was merged, a person is gone)."""

    code = "decision_refused"


class SettingsRefused(DomainError):
    """Duplicate settings out of bounds (an automatic-merge threshold too low)."""

    code = "settings_refused"
    status = 422
