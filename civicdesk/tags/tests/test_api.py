import pytest

from civicdesk.tags.models import Tag, TagAlias
from civicdesk.tags.services import add_alias, create_tag, deprecate_tag

from .factories import make_person, tag_person, tags_of


def test_listing_tags_with_aliases_and_cursor_pages(api, alice, street_repair, parking, ward2_tag):
    client = api(alice)

    first = client.get("/api/v1/tags", {"page_size": 2})
    second = client.get(first.json()["next"])

    assert first.status_code == 200
    names = [t["name"] for t in first.json()["results"] + second.json()["results"]]
    assert names == ["Transportation", "Street repair", "Parking"]
    assert first.json()["results"][1] | {"created_at": None, "updated_at": None} == {
        "id": street_repair.pk,
        "name": "Street repair",
        "path": "Transportation › Street repair",
        "parent_id": street_repair.parent_id,
        "description": "",
        "is_deprecated": False,
        "merged_into_id": None,
        "usage_count": 0,
        "aliases": ["potholes"],
        "created_at": None,
        "updated_at": None,
    }


def test_deprecated_tags_are_listed_only_when_asked(api, alice, adam, street_repair, parking):
    deprecate_tag(parking, by=adam)
    client = api(alice)

    default = client.get("/api/v1/tags").json()["results"]
    everything = client.get("/api/v1/tags", {"include_deprecated": "true"}).json()["results"]

    assert [t["name"] for t in default] == ["Transportation", "Street repair"]
    assert [t["name"] for t in everything] == ["Transportation", "Street repair", "Parking"]


def test_the_list_pins_its_queries(api, alice, street_repair, parking, django_assert_num_queries):
    client = api(alice)
    client.get("/api/v1/tags")  # the token's first use writes last_used_at

    with django_assert_num_queries(3):  # the token and its member, one page of tags, their aliases
        client.get("/api/v1/tags")


def test_another_offices_tag_is_404_like_a_missing_one(api, adam, ward2_tag):
    client = api(adam)
    other = client.get(f"/api/v1/tags/{ward2_tag.pk}")
    missing = client.get("/api/v1/tags/999999")

    assert (other.status_code, other.json()) == (missing.status_code, missing.json())
    assert missing.json()["error"]["code"] == "not_found"
    for method, path, body in [
        ("patch", "", {"name": "Mine now"}),
        ("post", "/merge", {"into_id": ward2_tag.pk}),
        ("post", "/aliases", {"alias": "mine"}),
    ]:
        response = getattr(client, method)(
            f"/api/v1/tags/{ward2_tag.pk}{path}", body, content_type="application/json"
        )
        assert response.status_code == 404
    ward2_tag.refresh_from_db()
    assert (ward2_tag.name, ward2_tag.is_deprecated, ward2_tag.aliases.count()) == (
        "Zoning",
        False,
        0,
    )


