"""Merging two people moves everything of the removed one to the survivor, settles what may exist
once, and undoing gives back exactly what was there."""

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services as casework
from civicdesk.casework.models import CaseAction, CaseParty, CaseStatusLink, PrivacyRelease
from civicdesk.constituents import queries as constituent_queries
from civicdesk.constituents import services as constituent_services
from civicdesk.constituents.models import (
    AddressDistrict,
    Consent,
    EmailAddress,
    Interaction,
    Person,
    PersonTag,
    Phone,
    Position,
    Relationship,
)
from civicdesk.constituents.tests.conftest import make_tag, square_layer
from civicdesk.core.errors import NotAllowed
from civicdesk.dedupe import services
from civicdesk.dedupe.errors import MergeRefused, UndoRefused
from civicdesk.dedupe.models import DuplicatePair, Merge, PairStatus
from civicdesk.tags.models import Tag

from .conftest import make_pair, make_person

DUMPED_APPS = ("constituents", "casework", "tags", "geo")
DERIVED = {"updated_at", "version"}  # bumped by a merge and by its undo: editors see the change


def dump() -> dict[str, list[dict]]:
    """Every row of the apps a merge touches (derived columns left out)."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if (
            model._meta.app_label not in DUMPED_APPS
            or model._meta.label == "constituents.SearchKey"
        ):
            continue
        values = model._base_manager.order_by("pk").values()
        rows[model._meta.label] = [
            {k: v for k, v in row.items() if k not in DERIVED} for row in values
        ]
    return rows


@pytest.fixture
def world(ward1, manny):
    """Two records of one man, each with something of everything, plus a third person."""
    layer, south, _north = square_layer(ward1)
    casework.seed_case_types(ward1, by=None)
    case_type = apps.get_model("casework", "CaseType").objects.filter(office=ward1).first()
    constituent_services.define_custom_field(
        ward1, by=None, key="captain", label="Block captain", field_type="text"
    )
    potholes, parks, bikes = (make_tag(ward1, name) for name in ("Potholes", "Parks", "Bikes"))
    keep = make_person(
        ward1, "Robert", "Okafor", emails=["rob@example.org"], phones=["+12025550101"],
        addresses=[{"line1": "12 Elm Street", "city": "Washington", "postcode": "20009",
                    "latitude": 38.905, "longitude": -77.025}],
        birth_year=1961,
    )  # fmt: skip
    gone = make_person(
        ward1, "Bob", "Okafor", emails=["bob.okafor@work.example", "rob@example.org"],
        phones=["+12025550177"],
        addresses=[{"line1": "12 Elm St", "city": "Washington", "postcode": "20009",
                    "latitude": 38.905, "longitude": -77.025}],
        birth_date=dt.date(1961, 4, 2), gender="male", do_not_call=True,
        custom={"captain": "yes"},
    )  # fmt: skip
    friend = make_person(ward1, "Ada", "Lovelace")
    household = constituent_services.create_household(
        ward1, by=None, name="Okafor household", member_ids=[gone.pk]
    )
    constituent_services.tag_people(ward1, person_ids=[keep.pk], tag_ids=[potholes.pk], by=None)
    constituent_services.tag_people(
        ward1, person_ids=[gone.pk], tag_ids=[potholes.pk, parks.pk], by=None
    )
    on = dt.date(2026, 1, 5)
    constituent_services.set_consent(keep, by=None, channel="email", is_granted=True,
                                     source="web form", given_on=dt.date(2025, 1, 1))  # fmt: skip
    constituent_services.set_consent(gone, by=None, channel="email", is_granted=False,
                                     source="phone call", given_on=on)  # fmt: skip
    constituent_services.set_consent(gone, by=None, channel="mail", is_granted=True,
                                     source="town hall card", given_on=on)  # fmt: skip
    constituent_services.add_external_id(gone, by=None, system="voter", value="DC0001")
    constituent_services.add_position(gone, by=None, stance="support", tag_id=bikes.pk, noted_on=on)
    constituent_services.log_interaction(
        gone, by=None, kind="call", occurred_at=timezone.now(), subject="Asked about the bus"
    )
    constituent_services.add_relationship(gone, by=None, kind="neighbor", other_person=friend)
    constituent_services.add_relationship(friend, by=None, kind="brother", other_person=gone)
    constituent_services.add_relationship(keep, by=None, kind="same man", other_person=gone)
    own_case = casework.open_case(ward1, by=None, person=gone, case_type=case_type, subject="Heat")
    casework.log_action(own_case, by=None, kind="note", subject="Called the landlord")
    shared_case = casework.open_case(
        ward1, by=None, person=keep, case_type=case_type, subject="Benefits", family=[gone]
    )
    return {"keep": keep, "gone": gone, "friend": friend, "household": household,
            "tags": (potholes, parks, bikes), "cases": (own_case, shared_case),
            "layer": layer, "south": south}  # fmt: skip


def test_merge_moves_every_kind_of_row_to_the_survivor(world, manny):
    keep, gone = world["keep"], world["gone"]
    potholes, parks, bikes = world["tags"]
    own_case, shared_case = world["cases"]

    merge = services.merge(keep, gone, by=manny)

    assert not Person.objects.filter(pk=gone.pk).exists()
    assert sorted(EmailAddress.objects.filter(person=keep).values_list("email", "is_primary")) == [
        ("bob.okafor@work.example", False),
        ("rob@example.org", True),
    ]
    assert sorted(Phone.objects.filter(person=keep).values_list("number", "is_primary")) == [
        ("+12025550101", True),
        ("+12025550177", False),
    ]
    addresses = keep.addresses.order_by("pk")
    assert [(a.line1, a.is_primary) for a in addresses] == [
        ("12 Elm Street", True),
        ("12 Elm St", False),
    ]
    assert AddressDistrict.objects.filter(address__person=keep).count() == 2
    assert set(PersonTag.objects.filter(person=keep).values_list("tag_id", flat=True)) == {
        potholes.pk,
        parks.pk,
    }
    assert Tag.objects.get(pk=potholes.pk).usage_count == 1
    # The latest answer on a channel stands: Bob's "no" of 2026 over Robert's "yes" of 2025.
    assert sorted(Consent.objects.filter(person=keep).values_list("channel", "is_granted")) == [
        ("email", False),
        ("mail", True),
    ]
    assert list(keep.external_ids.values_list("system", "value")) == [("voter", "DC0001")]
    assert list(Position.objects.filter(person=keep).values_list("tag_id", flat=True)) == [bikes.pk]
    assert Interaction.objects.filter(person=keep, subject="Asked about the bus").count() == 1
    assert set(Relationship.objects.filter(person=keep).values_list("kind", flat=True)) == {
        "neighbor"
    }
    assert Relationship.objects.filter(other_person=keep).get().kind == "brother"
    own_case.refresh_from_db()
    assert own_case.primary_person_id == keep.pk
    assert list(CaseParty.objects.filter(case=shared_case).values_list("person_id", "role")) == [
        (keep.pk, "primary")
    ]
    assert CaseAction.objects.filter(case=own_case, subject="Called the landlord").exists()
    keep.refresh_from_db()
    assert (keep.household_id, keep.birth_date, keep.gender, keep.do_not_call) == (
        world["household"].pk, dt.date(1961, 4, 2), "male", True,
    )  # fmt: skip
    assert keep.first_name == "Robert"  # the survivor's own values stay unless chosen
    assert keep.custom == {"captain": "yes"}
    hits = constituent_queries.search_people(keep.office, "bob.okafor@work.example")
    assert [hit.person.pk for hit in hits] == [keep.pk]
    assert merge.merged_id == gone.pk
    assert merge.survivor_id == keep.pk
    assert not merge.is_automatic


def test_choices_take_values_from_the_other_record(world, manny):
    keep, gone = world["keep"], world["gone"]

    services.merge(keep, gone, by=manny, choices={"first_name": "other", "gender": "survivor"})

    keep.refresh_from_db()
    assert (keep.first_name, keep.gender) == ("Bob", "")


def test_undo_restores_exactly_what_was_there(world, manny):
    keep, gone = world["keep"], world["gone"]
    before = dump()

    merge = services.merge(keep, gone, by=manny, choices={"first_name": "other"})
    assert dump() != before
    restored = services.undo_merge(merge, by=manny)

    assert restored.pk == gone.pk
    assert dump() == before
    merge.refresh_from_db()
    assert merge.undone_by == manny
    assert merge.undone_at is not None
    with pytest.raises(UndoRefused):
        services.undo_merge(merge, by=manny)


def test_undo_keeps_changes_made_since_the_merge(world, manny):
    keep, gone = world["keep"], world["gone"]
    merge = services.merge(keep, gone, by=manny)
    Person.objects.filter(pk=keep.pk).update(gender="female")
    constituent_services.log_interaction(
        keep, by=None, kind="note", occurred_at=timezone.now(), subject="After the merge"
    )

    services.undo_merge(merge, by=manny)

    keep.refresh_from_db()
    assert keep.gender == "female"
    assert Interaction.objects.get(subject="After the merge").person_id == keep.pk
    assert Interaction.objects.get(subject="Asked about the bus").person_id == gone.pk


def test_merge_and_undo_are_audited_on_both_people(world, manny):
    keep, gone = world["keep"], world["gone"]

    merge = services.merge(keep, gone, by=manny)
    services.undo_merge(merge, by=manny)

    events = AuditEvent.objects.filter(action__in=["person.merged", "person.merge_undone"])
    assert sorted(events.values_list("action", "object_id", "actor_id")) == sorted([
        ("person.merged", str(keep.pk), manny.pk), ("person.merged", str(gone.pk), manny.pk),
        ("person.merge_undone", str(keep.pk), manny.pk),
        ("person.merge_undone", str(gone.pk), manny.pk),
    ])  # fmt: skip
    merged = events.filter(action="person.merged").first()
    assert merged.changes["merged_id"] == gone.pk
    assert merged.changes["automatic"] is False


def test_case_links_that_point_at_a_person_from_anywhere_move(ward1, manny):
    """Rows of modules dedupe knows nothing of (hidden relations, PROTECT ones) move too."""
    casework.seed_case_types(ward1, by=None)
    case_type = apps.get_model("casework", "CaseType").objects.filter(office=ward1).first()
    keep, gone = make_person(ward1, "Ann", "Lee"), make_person(ward1, "Anne", "Lee")
    case = casework.open_case(ward1, by=None, person=keep, case_type=case_type, subject="Fence",
                              agency_contact=gone)  # fmt: skip
    release = PrivacyRelease.objects.create(
        office=ward1, case=case, person=gone, method="e_signature", signed_name="Anne Lee",
        signed_on=dt.date(2026, 1, 1),
    )  # fmt: skip
    link = CaseStatusLink.objects.create(
        office=ward1, case=case, person=gone, token_hash="x" * 64,
        expires_at=timezone.now() + dt.timedelta(days=3),
    )  # fmt: skip

    services.merge(keep, gone, by=manny)

    case.refresh_from_db()
    release.refresh_from_db()
    link.refresh_from_db()
    assert (case.agency_contact_id, release.person_id, link.person_id) == (keep.pk,) * 3


def test_the_pair_of_the_two_is_marked_merged_and_others_settled(ward1, manny):
    keep, gone, third, fourth = (make_person(ward1, "Kim", f"Park{n}") for n in range(4))
    merged = make_pair(keep, gone)
    stale = make_pair(gone, third, 0.8)
    refused = make_pair(gone, fourth, 0.7, status=PairStatus.NOT_DUPLICATE)

    merge = services.merge(keep, gone, by=manny)

    merged.refresh_from_db()
    assert (merged.status, merged.decided_by, merge.pair_id) == (
        PairStatus.MERGED,
        manny,
        merged.pk,
    )
    assert {merged.person_a_id, merged.person_b_id} == {keep.pk, None}
    assert not DuplicatePair.objects.filter(pk__in=[stale.pk, refused.pk]).exists()
    carried = DuplicatePair.objects.get(person_a=keep, person_b=fourth)
    assert carried.status == PairStatus.NOT_DUPLICATE

    services.undo_merge(merge, by=manny)

    assert sorted(DuplicatePair.objects.values_list("pk", "status")) == sorted([
        (merged.pk, PairStatus.PENDING), (stale.pk, PairStatus.PENDING),
        (refused.pk, PairStatus.NOT_DUPLICATE),
    ])  # fmt: skip


def test_undo_is_refused_once_the_survivor_is_deleted(ward1, manny):
    keep, gone = (make_person(ward1, "Lee", f"Chan{n}") for n in range(2))
    merge = services.merge(keep, gone, by=manny)
    constituent_services.delete_person(keep, by=None)

    with pytest.raises(UndoRefused, match="no longer exists"):
        services.undo_merge(merge, by=manny)
    assert not Person.objects.filter(pk=gone.pk).exists()


def test_a_later_merge_carries_the_earlier_one_along(ward1, manny):
    """Merging the survivor on into a third person: the first merge now names the third as
    its survivor, and undoing it takes the first person's rows back from there."""
    keep, gone, third = (make_person(ward1, "Lee", f"Chan{n}", emails=[f"l{n}@x.example"])
                         for n in range(3))  # fmt: skip
    first = services.merge(keep, gone, by=manny)
    services.merge(third, keep, by=manny)

    first.refresh_from_db()
    assert first.survivor_id == third.pk
    services.undo_merge(first, by=manny)

    assert list(EmailAddress.objects.filter(person=gone).values_list("email", "is_primary")) == [
        ("l1@x.example", True)
    ]


