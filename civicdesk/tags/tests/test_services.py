from datetime import UTC, datetime

import pytest
from django.apps import apps

from civicdesk.audit.models import AuditEvent
from civicdesk.core.errors import NotAllowed
from civicdesk.tags.models import Tag, TagAction, TagAlias, TagChange
from civicdesk.tags.queries import resolve_tag, typeahead
from civicdesk.tags.registry import tagged_models, unique_partners
from civicdesk.tags.services import (
    AliasTaken,
    MergeRefused,
    TagCycle,
    TagDeprecated,
    TagHasChildren,
    TagInvalid,
    TagNameTaken,
    add_alias,
    create_tag,
    deprecate_tag,
    describe_tag,
    merge_tags,
    move_tag,
    refresh_usage_counts,
    remove_alias,
    rename_tag,
    restore_tag,
)

from .factories import make_person, note_position, tag_person, tags_of


def state(office) -> list:
    """Every row a vocabulary change could touch, to show that a refusal changed nothing."""
    person_tags = apps.get_model("constituents.PersonTag").objects.filter(office=office)
    positions = apps.get_model("constituents.Position").objects.filter(office=office)
    return [
        *Tag.objects.for_office(office).order_by("pk").values(),
        *TagAlias.objects.for_office(office).order_by("pk").values(),
        TagChange.objects.for_office(office).count(),
        AuditEvent.objects.filter(office=office).count(),
        *person_tags.order_by("pk").values("person", "tag"),
        *positions.order_by("pk").values("person", "tag"),
    ]


def history(tag: Tag) -> list[tuple[str, dict]]:
    return list(tag.changes.order_by("pk").values_list("action", "detail"))


# ---------------------------------------------------------------- creating


def test_create_tag_builds_the_path_and_records_the_change(ward1, adam, transportation):
    tag = create_tag(ward1, name="  Street   repair ", parent=transportation, by=adam)

    assert (tag.name, tag.path, tag.normalized, tag.slug) == (
        "Street repair",
        "Transportation › Street repair",
        "street repair",
        "street-repair",
    )
    assert history(tag) == [
        (TagAction.CREATED, {"name": "Street repair", "parent": "Transportation"})
    ]
    event = AuditEvent.objects.filter(office=ward1).order_by("-seq").first()
    assert (event.action, event.actor, event.object_id) == ("tag.created", adam, str(tag.pk))


def test_a_manager_may_create_tags(ward1, manny):
    assert create_tag(ward1, name="Parks", by=manny).path == "Parks"


@pytest.mark.parametrize("who", ["alice", "victor", "carol"])
def test_caseworkers_volunteers_and_other_offices_may_not_create_tags(
    request, ward1, transportation, who
):
    member = request.getfixturevalue(who)
    before = state(ward1)

    with pytest.raises(NotAllowed):
        create_tag(ward1, name="Parks", by=member)

    assert state(ward1) == before


@pytest.mark.parametrize("spelling", ["Street repair", "STREET-REPAIR", "street  repair!"])
def test_a_sibling_name_in_any_spelling_is_refused(
    ward1, adam, transportation, street_repair, spelling
):
    before = state(ward1)

    with pytest.raises(TagNameTaken) as refused:
        create_tag(ward1, name=spelling, parent=transportation, by=adam)

    assert refused.value.message == ("A tag “Street repair” already exists under Transportation.")
    assert state(ward1) == before


def test_the_same_name_under_another_parent_is_fine(ward1, adam, street_repair, housing):
    tag = create_tag(ward1, name="Street repair", parent=housing, by=adam)

    assert tag.path == "Housing › Street repair"


def test_a_name_that_is_an_alias_is_refused_naming_its_tag(ward1, adam, street_repair):
    before = state(ward1)

    with pytest.raises(TagNameTaken) as refused:
        create_tag(ward1, name="Potholes", by=adam)

    assert refused.value.message == (
        "“potholes” is already an alias of Transportation › Street repair."
    )
    assert state(ward1) == before


