"""The governed vocabulary: tags in a hierarchy, their aliases, and every change to them."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import OfficeOwned


class Tag(OfficeOwned):
    """An issue or topic, e.g. "Street repair" under "Transportation". Deprecated tags stay on
    old records but are hidden from pickers; a merged tag points at the one that replaced it."""

    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(max_length=120)
    path = models.CharField(
        max_length=500
    )  # "Transportation › Street repair", for display and sort
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_deprecated = models.BooleanField(default=False)
    merged_into = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    usage_count = models.PositiveIntegerField(default=0)  # kept up to date by tags.services

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "parent", "slug"], name="tag_unique_under_parent"
            ),
            models.UniqueConstraint(
                fields=["office", "slug"],
                condition=Q(parent__isnull=True),
                name="tag_unique_at_top",
            ),
        ]
        indexes = [models.Index(fields=["office", "path"], name="tag_office_path")]

    def __str__(self) -> str:
        return self.path


class TagAlias(OfficeOwned):
    """Another word for a tag ("potholes" → Street repair): typing it picks the tag."""

    tag = models.ForeignKey(Tag, models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=100)
    normalized = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "normalized"], name="tag_alias_unique")
        ]

    def __str__(self) -> str:
        return self.alias


class TagChange(OfficeOwned):
    """One change to the vocabulary (created, renamed, moved, merged, deprecated, aliased)."""

    tag = models.ForeignKey(Tag, models.CASCADE, related_name="changes")
    action = models.CharField(max_length=30)
    detail = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.action} {self.tag_id}"
