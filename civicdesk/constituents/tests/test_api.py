import datetime as dt

import pytest
from django.utils import timezone

from civicdesk.audit.models import AuditEvent
from civicdesk.constituents import services
from civicdesk.constituents.models import Household, Organization, Person
from civicdesk.constituents.tests.conftest import make_person

NEW_PERSON = {
    "first_name": "Ana",
    "last_name": "Núñez",
    "language": "es",
    "emails": [{"email": "Ana@Example.org"}],
    "phones": [{"number": "(202) 555-0101", "kind": "home"}],
    "addresses": [
        {"line1": "1420 U St NW", "city": "Washington", "region": "DC", "postcode": "20009"}
    ],
}


def json_of(response) -> dict:
    return response.json()


# ---------------------------------------------------------------- people


def test_create_read_update_delete_a_person(api, alice, manny):
    client = api(alice)

    created = client.post("/api/v1/people", NEW_PERSON, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["display_name"], body["version"]) == ("Ana Núñez", 1)
    assert body["emails"][0]["email"] == "ana@example.org"
    assert body["phones"][0]["formatted"] == "(202) 555-0101"
    person_id = body["id"]

    read = client.get(f"/api/v1/people/{person_id}")
    assert read.status_code == 200
    assert read.json()["addresses"][0]["postcode"] == "20009"
    assert read.json()["is_of_concern"] is None  # caseworkers do not see the flag

    patched = client.patch(
        f"/api/v1/people/{person_id}", {"version": 1, "preferred_name": "Anita"},
        content_type="application/json",
    )  # fmt: skip
    assert patched.status_code == 200
    assert (patched.json()["display_name"], patched.json()["version"]) == ("Anita Núñez", 2)
    assert patched.json()["emails"][0]["email"] == "ana@example.org"  # lists not sent: kept

    assert client.delete(f"/api/v1/people/{person_id}").status_code == 403
    assert api(manny).delete(f"/api/v1/people/{person_id}").status_code == 204
    assert not Person.objects.filter(pk=person_id).exists()


def test_every_read_of_a_person_is_audited(api, alice, john):
    api(alice).get(f"/api/v1/people/{john.pk}")
    api(alice).get(f"/api/v1/people/{john.pk}/timeline")

    views = AuditEvent.objects.filter(action="person.viewed", object_id=str(john.pk))
    assert views.count() == 2
    assert {event.actor for event in views} == {alice}


