import pytest

from civicdesk.tags.models import Tag
from civicdesk.tags.queries import resolve_tag, tag_tree, typeahead
from civicdesk.tags.services import (
    add_alias,
    create_tag,
    deprecate_tag,
    merge_tags,
    refresh_usage_counts,
)

from .factories import make_person, tag_person


def lines(suggestions) -> list[str]:
    """How a picker shows them: "alias → path (match)"."""
    return [f"{s.alias + ' → ' if s.alias else ''}{s.tag.path} ({s.match})" for s in suggestions]


@pytest.fixture
def park_words(ward1, transportation, parking):
    """Tags and aliases around "park", with usages to order equal matches by."""
    parks = create_tag(ward1, name="Parks", by=None)
    add_alias(parks, alias="park", by=None)
    skate = create_tag(ward1, name="Skatepark", parent=parks, by=None)
    ballpark = create_tag(ward1, name="Ballpark noise", by=None)
    add_alias(ballpark, alias="stadium parking", by=None)
    national = create_tag(ward1, name="National Park Service", by=None)
    person = make_person(ward1)
    for tag in (parking, national):
        tag_person(person, tag)
    refresh_usage_counts(ward1)
    return {"parks": parks, "skate": skate, "ballpark": ballpark, "national": national}


def test_exact_then_prefix_then_substring(ward1, park_words, django_assert_num_queries):
    with django_assert_num_queries(2):
        found = typeahead(ward1, "Park")

    assert lines(found) == [
        "park → Parks (exact)",
        "Transportation › Parking (prefix)",
        "National Park Service (prefix)",
        "stadium parking → Ballpark noise (prefix)",
        "Parks › Skatepark (substring)",
    ]


def test_an_alias_resolves_to_its_tag(ward1, street_repair):
    assert lines(typeahead(ward1, "pothole")) == [
        "potholes → Transportation › Street repair (prefix)"
    ]
    assert lines(typeahead(ward1, "POTHOLES")) == [
        "potholes → Transportation › Street repair (exact)"
    ]


def test_a_tag_found_by_name_and_alias_shows_once_by_its_name(ward1, adam, street_repair):
    add_alias(street_repair, alias="street repairs", by=adam)

    assert lines(typeahead(ward1, "street rep")) == ["Transportation › Street repair (prefix)"]


def test_accents_case_and_punctuation_are_ignored(ward1, adam):
    create_tag(ward1, name="Café permits", by=adam)

    assert lines(typeahead(ward1, "CAFE-PER")) == ["Café permits (prefix)"]


def test_deprecated_and_merged_tags_are_never_offered(ward1, adam, street_repair, parking, housing):
    deprecate_tag(parking, by=adam)
    merge_tags(street_repair, housing, by=adam)

    assert lines(typeahead(ward1, "park")) == []
    assert lines(typeahead(ward1, "street")) == ["Street repair → Housing (prefix)"]
    assert lines(typeahead(ward1, "potholes")) == ["potholes → Housing (exact)"]


def test_chosen_tags_are_left_out(ward1, street_repair, parking):
    assert lines(typeahead(ward1, "pa", exclude=[street_repair.pk])) == [
        "Transportation › Parking (prefix)"
    ]


def test_no_text_offers_the_most_used_tags(ward1, street_repair, parking, housing):
    tag_person(make_person(ward1), housing)
    refresh_usage_counts(ward1)

    assert lines(typeahead(ward1, "", limit=2)) == [
        "Housing (popular)",
        "Transportation (popular)",
    ]


def test_another_offices_tags_are_never_offered(ward1, ward2_tag):
    assert typeahead(ward1, "zoning") == []
    assert resolve_tag(ward1, "zoning") is None


def test_the_limit_holds(ward1, adam):
    for n in range(15):
        create_tag(ward1, name=f"Topic {n:02}", by=adam)

    assert len(typeahead(ward1, "topic", limit=10)) == 10


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Street repair", "street_repair"),
        ("  STREET-REPAIR ", "street_repair"),
        ("Potholes", "street_repair"),
        ("Transportation › Street repair", "street_repair"),
        ("transportation > parking", "parking"),
        ("Transportation", "transportation"),
        ("Housing › Street repair", None),
        ("Bridges", None),
        ("", None),
    ],
)
def test_resolve_tag(request, ward1, transportation, street_repair, parking, text, expected):
    tag = request.getfixturevalue(expected) if expected else None

    assert resolve_tag(ward1, text) == tag


def test_a_merged_tag_resolves_to_its_target(ward1, adam, parking, housing):
    merge_tags(parking, housing, by=adam)

    assert resolve_tag(ward1, "Parking") == housing
    assert resolve_tag(ward1, "Transportation › Parking") == housing


def test_a_deprecated_tag_still_resolves_for_old_records(ward1, adam, parking):
    deprecate_tag(parking, by=adam)

    assert resolve_tag(ward1, "parking") == parking


def test_among_tags_of_one_name_the_one_in_use_wins(ward1, adam, housing, transportation):
    old = create_tag(ward1, name="Other", parent=housing, by=adam)
    deprecate_tag(old, by=adam)
    current = create_tag(ward1, name="Other", parent=transportation, by=adam)

    assert resolve_tag(ward1, "other") == current


def test_the_tree_lists_children_after_their_parent(
    ward1, adam, transportation, street_repair, parking, housing, django_assert_num_queries
):
    deprecate_tag(parking, by=adam)

    with django_assert_num_queries(2):
        rows = tag_tree(ward1)

    assert [(r.tag.name, r.depth, r.aliases) for r in rows] == [
        ("Housing", 0, []),
        ("Transportation", 0, []),
        ("Parking", 1, []),
        ("Street repair", 1, ["potholes"]),
    ]


def test_the_tree_filters_keep_ancestors_as_context(
    ward1, adam, transportation, street_repair, parking, housing
):
    deprecate_tag(parking, by=adam)

    deprecated = tag_tree(ward1, show="deprecated")
    active = tag_tree(ward1, show="active")
    searched = tag_tree(ward1, text="pothole")

    assert [(r.tag.name, r.is_match) for r in deprecated] == [
        ("Transportation", False),
        ("Parking", True),
    ]
    assert [r.tag.name for r in active] == ["Housing", "Transportation", "Street repair"]
    assert [(r.tag.name, r.is_match) for r in searched] == [
        ("Transportation", False),
        ("Street repair", True),
    ]


def test_the_tree_is_the_offices_own(ward1, ward2, transportation, ward2_tag):
    assert [r.tag for r in tag_tree(ward2)] == [Tag.objects.get(pk=ward2_tag.pk)]