def test_a_name_taken_in_another_office_is_fine(ward1, ward2, adam, ward2_tag):
    assert create_tag(ward1, name="Zoning", by=adam).office == ward1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "A tag name needs at least one letter or digit."),
        ("!!!", "A tag name needs at least one letter or digit."),
        ("x" * 101, "A tag name has at most 100 characters."),
        ("Roads › Bridges", "A tag name cannot contain “›”."),
    ],
)
def test_names_without_letters_too_long_or_with_the_separator_are_refused(
    ward1, adam, name, message
):
    with pytest.raises(TagInvalid) as refused:
        create_tag(ward1, name=name, by=adam)

    assert refused.value.message == message
    assert not Tag.objects.for_office(ward1).exists()


def test_new_tags_cannot_go_under_a_deprecated_parent(ward1, adam, housing):
    deprecate_tag(housing, by=adam)
    before = state(ward1)

    with pytest.raises(TagDeprecated):
        create_tag(ward1, name="Rent", parent=housing, by=adam)

    assert state(ward1) == before


def test_a_deprecated_sibling_blocks_the_name_and_says_to_restore_it(ward1, adam, housing):
    deprecate_tag(housing, by=adam)

    with pytest.raises(TagNameTaken) as refused:
        create_tag(ward1, name="housing", by=adam)

    assert (
        refused.value.message
        == "A deprecated tag “Housing” exists at the top level; restore it instead."
    )


# ---------------------------------------------------------------- renaming, describing, moving


def test_renaming_updates_the_paths_below(ward1, adam, transportation, street_repair, parking):
    rename_tag(transportation, name="Transport", by=adam)

    paths = sorted(Tag.objects.for_office(ward1).values_list("path", flat=True))
    assert paths == ["Transport", "Transport › Parking", "Transport › Street repair"]
    assert history(transportation)[-1] == (
        TagAction.RENAMED,
        {"old": "Transportation", "new": "Transport", "old_name_kept_as_alias": False},
    )


def test_renaming_can_keep_the_old_name_as_an_alias(ward1, adam, street_repair):
    rename_tag(street_repair, name="Road maintenance", by=adam, keep_old_name_as_alias=True)

    assert resolve_tag(ward1, "street repair") == street_repair
    assert sorted(street_repair.aliases.values_list("alias", flat=True)) == [
        "Street repair",
        "potholes",
    ]


def test_renaming_a_tag_to_its_own_alias_drops_the_alias(ward1, adam, street_repair):
    rename_tag(street_repair, name="Potholes", by=adam)

    street_repair.refresh_from_db()
    assert street_repair.path == "Transportation › Potholes"
    assert not street_repair.aliases.exists()


def test_renaming_to_a_siblings_name_changes_nothing(ward1, adam, street_repair, parking):
    before = state(ward1)

    with pytest.raises(TagNameTaken):
        rename_tag(street_repair, name="parking", by=adam)

    assert state(ward1) == before


def test_only_admins_rename(ward1, manny, street_repair):
    before = state(ward1)

    with pytest.raises(NotAllowed):
        rename_tag(street_repair, name="Roads", by=manny)

    assert state(ward1) == before


def test_describing_records_old_and_new(adam, street_repair):
    describe_tag(street_repair, description="Potholes, cracks,  paving", by=adam)

    street_repair.refresh_from_db()
    assert street_repair.description == "Potholes, cracks, paving"
    assert history(street_repair)[-1] == (
        TagAction.DESCRIBED,
        {"old": "", "new": "Potholes, cracks, paving"},
    )


def test_moving_takes_the_subtree_along(ward1, adam, transportation, street_repair):
    infrastructure = create_tag(ward1, name="Infrastructure", by=adam)

    move_tag(transportation, parent=infrastructure, by=adam)

    street_repair.refresh_from_db()
    assert street_repair.path == "Infrastructure › Transportation › Street repair"
    assert history(transportation)[-1] == (
        TagAction.MOVED,
        {"old": "Transportation", "new": "Infrastructure › Transportation"},
    )


