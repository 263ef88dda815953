"""What each role may do. The only place in CivicDesk where roles are named against actions.

Views, API endpoints and services ask `Membership.can(permission)`, which reads this table.
A permission that is not in the table is a KeyError, never a silent "no".
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    CASEWORKER = "caseworker", _("Caseworker")
    CORRESPONDENT = "correspondent", _("Correspondent")
    OUTREACH = "outreach", _("Outreach")
    VOLUNTEER = "volunteer", _("Volunteer")
    VIEWER = "viewer", _("Viewer")


ADMINS = {Role.ADMIN}
MANAGERS = ADMINS | {Role.MANAGER}
STAFF = MANAGERS | {Role.CASEWORKER, Role.CORRESPONDENT, Role.OUTREACH}
EVERYONE = STAFF | {Role.VOLUNTEER, Role.VIEWER}

PERMISSIONS: dict[str, set[str]] = {
    # the office itself
    "office.view": EVERYONE,
    "office.edit": ADMINS,
    "member.view": STAFF | {Role.VIEWER},
    "member.invite": ADMINS,
    "member.deactivate": ADMINS,
    "member.change_role": ADMINS,
    # the audit log
    "audit.view": ADMINS,
    "audit.verify": ADMINS,
    # background jobs: everyone sees their own; these see all of the office's
    "job.view_all": MANAGERS,
    # the API
    "api.use": STAFF | {Role.VIEWER, Role.VOLUNTEER},
    # dashboard and search
    "dashboard.view": EVERYONE,
    "search.use": EVERYONE,
    # constituents (people, households, organizations, history)
    "person.view": STAFF | {Role.VIEWER},
    "person.edit": STAFF,
    "person.delete": MANAGERS,
    "person.view_concern": MANAGERS,  # the "person of concern" flag and its reason
    "person.export": MANAGERS,
    "person.bulk_tag": STAFF,
    "interaction.log": STAFF,
    "household.edit": STAFF,
    "organization.view": STAFF | {Role.VIEWER},
    "organization.edit": STAFF,
    "customfield.manage": ADMINS,
    # the tag vocabulary
    "tag.view": EVERYONE,
    "tag.apply": STAFF,
    "tag.create": MANAGERS,
    "tag.manage": ADMINS,  # rename, move, merge, deprecate, aliases
    # districts and geocoding
    "district.view": STAFF | {Role.VIEWER},
    "district.manage": ADMINS,
    "geocode.run": MANAGERS,
    # casework
    "case.view": STAFF | {Role.VIEWER},
    "case.edit": MANAGERS | {Role.CASEWORKER},  # open cases, log actions, letters, releases
    "case.assign": MANAGERS | {Role.CASEWORKER},
    "case.bulk_assign": MANAGERS,
    "case.view_sensitive": MANAGERS,  # sensitive cases: otherwise only their assignee
    "case.export": MANAGERS,
    "case.report": MANAGERS | {Role.VIEWER},
    "case.status_link": MANAGERS | {Role.CASEWORKER},
    "casetype.manage": ADMINS,  # case types, workflows, templates, teams
    "letter.manage": MANAGERS,  # the letter library
    # data in and out
    "import.run": MANAGERS,  # import people from files, save column mappings
    "dedupe.review": MANAGERS,  # the duplicates queue: merge, not a duplicate, later; undo a merge
    "dedupe.configure": ADMINS,  # scan settings and the automatic-merge threshold
    "office.export": ADMINS,  # the full office export
    "interchange.run": ADMINS,  # US House CMS interchange import and export
}


def role_can(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def roles_with(permission: str) -> list[str]:
    return [role.label for role in Role if role in PERMISSIONS[permission]]
