from django.http import HttpRequest

from .models import Membership
from .permissions import PERMISSIONS


def permission_tree(member: Membership) -> dict[str, dict[str, bool]]:
    """{"member": {"view": True, ...}, ...}, so templates can ask `{% if can.member.view %}`."""
    tree: dict[str, dict[str, bool]] = {}
    for name in PERMISSIONS:
        area, action = name.split(".", 1)
        tree.setdefault(area, {})[action] = member.can(name)
    return tree


def membership(request: HttpRequest) -> dict:
    """The current membership and the offices a person can switch to, for the header."""
    member = getattr(request, "member", None)
    if member is None:
        return {"member": None, "other_memberships": [], "can": {}}

    def other_memberships():
        return (
            Membership.objects.active()
            .filter(user_id=member.user_id)
            .exclude(pk=member.pk)
            .select_related("office")
            .order_by("office__name")
        )

    return {
        "member": member,
        "other_memberships": other_memberships,
        "can": permission_tree(member),
    }