def test_a_manager_creates_a_tag(api, manny, ward1, transportation):
    response = api(manny).post(
        "/api/v1/tags",
        {"name": "Bike lanes", "parent_id": transportation.pk, "description": "Protected lanes"},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["path"] == "Transportation › Bike lanes"
    assert Tag.objects.for_office(ward1).filter(name="Bike lanes").exists()


def test_a_caseworker_cannot_create_a_tag(api, alice, ward1):
    response = api(alice).post(
        "/api/v1/tags", {"name": "Bike lanes"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert not Tag.objects.for_office(ward1).exists()


def test_a_duplicate_is_a_409_naming_the_tag(api, manny, street_repair):
    response = api(manny).post(
        "/api/v1/tags", {"name": "POTHOLES"}, content_type="application/json"
    )

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "tag_name_taken",
        "message": "“potholes” is already an alias of Transportation › Street repair.",
        "details": None,
    }


def test_a_parent_of_another_office_is_refused_like_a_missing_one(api, manny, ward1, ward2_tag):
    client = api(manny)

    other = client.post(
        "/api/v1/tags", {"name": "X", "parent_id": ward2_tag.pk}, content_type="application/json"
    )
    missing = client.post(
        "/api/v1/tags", {"name": "X", "parent_id": 999999}, content_type="application/json"
    )

    assert other.status_code == missing.status_code == 422
    assert other.json()["error"]["code"] == "tag_unknown"
    assert not Tag.objects.for_office(ward1).exists()


def test_patch_renames_moves_and_deprecates(
    api, adam, ward1, transportation, street_repair, housing
):
    client = api(adam)

    moved = client.patch(
        f"/api/v1/tags/{street_repair.pk}",
        {"name": "Road repair", "parent_id": housing.pk},
        content_type="application/json",
    )
    to_top = client.patch(
        f"/api/v1/tags/{street_repair.pk}", {"parent_id": None}, content_type="application/json"
    )
    deprecated = client.patch(
        f"/api/v1/tags/{street_repair.pk}", {"is_deprecated": True}, content_type="application/json"
    )
    restored = client.patch(
        f"/api/v1/tags/{street_repair.pk}",
        {"is_deprecated": False},
        content_type="application/json",
    )

    assert moved.json()["path"] == "Housing › Road repair"
    assert to_top.json()["path"] == "Road repair"
    assert deprecated.json()["is_deprecated"] is True
    assert restored.json()["is_deprecated"] is False


def test_a_patch_that_fails_in_part_changes_nothing(api, adam, transportation, street_repair):
    response = api(adam).patch(
        f"/api/v1/tags/{transportation.pk}",
        {"name": "Transport", "parent_id": street_repair.pk},
        content_type="application/json",
    )

    transportation.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "tag_cycle"
    assert (transportation.name, transportation.parent) == ("Transportation", None)


def test_managers_cannot_patch(api, manny, street_repair):
    response = api(manny).patch(
        f"/api/v1/tags/{street_repair.pk}", {"name": "Roads"}, content_type="application/json"
    )

    street_repair.refresh_from_db()
    assert response.status_code == 403
    assert street_repair.name == "Street repair"


def test_merging_through_the_api(api, adam, ward1, street_repair, parking):
    person = make_person(ward1)
    tag_person(person, parking)

    response = api(adam).post(
        f"/api/v1/tags/{parking.pk}/merge",
        {"into_id": street_repair.pk},
        content_type="application/json",
    )

    parking.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["id"] == street_repair.pk
    assert response.json()["usage_count"] == 1
    assert "Parking" in response.json()["aliases"]
    assert parking.merged_into == street_repair
    assert tags_of(person) == ["Street repair"]


@pytest.mark.parametrize("into", ["ward2_tag", None])
def test_merging_into_another_offices_or_a_missing_tag_is_refused(
    request, api, adam, parking, into
):
    into_id = request.getfixturevalue(into).pk if into else 999999

    response = api(adam).post(
        f"/api/v1/tags/{parking.pk}/merge", {"into_id": into_id}, content_type="application/json"
    )

    parking.refresh_from_db()
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "tag_unknown"
    assert not parking.is_deprecated


def test_adding_an_alias(api, adam, street_repair):
    response = api(adam).post(
        f"/api/v1/tags/{street_repair.pk}/aliases",
        {"alias": "Paving"},
        content_type="application/json",
    )
    again = api(adam).post(
        f"/api/v1/tags/{street_repair.pk}/aliases",
        {"alias": "paving!"},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["aliases"] == ["Paving", "potholes"]
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "alias_taken"


def test_removing_an_alias(api, adam, street_repair):
    potholes = street_repair.aliases.get()

    response = api(adam).delete(f"/api/v1/tags/{street_repair.pk}/aliases/{potholes.pk}")

    assert response.status_code == 204
    assert not street_repair.aliases.exists()
    assert street_repair.changes.latest("id").detail == {"alias": "potholes"}


def test_an_alias_of_another_tag_or_office_is_404_like_a_missing_one(
    api, adam, street_repair, parking, ward2_tag
):
    potholes = street_repair.aliases.get()
    zoning = add_alias(ward2_tag, alias="variances", by=None)
    client = api(adam)

    answers = [
        client.delete(f"/api/v1/tags/{tag.pk}/aliases/{alias_id}")
        for tag, alias_id in [(parking, potholes.pk), (street_repair, zoning.pk),
                              (ward2_tag, zoning.pk), (street_repair, 999999)]
    ]  # fmt: skip

    assert {(a.status_code, a.json()["error"]["code"]) for a in answers} == {(404, "not_found")}
    assert TagAlias.objects.count() == 2


def test_managers_cannot_remove_an_alias(api, manny, street_repair):
    potholes = street_repair.aliases.get()

    response = api(manny).delete(f"/api/v1/tags/{street_repair.pk}/aliases/{potholes.pk}")

    assert response.status_code == 403
    assert street_repair.aliases.exists()


def test_renaming_can_keep_the_old_name_as_an_alias(api, adam, street_repair, parking):
    client = api(adam)

    kept = client.patch(
        f"/api/v1/tags/{street_repair.pk}",
        {"name": "Road repair", "keep_old_name_as_alias": True},
        content_type="application/json",
    )
    dropped = client.patch(
        f"/api/v1/tags/{parking.pk}", {"name": "Car parks"}, content_type="application/json"
    )

    assert kept.status_code == 200
    assert kept.json()["aliases"] == ["potholes", "Street repair"]
    assert dropped.json()["aliases"] == []


def test_a_tags_history_newest_first(api, alice, adam, street_repair, ward2_tag):
    client = api(adam)
    client.patch(
        f"/api/v1/tags/{street_repair.pk}", {"name": "Road repair"}, content_type="application/json"
    )

    response = api(alice).get(f"/api/v1/tags/{street_repair.pk}/history")
    other = api(alice).get(f"/api/v1/tags/{ward2_tag.pk}/history")

    assert response.status_code == 200
    changes = response.json()["results"]
    assert [(c["action"], c["by_id"], c["by_name"]) for c in changes] == [
        ("renamed", adam.pk, "Adam Admin"),
        ("alias_added", None, "CivicDesk"),
        ("created", None, "CivicDesk"),
    ]
    assert changes[0]["detail"] == {
        "old": "Street repair", "new": "Road repair", "old_name_kept_as_alias": False
    }  # fmt: skip
    assert other.status_code == 404


def test_typeahead_through_the_api(api, alice, ward1, street_repair, parking, ward2_tag):
    create_tag(ward1, name="Potholes in alleys", by=None)

    response = api(alice).get("/api/v1/tags/typeahead", {"q": "pothole"})

    assert response.status_code == 200
    assert [(s["path"], s["alias"], s["match"]) for s in response.json()] == [
        ("Potholes in alleys", None, "prefix"),
        ("Transportation › Street repair", "potholes", "prefix"),
    ]


def test_volunteers_may_read_but_not_write(api, victor, street_repair):
    client = api(victor)

    assert client.get(f"/api/v1/tags/{street_repair.pk}").status_code == 200
    assert client.get("/api/v1/tags/typeahead", {"q": "st"}).status_code == 200
    assert (
        client.post("/api/v1/tags", {"name": "X"}, content_type="application/json").status_code
        == 403
    )