def test_moving_to_the_top_level(ward1, adam, street_repair):
    move_tag(street_repair, parent=None, by=adam)

    street_repair.refresh_from_db()
    assert (street_repair.parent, street_repair.path) == (None, "Street repair")


@pytest.mark.parametrize("target", ["transportation", "street_repair"])
def test_a_tag_cannot_move_under_itself_or_its_descendants(
    request, ward1, adam, transportation, street_repair, target
):
    before = state(ward1)

    with pytest.raises(TagCycle):
        move_tag(transportation, parent=request.getfixturevalue(target), by=adam)

    assert state(ward1) == before


def test_moving_next_to_a_tag_of_the_same_name_is_refused(ward1, adam, street_repair, housing):
    create_tag(ward1, name="Street repair", parent=housing, by=adam)
    before = state(ward1)

    with pytest.raises(TagNameTaken) as refused:
        move_tag(street_repair, parent=housing, by=adam)

    assert refused.value.message == "A tag “Street repair” already exists under Housing."
    assert state(ward1) == before


# ---------------------------------------------------------------- aliases


def test_aliases_are_stored_normalized(ward1, adam, street_repair):
    alias = add_alias(street_repair, alias="  Road   Répair! ", by=adam)

    assert (alias.alias, alias.normalized) == ("Road Répair!", "road repair")
    assert resolve_tag(ward1, "ROAD-REPAIR") == street_repair
    assert history(street_repair)[-1] == (TagAction.ALIAS_ADDED, {"alias": "Road Répair!"})


def test_an_alias_in_use_is_refused_naming_its_tag(ward1, adam, street_repair, parking):
    before = state(ward1)

    with pytest.raises(AliasTaken) as refused:
        add_alias(parking, alias="POTHOLES!", by=adam)

    assert refused.value.message == (
        "“potholes” is already an alias of Transportation › Street repair."
    )
    assert state(ward1) == before


def test_an_alias_equal_to_a_tag_name_is_refused(ward1, adam, street_repair, parking):
    before = state(ward1)

    with pytest.raises(AliasTaken) as refused:
        add_alias(street_repair, alias="parking", by=adam)

    assert refused.value.message == "“parking” is the name of the tag Transportation › Parking."
    assert state(ward1) == before


def test_removing_an_alias(ward1, adam, street_repair):
    remove_alias(street_repair.aliases.get(), by=adam)

    assert resolve_tag(ward1, "potholes") is None
    assert history(street_repair)[-1] == (TagAction.ALIAS_REMOVED, {"alias": "potholes"})


def test_managers_cannot_touch_aliases(ward1, manny, street_repair):
    before = state(ward1)

    with pytest.raises(NotAllowed):
        add_alias(street_repair, alias="roads", by=manny)
    with pytest.raises(NotAllowed):
        remove_alias(street_repair.aliases.get(), by=manny)

    assert state(ward1) == before


# ---------------------------------------------------------------- merging


