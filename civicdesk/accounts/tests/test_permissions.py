import pytest

from civicdesk.accounts.models import Membership
from civicdesk.accounts.permissions import PERMISSIONS, Role, role_can, roles_with


def test_an_unknown_permission_is_a_key_error_not_a_silent_no():
    with pytest.raises(KeyError):
        role_can(Role.ADMIN, "case.teleport")


def test_a_membership_asking_an_unknown_permission_is_a_key_error():
    with pytest.raises(KeyError):
        Membership(role=Role.ADMIN).can("case.teleport")


def test_an_admin_may_do_everything():
    assert [name for name in PERMISSIONS if not role_can(Role.ADMIN, name)] == []


def test_every_permission_names_only_real_roles():
    assert {role for roles in PERMISSIONS.values() for role in roles} <= set(Role.values)


def test_every_permission_is_area_dot_action():
    assert [name for name in PERMISSIONS if len(name.split(".")) != 2] == []


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.VIEWER, "member.view", True),
        (Role.VOLUNTEER, "member.view", False),
        (Role.CASEWORKER, "member.invite", False),
        (Role.MANAGER, "job.view_all", True),
        (Role.CASEWORKER, "job.view_all", False),
        (Role.MANAGER, "audit.view", False),
        (Role.VOLUNTEER, "api.use", True),
        (Role.VIEWER, "dashboard.view", True),
    ],
)
def test_the_table_answers(role, permission, allowed):
    assert role_can(role, permission) is allowed


def test_an_inactive_membership_may_do_nothing():
    member = Membership(role=Role.ADMIN, is_active=False)

    assert [name for name in PERMISSIONS if member.can(name)] == []


def test_roles_with_lists_labels_in_table_order():
    assert roles_with("audit.view") == ["Admin"]
    assert roles_with("job.view_all") == ["Admin", "Manager"]
