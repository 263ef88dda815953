"""Writes of casework, one module per area; everything is importable from here:
`from civicdesk.casework import services; services.open_case(...)`."""

from .cases import (
    CASE_INTERACTION_SOURCE,
    allowed_statuses,
    apply_template,
    assign_case,
    bulk_assign,
    change_status,
    complete_action,
    create_case_type,
    ensure_release_for_agency,
    log_action,
    open_case,
    plan_action,
    save_team,
    save_template,
    touch,
    update_case,
    update_case_type,
)

__all__ = [
    "CASE_INTERACTION_SOURCE",
    "allowed_statuses",
    "apply_template",
    "assign_case",
    "bulk_assign",
    "change_status",
    "complete_action",
    "create_case_type",
    "ensure_release_for_agency",
    "log_action",
    "open_case",
    "plan_action",
    "save_team",
    "save_template",
    "touch",
    "update_case",
    "update_case_type",
]
