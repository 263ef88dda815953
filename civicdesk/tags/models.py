"""The governed vocabulary: tags in a hierarchy, their aliases, and every change to them."""

import re
import unicodedata

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import OfficeOwned

PATH_SEPARATOR = " › "


def normalize(text: str) -> str:
    """The form names and aliases are compared in: casefolded, accents stripped, punctuation
    and runs of spaces collapsed to one space. "Pot-holes " and "potholes" differ; "Pot holes",
    "pot-holes" and "POT  HOLES" do not."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", " ", bare).strip()


class TagAction(models.TextChoices):
    CREATED = "created", _("Created")
    RENAMED = "renamed", _("Renamed")
    DESCRIBED = "described", _("Description changed")
    MOVED = "moved", _("Moved")
    ALIAS_ADDED = "alias_added", _("Alias added")
    ALIAS_REMOVED = "alias_removed", _("Alias removed")
    MERGED = "merged", _("Merged into another tag")
    ABSORBED = "absorbed", _("Another tag merged into this one")
    DEPRECATED = "deprecated", _("Deprecated")
    RESTORED = "restored", _("Restored")


class TagQuerySet(models.QuerySet):
    def for_office(self, office) -> "TagQuerySet":
        return self.filter(office=office)

    def pickable(self) -> "TagQuerySet":
        """Tags staff may put on records now: not deprecated (merged tags are deprecated too)."""
        return self.filter(is_deprecated=False)


class Tag(OfficeOwned):
    """An issue or topic, e.g. "Street repair" under "Transportation". Deprecated tags stay on
    old records but are hidden from pickers; a merged tag points at the one that replaced it."""

    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("name"), max_length=100)
    normalized = models.CharField(max_length=100, default="")  # normalize(name), for matching
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

    objects = TagQuerySet.as_manager()

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
        indexes = [
            models.Index(fields=["office", "path"], name="tag_office_path"),
            models.Index(fields=["office", "normalized"], name="tag_office_normalized"),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


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
    action = models.CharField(max_length=30, choices=TagAction.choices)
    detail = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["tag", "-created_at"], name="tagchange_tag_recent")]

    def __str__(self) -> str:
        return f"{self.action} {self.tag_id}"