def test_merge_moves_every_usage_and_drops_duplicates(ward1, adam, transportation, street_repair):
    roads = create_tag(ward1, name="Roads", by=adam)
    add_alias(roads, alias="asphalt", by=adam)
    both, only_roads, only_repair = (make_person(ward1, n) for n in ("A B", "C D", "E F"))
    for person, tag in [(both, roads), (both, street_repair), (only_roads, roads)]:
        tag_person(person, tag)
    tag_person(only_repair, street_repair)
    position = note_position(only_roads, tag=roads, stance="oppose")
    refresh_usage_counts(ward1)

    result = merge_tags(roads, street_repair, by=adam)

    roads.refresh_from_db()
    position.refresh_from_db()
    assert result == street_repair
    assert [tags_of(p) for p in (both, only_roads, only_repair)] == [["Street repair"]] * 3
    assert position.tag == street_repair
    assert (roads.is_deprecated, roads.merged_into, roads.usage_count) == (True, street_repair, 0)
    assert result.usage_count == 3
    assert sorted(street_repair.aliases.values_list("alias", flat=True)) == [
        "Roads",
        "asphalt",
        "potholes",
    ]
    assert resolve_tag(ward1, "roads") == street_repair
    assert history(roads)[-1] == (
        TagAction.MERGED,
        {"into": "Transportation › Street repair", "into_id": street_repair.pk},
    )
    action, detail = history(street_repair)[-1]
    assert action == TagAction.ABSORBED
    assert detail["records"] == {
        "constituents.PersonTag": {"moved": 1, "dropped": 1},
        "constituents.Position": {"moved": 1},
    }


def test_merge_moves_the_children_and_their_paths(ward1, adam, transportation, street_repair):
    mobility = create_tag(ward1, name="Mobility", by=adam)
    bikes = create_tag(ward1, name="Bike lanes", parent=mobility, by=adam)
    racks = create_tag(ward1, name="Racks", parent=bikes, by=adam)

    merge_tags(mobility, transportation, by=adam)

    bikes.refresh_from_db()
    racks.refresh_from_db()
    assert (bikes.parent, bikes.path) == (transportation, "Transportation › Bike lanes")
    assert racks.path == "Transportation › Bike lanes › Racks"


def test_merge_marks_the_target_as_updated(ward1, adam, transportation, parking, housing):
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    Tag.objects.filter(pk=housing.pk).update(updated_at=long_ago)

    into = merge_tags(parking, housing, by=adam)

    assert into.updated_at > long_ago
    assert Tag.objects.get(pk=housing.pk).updated_at == into.updated_at


def test_merging_into_a_tag_that_was_merged_into_keeps_chains_short(ward1, adam, housing):
    a = create_tag(ward1, name="Rentals", by=adam)
    b = create_tag(ward1, name="Renting", by=adam)
    merge_tags(a, b, by=adam)

    merge_tags(b, housing, by=adam)

    a.refresh_from_db()
    assert a.merged_into == housing
    assert resolve_tag(ward1, "rentals") == housing


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("itself", "A tag cannot be merged into itself."),
        ("deprecated", "Housing is deprecated; merge into a tag in use."),
        (
            "descendant",
            "Transportation › Street repair is inside Transportation; move it out first.",
        ),
        (
            "child clash",
            "Both tags have a sub-tag “Street Repair”: merge those two first, then these.",
        ),
    ],
)
def test_refused_merges_change_nothing(
    ward1, adam, transportation, street_repair, housing, case, message
):
    person = make_person(ward1)
    tag_person(person, transportation)
    source, into = {
        "itself": (transportation, transportation),
        "deprecated": (transportation, housing),
        "descendant": (transportation, street_repair),
        "child clash": (transportation, housing),
    }[case]
    if case == "deprecated":
        deprecate_tag(housing, by=adam)
    if case == "child clash":
        create_tag(ward1, name="Street Repair", parent=housing, by=adam)
    before = state(ward1)

    with pytest.raises(MergeRefused) as refused:
        merge_tags(source, into, by=adam)

    assert refused.value.message == message
    assert state(ward1) == before


def test_a_merged_tag_cannot_be_merged_again(ward1, adam, parking, housing):
    merge_tags(parking, housing, by=adam)

    with pytest.raises(MergeRefused):
        merge_tags(parking, housing, by=adam)


def test_managers_cannot_merge(ward1, manny, parking, housing):
    before = state(ward1)

    with pytest.raises(NotAllowed):
        merge_tags(parking, housing, by=manny)

    assert state(ward1) == before


