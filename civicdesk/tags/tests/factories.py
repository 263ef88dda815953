"""People, their tags and positions, for the tests of merges and counts. The tags app never
imports constituents; its tests reach those models by label, as the registry does."""

from datetime import date

from django.apps import apps

from civicdesk.tags.models import Tag


def make_person(office, name: str = "Pat Doe"):
    first, _, last = name.partition(" ")
    return apps.get_model("constituents.Person").objects.create(
        office=office, first_name=first, last_name=last
    )


def tag_person(person, tag: Tag):
    return apps.get_model("constituents.PersonTag").objects.create(
        office=person.office, person=person, tag=tag
    )


def note_position(person, *, tag: Tag | None = None, bill_number: str = "", stance="support"):
    return apps.get_model("constituents.Position").objects.create(
        office=person.office,
        person=person,
        tag=tag,
        bill_number=bill_number,
        stance=stance,
        noted_on=date(2026, 3, 1),
    )


def tags_of(person) -> list[str]:
    links = apps.get_model("constituents.PersonTag").objects.filter(person=person)
    return sorted(links.values_list("tag__name", flat=True))