def test_an_edit_on_an_old_version_answers_409_and_changes_nothing(api, alice, manny, john):
    services.update_person(john, by=manny, version=1, fields={"first_name": "Jon"})

    response = api(alice).patch(
        f"/api/v1/people/{john.pk}", {"version": 1, "last_name": "Smyth"},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "edit_conflict"
    assert error["message"].startswith("Manny Moreno changed this person (")
    john.refresh_from_db()
    assert (john.first_name, john.last_name, john.version) == ("Jon", "Smith", 2)


def test_bad_contact_points_answer_422_with_a_message_for_each(api, alice):
    response = api(alice).post(
        "/api/v1/people",
        {**NEW_PERSON, "emails": [{"email": "ana@"}], "phones": [{"number": "555-12"}]},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert [d["msg"] for d in response.json()["error"]["details"]] == [
        "“ana@” is not a valid email address.",
        "“555-12” is not a valid phone number.",
    ]
    assert Person.objects.count() == 0


def test_another_offices_person_is_404_everywhere(api, alice, wren):
    client = api(alice)
    for method, path in [
        ("get", f"/api/v1/people/{wren.pk}"),
        ("get", f"/api/v1/people/{wren.pk}/timeline"),
        ("delete", f"/api/v1/people/{wren.pk}"),
    ]:
        assert getattr(client, method)(path).status_code in {403, 404}
    patch = client.patch(
        f"/api/v1/people/{wren.pk}", {"version": 1}, content_type="application/json"
    )
    assert patch.status_code == 404
    post = client.post(
        f"/api/v1/people/{wren.pk}/interactions",
        {"kind": "call", "occurred_at": timezone.now().isoformat()},
        content_type="application/json",
    )
    assert post.status_code == 404
    wren.refresh_from_db()
    assert (wren.version, wren.interactions.count()) == (1, 0)


def test_a_volunteer_gets_403(api, victor, john):
    assert api(victor).get(f"/api/v1/people/{john.pk}").status_code == 403
    assert api(victor).get("/api/v1/people").status_code == 403


def test_the_list_filters_and_pages_with_a_cursor(api, alice, ward1, wren):
    for i in range(5):
        make_person(ward1, f"P{i}", "Lee", language="es" if i % 2 else "en")
    client = api(alice)

    first = client.get("/api/v1/people", {"limit": 2, "language": "en"}).json()
    assert (first["total_count"], len(first["items"])) == (3, 2)
    second = client.get(
        "/api/v1/people", {"limit": 2, "language": "en", "cursor": first["next_cursor"]}
    ).json()
    assert [p["display_name"] for p in first["items"] + second["items"]] == [
        "P0 Lee",
        "P2 Lee",
        "P4 Lee",
    ]
    assert second["next_cursor"] is None
    assert client.get("/api/v1/people", {"cursor": "garbage"}).status_code == 400
    assert client.get("/api/v1/people", {"flags": "is_of_concern"}).status_code == 403
    assert client.get("/api/v1/people", {"flags": "is_famous"}).status_code == 400


def test_search_finds_people_by_phone_in_any_format(api, alice, john, wren):
    response = api(alice).get("/api/v1/people/search", {"q": "202.555.0147"})
    assert response.status_code == 200
    assert [(h["person"]["display_name"], h["matched_on"]) for h in response.json()] == [
        ("John Smith", "phone")
    ]
    assert api(alice).get("/api/v1/people/search", {"q": "wren"}).json() == []


def test_log_an_interaction_then_read_the_timeline_page_by_page(api, alice, john):
    client = api(alice)
    start = timezone.now() - dt.timedelta(hours=5)
    for i in range(3):
        response = client.post(
            f"/api/v1/people/{john.pk}/interactions",
            {"kind": "walk_in", "occurred_at": (start + dt.timedelta(hours=i)).isoformat(),
             "subject": f"visit {i}", "outcome": "Resolved"},
            content_type="application/json",
        )  # fmt: skip
        assert response.status_code == 201
    assert response.json()["logged_by"] == "Alice Alvarez"

    page = client.get(f"/api/v1/people/{john.pk}/timeline", {"limit": 2}).json()
    rest = client.get(
        f"/api/v1/people/{john.pk}/timeline", {"limit": 2, "before": page["next_before"]}
    ).json()
    assert [e["subject"] for e in page["items"] + rest["items"]] == [
        "visit 2",
        "visit 1",
        "visit 0",
    ]
    assert rest["next_before"] is None


def test_bulk_tag_and_untag(api, alice, john, ward1, potholes):
    ana = make_person(ward1, "Ana", "Lee")
    client = api(alice)
    body = {"person_ids": [john.pk, ana.pk], "tag_ids": [potholes.pk]}

    assert client.post("/api/v1/people/tags", body, content_type="application/json").json() == {
        "changed": 2
    }
    untag = client.post(
        "/api/v1/people/tags", {**body, "action": "untag"}, content_type="application/json"
    )
    assert untag.json() == {"changed": 2}


# ---------------------------------------------------------------- households and organizations


def test_household_crud(api, alice, john, ward1):
    ana = make_person(ward1, "Ana", "Smith")
    client = api(alice)

    created = client.post("/api/v1/households", {"name": "The Smiths", "member_ids": [john.pk]},
                          content_type="application/json")  # fmt: skip
    assert created.status_code == 201
    household_id = created.json()["id"]
    added = client.post(f"/api/v1/households/{household_id}/members", {"person_id": ana.pk},
                        content_type="application/json")  # fmt: skip
    assert added.json()["member_count"] == 2
    patched = client.patch(f"/api/v1/households/{household_id}",
                           {"joint_salutation": "Dear John and Ana"}, content_type="application/json")  # fmt: skip
    assert patched.json()["joint_salutation"] == "Dear John and Ana"
    removed = client.delete(f"/api/v1/households/{household_id}/members/{ana.pk}")
    assert [m["display_name"] for m in removed.json()["members"]] == ["John Smith"]
    assert client.get("/api/v1/households").json()["results"][0]["member_count"] == 1
    assert client.delete(f"/api/v1/households/{household_id}").status_code == 204
    assert not Household.objects.exists()
    john.refresh_from_db()
    assert john.household is None


def test_organization_crud_and_isolation(api, alice, carol):
    client = api(alice)
    created = client.post("/api/v1/organizations", {"name": "DC Water", "kind": "agency",
                          "email": "Info@DCWater.example.gov"}, content_type="application/json")  # fmt: skip
    assert created.status_code == 201
    org_id = created.json()["id"]
    assert created.json()["email"] == "info@dcwater.example.gov"

    bad = client.patch(
        f"/api/v1/organizations/{org_id}", {"phone": "12"}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["loc"] == ["body", "phone"]
    assert (
        client.get("/api/v1/organizations", {"kind": "agency"}).json()["results"][0]["name"]
        == "DC Water"
    )
    assert api(carol).get(f"/api/v1/organizations/{org_id}").status_code == 404
    assert api(carol).delete(f"/api/v1/organizations/{org_id}").status_code == 404
    assert client.delete(f"/api/v1/organizations/{org_id}").status_code == 204
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    "path", ["/api/v1/people/search?q=x", "/api/v1/households", "/api/v1/organizations"]
)
def test_lists_need_a_token(client, path):
    assert client.get(path).status_code == 401


def test_a_patch_changes_only_the_custom_values_sent(api, alice, adam, ward1):
    services.define_custom_field(
        ward1, by=adam, key="households", label="Households", field_type="number"
    )
    services.define_custom_field(
        ward1, by=adam, key="captain", label="Block captain", field_type="yes_no"
    )
    person = make_person(ward1, "Ana", "Lee", custom={"households": 2, "captain": True})

    response = api(alice).patch(
        f"/api/v1/people/{person.pk}", {"version": 1, "custom": {"households": "4", "captain": None}},
        content_type="application/json",
    )  # fmt: skip

    assert response.json()["custom"] == {"households": 4}
    bad = api(alice).patch(
        f"/api/v1/people/{person.pk}", {"version": 2, "custom": {"households": "many"}},
        content_type="application/json",
    )  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["error"]["details"] == [
        {
            "loc": ["body", "custom_households"],
            "msg": "Households: “many” is not a number.",
            "type": "invalid",
        }
    ]


# ---------------------------------------------------------------- review fixes


def test_error_bodies_carry_specific_codes(api, alice, john):
    client = api(alice)

    bad_cursor = client.get("/api/v1/people?cursor=nonsense")
    assert (bad_cursor.status_code, bad_cursor.json()["error"]["code"]) == (400, "bad_cursor")
    bad_flag = client.get("/api/v1/people?flags=is_tall")
    assert (bad_flag.status_code, bad_flag.json()["error"]["code"]) == (400, "unknown_flag")
    assert bad_flag.json()["error"]["details"]["flags"] == ["is_tall"]
    bad_before = client.get(f"/api/v1/people/{john.pk}/timeline?before=nonsense")
    assert (bad_before.status_code, bad_before.json()["error"]["code"]) == (400, "bad_cursor")


def test_a_409_edit_conflict_names_who_when_and_the_current_version(api, alice, manny, john):
    services.update_person(john, by=manny, version=1, fields={"first_name": "Jon"})

    response = api(alice).patch(
        f"/api/v1/people/{john.pk}", {"version": 1, "last_name": "Smyth"},
        content_type="application/json",
    )  # fmt: skip

    details = response.json()["error"]["details"]
    assert (details["changed_by"], details["current_version"]) == ("Manny Moreno", 2)
    assert dt.datetime.fromisoformat(details["changed_at"]) <= timezone.now()


def test_bulk_tagging_refuses_deprecated_tags_and_resolves_merged_ones(api, alice, ward1, john):
    from civicdesk.constituents.tests.conftest import make_tag

    current, old, merged = (make_tag(ward1, n) for n in ("Potholes", "Old roads", "Pot holes"))
    Tag = type(current)
    Tag.objects.filter(pk=old.pk).update(is_deprecated=True)
    Tag.objects.filter(pk=merged.pk).update(is_deprecated=True, merged_into=current)
    client = api(alice)

    refused = client.post("/api/v1/people/tags", {"person_ids": [john.pk], "tag_ids": [old.pk]},
                          content_type="application/json")  # fmt: skip
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "tag_deprecated")
    assert "Old roads" in refused.json()["error"]["message"]
    created = client.post("/api/v1/people", {**NEW_PERSON, "tag_ids": [old.pk]},
                          content_type="application/json")  # fmt: skip
    assert created.status_code == 422
    assert not Person.objects.filter(last_name="Núñez").exists()

    tagged = client.post("/api/v1/people/tags",
                         {"person_ids": [john.pk], "tag_ids": [merged.pk]},
                         content_type="application/json")  # fmt: skip
    assert tagged.json() == {"changed": 1}
    assert [tag["id"] for tag in client.get(f"/api/v1/people/{john.pk}").json()["tags"]] == [
        current.pk
    ]


def test_moving_an_address_pin_through_patch_is_audited_and_versioned(api, alice, ward1):
    client = api(alice)
    place = {"line1": "1 Main St", "latitude": 38.905, "longitude": -77.025}
    person = client.post("/api/v1/people", {**NEW_PERSON, "addresses": [place]},
                         content_type="application/json").json()  # fmt: skip

    moved = client.patch(
        f"/api/v1/people/{person['id']}",
        {"version": 1, "addresses": [{**place, "latitude": 38.915}]},
        content_type="application/json",
    )

    assert moved.json()["version"] == 2
    assert moved.json()["addresses"][0]["latitude"] == 38.915
    event = AuditEvent.objects.get(action="person.changed")
    assert "addresses" in event.changes


def test_custom_fields_are_listed_defined_and_changed_but_key_and_type_stay(api, adam, alice):
    client = api(adam)
    created = client.post(
        "/api/v1/custom-fields",
        {"label": "Newsletter edition", "field_type": "choice", "choices": ["Print", "Email"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    field = created.json()
    assert (field["key"], field["is_active"]) == ("newsletter_edition", True)

    patched = client.patch(
        f"/api/v1/custom-fields/{field['id']}",
        {"label": "Edition", "choices": ["Print", "Email", "Both"], "is_active": False,
         "position": 3, "key": "other", "field_type": "text"},
        content_type="application/json",
    )  # fmt: skip
    assert patched.status_code == 200, patched.content
    assert {k: patched.json()[k] for k in ("key", "label", "field_type", "choices", "position")} == {
        "key": "newsletter_edition", "label": "Edition", "field_type": "choice",
        "choices": ["Print", "Email", "Both"], "position": 3,
    }  # fmt: skip
    assert AuditEvent.objects.filter(action="customfield.changed").count() == 1

    bad = client.patch(f"/api/v1/custom-fields/{field['id']}", {"choices": ["Only"]},
                       content_type="application/json")  # fmt: skip
    assert (bad.status_code, bad.json()["error"]["details"][0]["loc"]) == (422, ["body", "choices"])
    assert [f["label"] for f in api(alice).get("/api/v1/custom-fields").json()] == ["Edition"]
    denied = api(alice).patch(f"/api/v1/custom-fields/{field['id']}", {"label": "Mine"},
                              content_type="application/json")  # fmt: skip
    assert denied.status_code == 403


def test_household_rename_and_dissolve_are_audited_and_members_stay(api, alice, john):
    client = api(alice)
    household_id = client.post("/api/v1/households", {"name": "Smiths", "member_ids": [john.pk]},
                               content_type="application/json").json()["id"]  # fmt: skip

    patched = client.patch(f"/api/v1/households/{household_id}",
                           {"name": "The Smiths", "joint_salutation": "Mr. and Mrs. Smith"},
                           content_type="application/json")  # fmt: skip
    assert patched.json()["joint_salutation"] == "Mr. and Mrs. Smith"
    assert client.delete(f"/api/v1/households/{household_id}").status_code == 204

    john.refresh_from_db()
    assert john.household is None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"household.changed", "household.deleted"} <= actions