def test_the_registry_finds_the_unique_partner_of_tag():
    partners = {model._meta.label: unique_partners(model) for model in tagged_models()}

    assert partners == {"constituents.PersonTag": [("person",)], "casework.CaseTag": [("case",)]}


# ---------------------------------------------------------------- deprecating and restoring


def test_a_deprecated_tag_stays_on_records_and_leaves_the_pickers(ward1, adam, parking):
    person = make_person(ward1)
    tag_person(person, parking)

    deprecate_tag(parking, by=adam)

    assert tags_of(person) == ["Parking"]
    assert typeahead(ward1, "park") == []
    assert history(parking)[-1] == (TagAction.DEPRECATED, {})


def test_deprecating_twice_records_once(ward1, adam, parking):
    deprecate_tag(parking, by=adam)
    deprecate_tag(parking, by=adam)

    assert [action for action, _ in history(parking)] == [TagAction.CREATED, TagAction.DEPRECATED]


def test_a_tag_with_sub_tags_in_use_cannot_be_deprecated(
    ward1, adam, transportation, street_repair, parking
):
    before = state(ward1)

    with pytest.raises(TagHasChildren) as refused:
        deprecate_tag(transportation, by=adam)

    assert refused.value.message == (
        "Transportation still has sub-tags in use (Parking, Street repair); "
        "deprecate or move them first."
    )
    assert state(ward1) == before


def test_restoring_offers_the_tag_again(ward1, adam, parking):
    deprecate_tag(parking, by=adam)

    restore_tag(parking, by=adam)

    assert [s.tag for s in typeahead(ward1, "park")] == [parking]
    assert history(parking)[-1] == (TagAction.RESTORED, {})


def test_a_merged_tag_cannot_be_restored(ward1, adam, parking, housing):
    merge_tags(parking, housing, by=adam)
    before = state(ward1)

    with pytest.raises(TagDeprecated):
        restore_tag(parking, by=adam)

    assert state(ward1) == before


def test_a_tag_under_a_deprecated_parent_cannot_be_restored(ward1, adam, transportation, parking):
    deprecate_tag(parking, by=adam)
    deprecate_tag(transportation, by=adam)
    before = state(ward1)

    with pytest.raises(TagDeprecated) as refused:
        restore_tag(parking, by=adam)

    assert refused.value.message == "Transportation is deprecated; restore it first."
    assert state(ward1) == before


# ---------------------------------------------------------------- usage counts


def test_usage_counts_count_tagged_records_of_the_office(
    ward1, ward2, street_repair, parking, ward2_tag
):
    people = [make_person(ward1, f"P {n}") for n in range(3)]
    for person in people:
        tag_person(person, street_repair)
    tag_person(people[0], parking)
    tag_person(make_person(ward2), ward2_tag)

    assert refresh_usage_counts(ward1) == 2

    counts = dict(Tag.objects.for_office(ward1).values_list("name", "usage_count"))
    assert counts == {"Transportation": 0, "Street repair": 3, "Parking": 1}
    assert Tag.objects.get(pk=ward2_tag.pk).usage_count == 0
    assert refresh_usage_counts(ward1) == 0


def test_usage_counts_for_some_tags_only(ward1, street_repair, parking):
    person = make_person(ward1)
    tag_person(person, street_repair)
    tag_person(person, parking)

    refresh_usage_counts(ward1, tags=[parking])

    counts = dict(Tag.objects.for_office(ward1).values_list("name", "usage_count"))
    assert (counts["Parking"], counts["Street repair"]) == (1, 0)


def test_a_merged_name_that_another_tag_has_does_not_become_an_alias(
    ward1, adam, transportation, housing
):
    other_here = create_tag(ward1, name="Other", parent=transportation, by=adam)
    other_there = create_tag(ward1, name="Other", parent=housing, by=adam)

    merge_tags(other_here, housing, by=adam)

    assert not housing.aliases.exists()
    assert resolve_tag(ward1, "other") == other_there
