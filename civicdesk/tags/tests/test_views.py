import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicdesk.tags.models import Tag, TagAction
from civicdesk.tags.services import add_alias, create_tag, deprecate_tag, merge_tags

from .factories import make_person, tag_person, tags_of


def detail_url(tag: Tag) -> str:
    return reverse("tags:tag-detail", kwargs={"tag_id": tag.pk})


# ---------------------------------------------------------------- the vocabulary page


def test_the_vocabulary_page_shows_the_tree_with_counts(web, alice, adam, street_repair, parking):
    deprecate_tag(parking, by=adam)
    client = web(alice)

    response = client.get(reverse("tags:tag-list"))

    assert response.status_code == 200
    rows = [r.tag.path for r in response.context["rows"]]
    assert rows == ["Transportation", "Transportation › Parking", "Transportation › Street repair"]
    assert 'class="tag-deprecated"' in response.text
    assert "potholes" in response.text
    assert "New tag" not in response.text  # a caseworker may not create tags


def page_queries(client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_the_pages_queries_do_not_grow_with_the_vocabulary(
    web, manny, adam, ward1, street_repair, parking, housing
):
    client = web(manny)
    client.get(reverse("tags:tag-list"))  # the session's first use writes
    small = [
        page_queries(client, reverse("tags:tag-list")),
        page_queries(client, reverse("tags:typeahead"), q="a"),
    ]
    for n in range(6):
        tag = create_tag(ward1, name=f"Topic {n}", parent=housing, by=adam)
        add_alias(tag, alias=f"subject {n}", by=adam)
    merge_tags(parking, housing, by=adam)

    large = [
        page_queries(client, reverse("tags:tag-list")),
        page_queries(client, reverse("tags:typeahead"), q="a"),
    ]

    assert large == small


def test_the_office_menu_links_to_the_vocabulary(web, alice):
    response = web(alice).get(reverse("tags:tag-list"))

    assert f'href="{reverse("tags:tag-list")}"' in response.text


def test_the_search_box_swaps_only_the_tree(web, alice, street_repair, parking):
    response = web(alice).get(
        reverse("tags:tag-list"), {"q": "pothole", "show": "all"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'class="table table-hover tag-tree"' in response.text
    assert ">Street repair</a>" in response.text
    assert ">Parking</a>" not in response.text


def test_the_filter_hides_deprecated_tags(web, alice, adam, street_repair, parking):
    deprecate_tag(parking, by=adam)

    response = web(alice).get(reverse("tags:tag-list"), {"show": "active"})

    assert [r.tag.name for r in response.context["rows"]] == ["Transportation", "Street repair"]


def test_a_manager_creates_a_tag_from_the_vocabulary_page(web, manny, ward1, transportation):
    response = web(manny).post(
        reverse("tags:tag-list"), {"name": "Bike lanes", "parent": transportation.pk}
    )

    tag = Tag.objects.for_office(ward1).get(name="Bike lanes")
    assert response.status_code == 302
    assert response.url == detail_url(tag)
    assert tag.path == "Transportation › Bike lanes"


def test_a_refused_create_shows_why(web, manny, ward1, street_repair):
    response = web(manny).post(reverse("tags:tag-list"), {"name": "Potholes"})

    assert response.status_code == 400
    assert "already an alias of Transportation › Street repair" in response.text
    assert Tag.objects.for_office(ward1).count() == 2


def test_a_caseworker_cannot_create_from_the_page(web, alice, ward1):
    response = web(alice).post(reverse("tags:tag-list"), {"name": "Bike lanes"})

    assert response.status_code == 403
    assert not Tag.objects.for_office(ward1).exists()


# ---------------------------------------------------------------- a tag's page


def test_a_tags_page_shows_aliases_children_and_history(web, alice, transportation, street_repair):
    response = web(alice).get(detail_url(transportation))

    assert response.status_code == 200
    assert "Street repair" in response.text
    assert [c.action for c in response.context["history"]] == [TagAction.CREATED]
    assert 'name="action"' not in response.text  # no admin forms for a caseworker


def test_admins_see_the_admin_forms(web, adam, street_repair):
    response = web(adam).get(detail_url(street_repair))

    for action in ("edit", "alias_add", "alias_remove", "move", "merge", "deprecate"):
        assert f'name="action" value="{action}"' in response.text


@pytest.mark.parametrize(
    ("data", "check"),
    [
        (
            {
                "action": "edit",
                "name": "Road repair",
                "description": "Holes",
                "keep_old_name_as_alias": "on",
            },
            "renamed",
        ),
        ({"action": "alias_add", "alias": "paving"}, "aliased"),
        ({"action": "move", "parent": ""}, "moved"),
        ({"action": "deprecate"}, "deprecated"),
    ],
)
def test_admin_actions_on_a_tags_page(web, adam, street_repair, data, check):
    response = web(adam).post(detail_url(street_repair), data)

    street_repair.refresh_from_db()
    assert response.status_code == 302
    assert {
        "renamed": lambda t: (
            t.path,
            t.description,
            t.aliases.filter(alias="Street repair").exists(),
        ),
        "aliased": lambda t: sorted(t.aliases.values_list("alias", flat=True)),
        "moved": lambda t: t.path,
        "deprecated": lambda t: t.is_deprecated,
    }[check](street_repair) == {
        "renamed": ("Transportation › Road repair", "Holes", True),
        "aliased": ["paving", "potholes"],
        "moved": "Street repair",
        "deprecated": True,
    }[check]


def test_removing_an_alias_on_the_page(web, adam, street_repair):
    alias = street_repair.aliases.get()

    response = web(adam).post(
        detail_url(street_repair), {"action": "alias_remove", "alias_id": alias.pk}
    )

    assert response.status_code == 302
    assert not street_repair.aliases.exists()


def test_merging_on_the_page_moves_the_records(web, adam, ward1, street_repair, parking):
    person = make_person(ward1)
    tag_person(person, parking)

    response = web(adam).post(detail_url(parking), {"action": "merge", "into": street_repair.pk})

    assert response.status_code == 302
    assert tags_of(person) == ["Street repair"]
    page = web(adam).get(detail_url(parking))
    assert "Merged into" in page.text
    assert 'name="action"' not in page.text


def test_a_refused_action_says_why_and_changes_nothing(web, adam, transportation, street_repair):
    client = web(adam)

    response = client.post(detail_url(transportation), {"action": "deprecate"}, follow=True)

    transportation.refresh_from_db()
    assert not transportation.is_deprecated
    assert "still has sub-tags in use (Street repair)" in response.text


def test_an_unknown_action_is_a_bad_request(web, adam, street_repair):
    assert web(adam).post(detail_url(street_repair), {"action": "explode"}).status_code == 400


def test_merging_into_another_offices_tag_is_not_a_choice(web, adam, ward2_tag, street_repair):
    response = web(adam).post(detail_url(street_repair), {"action": "merge", "into": ward2_tag.pk})

    street_repair.refresh_from_db()
    assert response.status_code == 400
    assert not street_repair.is_deprecated


@pytest.mark.parametrize("who", ["alice", "manny"])
def test_only_admins_change_a_tag_on_its_page(request, web, street_repair, who):
    client = web(request.getfixturevalue(who))

    response = client.post(detail_url(street_repair), {"action": "deprecate"})

    street_repair.refresh_from_db()
    assert response.status_code == 403
    assert not street_repair.is_deprecated


def test_another_offices_tag_is_404_like_a_missing_one(web, adam, ward2_tag):
    client = web(adam)

    assert client.get(detail_url(ward2_tag)).status_code == 404
    assert client.post(detail_url(ward2_tag), {"action": "deprecate"}).status_code == 404
    assert client.get(reverse("tags:tag-detail", kwargs={"tag_id": 999999})).status_code == 404
    assert not Tag.objects.get(pk=ward2_tag.pk).is_deprecated


# ---------------------------------------------------------------- the picker's endpoints


def test_the_typeahead_answers_a_partial_list(web, alice, street_repair):
    client = web(alice)

    response = client.get(reverse("tags:typeahead"), {"q": "pothole", "picker": "id_tags"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'role="option"' in response.text
    assert f'data-tag-id="{street_repair.pk}"' in response.text
    assert 'id="id_tags-option-1"' in response.text
    assert "potholes</span> →" in response.text
    assert "Create" not in response.text  # alice may not create tags


def test_the_typeahead_leaves_out_chosen_tags(web, alice, street_repair, parking):
    response = web(alice).get(
        reverse("tags:typeahead"), {"q": "a", "field": "issues", "issues": [street_repair.pk]}
    )

    shown = [s.tag for s in response.context["suggestions"]]
    assert street_repair not in shown
    assert parking in shown


def test_the_typeahead_offers_creating_to_managers_only_for_new_words(web, manny, street_repair):
    client = web(manny)

    new = client.get(reverse("tags:typeahead"), {"q": "Bike lanes"})
    known = client.get(reverse("tags:typeahead"), {"q": "potholes"})
    not_here = client.get(reverse("tags:typeahead"), {"q": "Bike lanes", "create": "0"})

    assert "Create “Bike lanes”" in new.text
    assert 'data-tag-create="Bike lanes"' in new.text
    assert "Create" not in known.text
    assert "Create" not in not_here.text


def test_the_typeahead_never_shows_another_offices_tags(web, adam, ward2_tag):
    response = web(adam).get(reverse("tags:typeahead"), {"q": "zoning"})

    assert "Zoning" not in response.text


def test_a_manager_creates_a_tag_from_the_picker(web, manny, ward1):
    response = web(manny).post(
        reverse("tags:create-inline"), {"name": "Bike lanes", "field": "issues"}
    )

    tag = Tag.objects.for_office(ward1).get(name="Bike lanes")
    assert response.status_code == 201
    assert f'<input type="hidden" name="issues" value="{tag.pk}">' in response.text
    assert "data-tag-chip" in response.text


def test_creating_a_known_word_from_the_picker_gives_the_existing_tag(
    web, manny, ward1, street_repair
):
    response = web(manny).post(reverse("tags:create-inline"), {"name": "Potholes"})

    assert response.status_code == 200
    assert f'value="{street_repair.pk}"' in response.text
    assert Tag.objects.for_office(ward1).count() == 2


def test_a_caseworker_cannot_create_from_the_picker(web, alice, ward1):
    response = web(alice).post(reverse("tags:create-inline"), {"name": "Bike lanes"})

    assert response.status_code == 403
    assert not Tag.objects.for_office(ward1).exists()


def test_a_refused_inline_create_answers_the_reason(web, manny, adam, ward1, housing):
    deprecate_tag(housing, by=adam)

    response = web(manny).post(reverse("tags:create-inline"), {"name": "Housing"})

    assert response.status_code == 409
    assert (
        response.text == "A deprecated tag “Housing” exists at the top level; restore it instead."
    )


def test_inline_create_only_takes_posts(web, manny):
    assert web(manny).get(reverse("tags:create-inline")).status_code == 405


def test_volunteers_may_look_but_not_create(web, victor, street_repair):
    client = web(victor)

    assert client.get(reverse("tags:tag-list")).status_code == 200
    assert client.post(reverse("tags:create-inline"), {"name": "X"}).status_code == 403


def test_creating_from_the_picker_under_a_parent(web, manny, ward1, transportation):
    response = web(manny).post(
        reverse("tags:create-inline"), {"name": "transportation > Bike lanes"}
    )

    assert response.status_code == 201
    assert (
        Tag.objects.for_office(ward1).get(name="Bike lanes").path == "Transportation › Bike lanes"
    )


def test_creating_from_the_picker_under_a_missing_parent_is_refused(web, manny, ward1):
    response = web(manny).post(reverse("tags:create-inline"), {"name": "Roads › Bike lanes"})

    assert response.status_code == 409
    assert response.text == "There is no tag “Roads” to put it under."
    assert not Tag.objects.for_office(ward1).exists()