def test_chained_merges_undo_in_reverse_order(ward1, manny):
    keep, gone, third = (make_person(ward1, "Lee", f"Chan{n}", emails=[f"l{n}@x.example"])
                         for n in range(3))  # fmt: skip
    before = dump()
    first = services.merge(keep, gone, by=manny)
    second = services.merge(third, keep, by=manny)

    services.undo_merge(second, by=manny)
    services.undo_merge(first, by=manny)

    assert dump() == before


def test_a_person_cannot_be_merged_with_themselves_or_across_offices(ward1, ward2, manny):
    alone = make_person(ward1, "Solo", "One")
    elsewhere = make_person(ward2, "Solo", "One")

    with pytest.raises(MergeRefused):
        services.merge(alone, alone, by=manny)
    with pytest.raises(MergeRefused):
        services.merge(alone, elsewhere, by=None)
    assert Person.objects.count() == 2
    assert Merge.objects.count() == 0


def test_unknown_fields_and_sides_are_refused(ward1, manny):
    keep, gone = make_person(ward1, "A", "B"), make_person(ward1, "A", "C")

    with pytest.raises(MergeRefused, match="cannot be chosen"):
        services.merge(keep, gone, by=manny, choices={"version": "other"})
    with pytest.raises(MergeRefused, match="survivor"):
        services.merge(keep, gone, by=manny, choices={"first_name": "both"})
    assert Person.objects.count() == 2


def test_a_caseworker_may_not_merge(ward1, alice):
    keep, gone = make_person(ward1, "A", "B"), make_person(ward1, "A", "C")

    with pytest.raises(NotAllowed):
        services.merge(keep, gone, by=alice)
    assert Person.objects.count() == 2
