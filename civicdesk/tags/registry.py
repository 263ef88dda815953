"""The records that carry tags, named by app label so that tags imports none of those apps.

Apps above tags append their models here (e.g. "casework.CaseTag"); `merge_tags` and
`refresh_usage_counts` go through these lists and never import the apps themselves.
"""

from django.apps import apps
from django.db import models

# Link rows "this record carries this tag": each model has an `office` FK and a `tag` FK. A
# unique constraint that includes `tag` (e.g. (person, tag)) is respected when tags merge: rows
# that would become duplicates are deleted before the rest are repointed. Counted for usage.
TAGGED_MODELS: list[str] = ["constituents.PersonTag"]

# Other rows that point at a tag through a `tag` FK (PROTECT, so a tag in use cannot vanish).
# Repointed when tags merge; not counted as usages.
TAG_REFERENCES: list[str] = ["constituents.Position"]


def tagged_models() -> list[type[models.Model]]:
    return [apps.get_model(label) for label in TAGGED_MODELS]


def tag_references() -> list[type[models.Model]]:
    return [apps.get_model(label) for label in TAG_REFERENCES]


def unique_partners(model: type[models.Model]) -> list[tuple[str, ...]]:
    """For each unconditional unique constraint that includes `tag`, the other fields in it:
    PersonTag's (person, tag) gives [("person",)]."""
    field_sets = [
        tuple(constraint.fields)
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint)
        and constraint.fields
        and constraint.condition is None
    ]
    field_sets += [tuple(fields) for fields in model._meta.unique_together]
    return [
        tuple(field for field in fields if field != "tag")
        for fields in field_sets
        if "tag" in fields and len(fields) > 1
    ]
