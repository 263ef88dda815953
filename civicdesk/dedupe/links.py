"""The links to people: every foreign key to constituents.Person of every installed model, found
at run time so that no app is imported here and a module added later is found too."""

from django.apps import apps
from django.db import models

from civicdesk.constituents.models import Person


def person_links() -> list[models.ForeignKey]:
    """Every foreign key to Person, hidden ones (related_name="+") and those of auto-created
    many-to-many tables included — which `Person._meta.related_objects` leaves out — except the
    duplicate pairs', which a merge settles itself."""
    pairs = apps.get_model("dedupe", "DuplicatePair")
    links = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or model is pairs:
            continue
        links += [
            field
            for field in model._meta.local_fields
            if field.is_relation
            and (field.many_to_one or field.one_to_one)
            and field.related_model is Person
        ]
    return links
