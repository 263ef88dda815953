"""The constituents pages, through the doors a user uses: the people list, the person page and
its quick actions, the person form (with its optimistic lock), households and organizations."""

import datetime as dt
import json
import re

import pytest
import shapely
from django.urls import reverse
from django.utils import timezone
from shapely.geometry import shape

from civicdesk.accounts.permissions import Role
from civicdesk.audit.models import AuditEvent
from civicdesk.constituents import services
from civicdesk.constituents.models import (
    Address,
    CustomField,
    Household,
    Interaction,
    Organization,
    Person,
)
from civicdesk.constituents.tests.conftest import make_person, make_tag, square_layer
from civicdesk.geo.models import District, DistrictLayer
from civicdesk.geo.services import import_layer
from civicdesk.geo.tests.factories import DC_WARDS
from civicdesk.reports.tiles import people_tile
from conftest import make_member

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def household(ward1, john, alice) -> Household:
    return services.create_household(ward1, by=alice, name="The Smiths", member_ids=[john.pk])


@pytest.fixture
def agency(ward1, alice) -> Organization:
    return services.create_organization(
        ward1, by=alice, fields={"name": "Public Works", "kind": "agency"}
    )


def person_form_data(person=None, **overrides) -> dict:
    """What the person form posts: one email, one phone and one address row."""
    data = {
        "first_name": "Maria",
        "last_name": "Chen",
        "emails-TOTAL_FORMS": "1",
        "emails-INITIAL_FORMS": "1",
        "emails-0-email": "maria.chen@example.org",
        "emails-0-kind": "home",
        "emails-primary": "emails-0",
        "phones-TOTAL_FORMS": "1",
        "phones-INITIAL_FORMS": "1",
        "phones-0-number": "(202) 555-0111",
        "phones-0-kind": "mobile",
        "phones-primary": "phones-0",
        "addresses-TOTAL_FORMS": "1",
        "addresses-INITIAL_FORMS": "1",
        "addresses-0-line1": "1600 U Street NW",
        "addresses-0-city": "Washington",
        "addresses-0-region": "DC",
        "addresses-0-postcode": "20009",
        "addresses-0-country": "US",
        "addresses-0-kind": "home",
        "addresses-primary": "addresses-0",
    }
    if person is not None:
        data["version"] = str(person.version)
        data["tags_before"] = ""
    data.update(overrides)
    return data


def page_urls(john, household, agency) -> list[str]:
    return [
        reverse("constituents:person-list"),
        reverse("constituents:person-create"),
        reverse("constituents:person-detail", args=[john.pk]),
        reverse("constituents:person-edit", args=[john.pk]),
        reverse("constituents:household-detail", args=[household.pk]),
        reverse("constituents:organization-list"),
        reverse("constituents:organization-create"),
        reverse("constituents:organization-detail", args=[agency.pk]),
        reverse("constituents:organization-edit", args=[agency.pk]),
    ]


# ---------------------------------------------------------------- who may open what


def test_every_page_renders_for_a_caseworker(web, alice, john, household, agency):
    client = web(alice)
    for url in page_urls(john, household, agency):
        assert client.get(url).status_code == 200, url


def test_household_start_page_renders_for_a_person_without_one(web, alice, ward1):
    loner = make_person(ward1, "Lena", "Lone")
    response = web(alice).get(reverse("constituents:household-create", args=[loner.pk]))
    assert response.status_code == 200
    assert "The Lone household" in response.text


def test_a_viewer_reads_without_edit_controls(web, ward1, john):
    vera = make_member(ward1, "vera@ward1.example", Role.VIEWER, "Vera Viewer")
    client = web(vera)
    page = client.get(reverse("constituents:person-detail", args=[john.pk]))
    listing = client.get(reverse("constituents:person-list"))
    assert (page.status_code, listing.status_code) == (200, 200)
    assert "Log it" not in page.text
    assert "Correct the pin" not in page.text
    assert reverse("constituents:person-edit", args=[john.pk]) not in page.text
    assert "bulk-form" not in listing.text
    assert client.get(reverse("constituents:person-edit", args=[john.pk])).status_code == 403


def test_a_volunteer_gets_403_everywhere(web, victor, john, household, agency):
    client = web(victor)
    for url in page_urls(john, household, agency):
        assert client.get(url).status_code == 403, url
    address = john.addresses.get()
    assert (
        client.post(reverse("constituents:address-position", args=[address.pk])).status_code == 403
    )


def test_another_offices_records_are_404_like_missing_ones(
    web, carol, dora, john, household, agency
):
    client = web(carol)
    address = john.addresses.get()
    urls = [
        reverse("constituents:person-detail", args=[john.pk]),
        reverse("constituents:person-edit", args=[john.pk]),
        reverse("constituents:person-timeline", args=[john.pk]),
        reverse("constituents:household-detail", args=[household.pk]),
        reverse("constituents:household-create", args=[john.pk]),
        reverse("constituents:organization-detail", args=[agency.pk]),
        reverse("constituents:organization-edit", args=[agency.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    posts = [
        reverse("constituents:interaction-log", args=[john.pk]),
        reverse("constituents:person-tags", args=[john.pk]),
        reverse("constituents:address-position", args=[address.pk]),
    ]
    for url in posts:
        assert client.post(url, {"latitude": "1", "longitude": "1"}).status_code == 404, url
    delete = reverse("constituents:person-delete", args=[john.pk])
    assert web(dora).post(delete, {"confirm": "delete"}).status_code == 404
    assert client.get(reverse("constituents:person-detail", args=[999999])).status_code == 404
    john.refresh_from_db()
    assert (Person.objects.filter(pk=john.pk).exists(), john.interactions.count()) == (True, 0)


def test_the_list_shows_only_the_own_offices_people(web, alice, john, wren):
    response = web(alice).get(reverse("constituents:person-list"))
    assert "John Smith" in response.text
    assert "Wren" not in response.text


# ---------------------------------------------------------------- the people list


def test_the_filter_form_swaps_only_the_rows(web, alice, john, ward1):
    make_person(ward1, "Ada", "Okafor")
    response = web(alice).get(reverse("constituents:person-list"), {"q": "okafor"}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="person-rows"')
    assert "Ada Okafor" in response.text
    assert "John Smith" not in response.text
    assert "1 person" in response.text


def test_tag_filter_any_all_and_none(web, alice, ward1, potholes, parks):
    both = make_person(ward1, "Bo", "Both")
    one = make_person(ward1, "Olive", "One")
    make_person(ward1, "Nia", "None")
    services.tag_people(ward1, person_ids=[both.pk, one.pk], tag_ids=[potholes.pk], by=alice)
    services.tag_people(ward1, person_ids=[both.pk], tag_ids=[parks.pk], by=alice)
    client = web(alice)

    def names(mode):
        query = {"tags": [potholes.pk, parks.pk], "tag_mode": mode}
        text = client.get(reverse("constituents:person-list"), query, **HTMX).text
        return [n for n in ("Bo Both", "Olive One", "Nia None") if n in text]

    assert names("any") == ["Bo Both", "Olive One"]
    assert names("all") == ["Bo Both"]
    assert names("none") == ["Nia None"]


def test_district_flag_and_language_filters(web, alice, ward1, john):
    layer = DistrictLayer.objects.create(office=ward1, name="Ward", slug="ward", name_property="n")
    square = {
        "type": "Polygon",
        "coordinates": [[[-78, 38], [-76, 38], [-76, 40], [-78, 40], [-78, 38]]],
    }
    district = District.objects.create(
        office=ward1,
        layer=layer,
        name="Ward 1",
        geometry=square,
        min_lon=-78,
        min_lat=38,
        max_lon=-76,
        max_lat=40,
    )
    services.set_address_position(john.addresses.get(), by=alice, latitude=38.9, longitude=-77.0)
    make_person(ward1, "Vera", "Vip", is_vip=True, language="es")
    client = web(alice)
    url = reverse("constituents:person-list")

    in_district = client.get(url, {"district": district.pk}, **HTMX).text
    vips = client.get(url, {"flags": "is_vip"}, **HTMX).text
    spanish = client.get(url, {"language": "es"}, **HTMX).text

    assert ("John Smith" in in_district, "Vera Vip" in in_district) == (True, False)
    assert ("John Smith" in vips, "Vera Vip" in vips) == (False, True)
    assert ("John Smith" in spanish, "Vera Vip" in spanish) == (False, True)
    page = client.get(url).text
    assert '<optgroup label="Ward">' in page


def test_the_concern_flag_is_not_a_filter_for_a_caseworker(web, alice, manny):
    url = reverse("constituents:person-list")
    assert 'value="is_of_concern"' not in web(alice).get(url).text
    assert 'value="is_of_concern"' in web(manny).get(url).text


def test_load_more_follows_the_cursor(web, alice, ward1, monkeypatch):
    monkeypatch.setattr("civicdesk.constituents.views.PAGE_SIZE", 2)
    for last in ("Adams", "Baker", "Clark", "Davis", "Evans"):
        make_person(ward1, "Pat", last)
    client = web(alice)
    first = client.get(reverse("constituents:person-list"))
    assert "5 people" in first.text
    assert re.findall(r">(Pat \w+)</a>", first.text) == ["Pat Adams", "Pat Baker"]
    next_url = first.context["next_url"]

    more = client.get(reverse("constituents:person-list") + next_url, **HTMX)

    assert "<thead" not in more.text  # only rows, appended in place of the button
    assert re.findall(r">(Pat \w+)</a>", more.text) == ["Pat Clark", "Pat Davis"]
    assert 'id="load-more"' in more.text


def test_sorting_by_name_descending(web, alice, ward1):
    for last in ("Adams", "Baker"):
        make_person(ward1, "Pat", last)
    text = web(alice).get(reverse("constituents:person-list"), {"order": "-name"}).text
    assert re.findall(r">(Pat \w+)</a>", text) == ["Pat Baker", "Pat Adams"]


def test_a_bad_cursor_starts_from_the_top(web, alice, john):
    response = web(alice).get(reverse("constituents:person-list"), {"after": "not-a-cursor"})
    assert response.status_code == 200
    assert "John Smith" in response.text


def test_the_empty_office_gets_a_guiding_empty_state(web, alice):
    text = web(alice).get(reverse("constituents:person-list")).text
    assert "Add your first constituent" in text
    assert "Import a file" in text


@pytest.mark.parametrize("people", [3, 30])
def test_the_list_page_costs_the_same_for_3_or_30_people(
    web, alice, ward1, potholes, people, django_assert_max_num_queries
):
    made = [
        make_person(
            ward1,
            "Pat",
            f"Number{i:02d}",
            email=f"p{i}@example.org",
            phone="202-555-0147",
            address={"line1": f"{i} Main St", "city": "Washington"},
        )
        for i in range(people)
    ]
    services.tag_people(ward1, person_ids=[p.pk for p in made], tag_ids=[potholes.pk], by=alice)
    client = web(alice)
    # session, user, membership; districts, layers; tags (filter, picker); count, people and
    # four prefetches; the navbar's offices; the session save (3). Never one per person.
    with django_assert_max_num_queries(17):
        response = client.get(reverse("constituents:person-list"), {"tags": potholes.pk})
    assert response.text.count("Potholes") >= people


# ---------------------------------------------------------------- bulk tagging


def test_bulk_tagging_tags_the_selected_people(web, alice, ward1, john, potholes):
    other = make_person(ward1, "Ada", "Okafor")
    untouched = make_person(ward1, "Nia", "None")
    response = web(alice).post(
        reverse("constituents:person-bulk-tag"),
        {
            "person_ids": [john.pk, other.pk],
            "tags": potholes.pk,
            "action": "tag",
            "next": "/people/?q=x",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/people/?q=x"
    assert "Tagged 2 people with “Potholes”." in response.text
    tagged = set(Person.objects.filter(tag_links__tag=potholes).values_list("pk", flat=True))
    assert tagged == {john.pk, other.pk}
    assert untouched.pk not in tagged


def test_bulk_untagging(web, alice, ward1, john, potholes):
    services.tag_people(ward1, person_ids=[john.pk], tag_ids=[potholes.pk], by=alice)
    web(alice).post(
        reverse("constituents:person-bulk-tag"),
        {"person_ids": [john.pk], "tags": potholes.pk, "action": "untag"},
    )
    assert not john.tag_links.exists()


def test_bulk_tagging_without_a_selection_says_so(web, alice, potholes):
    response = web(alice).post(
        reverse("constituents:person-bulk-tag"),
        {"tags": potholes.pk, "action": "tag"},
        follow=True,
    )
    assert "Select at least one person first." in response.text


def test_bulk_tagging_ignores_another_offices_people(web, alice, john, wren, potholes):
    web(alice).post(
        reverse("constituents:person-bulk-tag"),
        {"person_ids": [john.pk, wren.pk], "tags": potholes.pk, "action": "tag"},
    )
    assert list(potholes.person_links.values_list("person_id", flat=True)) == [john.pk]


def test_a_volunteer_cannot_bulk_tag(web, victor, john, potholes):
    response = web(victor).post(
        reverse("constituents:person-bulk-tag"),
        {"person_ids": [john.pk], "tags": potholes.pk, "action": "tag"},
    )
    assert response.status_code == 403
    assert not john.tag_links.exists()


# ---------------------------------------------------------------- the person page


def test_viewing_a_person_is_audited(web, alice, john):
    web(alice).get(reverse("constituents:person-detail", args=[john.pk]))
    event = AuditEvent.objects.filter(action="person.viewed").get()
    assert (event.actor, event.object_id) == (alice, str(john.pk))


def test_the_person_page_shows_contact_points_tags_and_districts(web, alice, ward1, john, potholes):
    layer = DistrictLayer.objects.create(office=ward1, name="Ward", slug="ward", name_property="n")
    square = {
        "type": "Polygon",
        "coordinates": [[[-78, 38], [-76, 38], [-76, 40], [-78, 40], [-78, 38]]],
    }
    District.objects.create(
        office=ward1,
        layer=layer,
        name="Ward 1",
        geometry=square,
        min_lon=-78,
        min_lat=38,
        max_lon=-76,
        max_lat=40,
    )
    services.set_address_position(john.addresses.get(), by=alice, latitude=38.9, longitude=-77.0)
    services.tag_people(ward1, person_ids=[john.pk], tag_ids=[potholes.pk], by=alice)

    text = web(alice).get(reverse("constituents:person-detail", args=[john.pk])).text

    assert "john.smith@example.org" in text
    assert "(202) 555-0147" in text
    assert "<dt>Ward</dt><dd>Ward 1</dd>" in text
    assert "Potholes" in text
    assert 'data-person-map="map-data-' in text
    assert "Correct the pin" in text


def _place_data(text: str, address) -> dict:
    found = re.search(
        rf'<script id="place-data-{address.pk}" type="application/json">(.*?)</script>', text
    )
    return json.loads(found.group(1)) if found else {}


def test_an_editor_places_an_unlocated_address_on_the_map(web, alice, ward1, john):
    square_layer(ward1)  # two squares covering lon -77.03…-77.02, lat 38.90…38.92
    address = john.addresses.get()
    assert not address.has_position
    client = web(alice)
    page_url = reverse("constituents:person-detail", args=[john.pk])
    text = client.get(page_url).text
    assert "Place on the map" in text
    assert "Correct the pin" not in text
    bounds = sum(_place_data(text, address)["bounds"], [])
    assert bounds == pytest.approx([38.90, -77.03, 38.92, -77.02])
    layer = DistrictLayer.objects.get(office=ward1)
    outline_url = reverse("geo:layer-geojson", args=[layer.pk])
    assert _place_data(text, address)["outlines"] == [outline_url]

    url = reverse("constituents:address-position", args=[address.pk])
    response = client.post(url, {"latitude": "38.905", "longitude": "-77.025"}, **HTMX)
    assert "<dt>Ward</dt><dd>South</dd>" in response.text
    assert 'data-person-map="map-data-' in response.text
    address.refresh_from_db()
    assert (address.latitude, address.longitude, address.geocode_source) == (
        38.905,
        -77.025,
        "manual",
    )
    text = client.get(page_url).text
    assert ("Place on the map" in text, "Correct the pin" in text) == (False, True)


def test_placing_opens_on_the_offices_addresses_or_a_default(web, alice, ward1, ward2, john):
    address = john.addresses.get()
    client = web(alice)
    page_url = reverse("constituents:person-detail", args=[john.pk])
    assert _place_data(client.get(page_url).text, address)["bounds"] == [
        [24.5, -125.0],
        [49.5, -66.9],
    ]
    other = make_person(ward1, "Ada", "Okafor", address={"line1": "1 A St", "city": "Washington"})
    services.set_address_position(other.addresses.get(), by=alice, latitude=38.9, longitude=-77.0)
    theirs = make_person(ward2, "Wes", "Wood", address={"line1": "2 B St", "city": "Washington"})
    services.set_address_position(theirs.addresses.get(), by=None, latitude=10.0, longitude=10.0)
    bounds = _place_data(client.get(page_url).text, address)["bounds"]
    assert bounds == [[38.9, -77.0], [38.9, -77.0]]  # ward 2's address plays no part


def test_a_viewer_is_not_offered_to_place_a_pin(web, ward1, john):
    vera = make_member(ward1, "vera@ward1.example", Role.VIEWER, "Vera Viewer")
    text = web(vera).get(reverse("constituents:person-detail", args=[john.pk])).text
    assert "Place on the map" not in text
    assert "place-data-" not in text


def test_the_person_page_links_the_ward_outline_instead_of_carrying_it(web, alice, ward1, john):
    layer = import_layer(ward1, name="Ward", source=DC_WARDS.read_bytes(), name_property="NAME",
                         by=None).layer  # fmt: skip
    services.set_address_position(
        john.addresses.get(), by=alice, latitude=38.917, longitude=-77.0325
    )
    ward = layer.districts.get(name="Ward 2")  # U Street, west of 14th

    response = web(alice).get(reverse("constituents:person-detail", args=[john.pk]))

    text = response.text
    outline_url = reverse("geo:district-outline", args=[layer.pk, ward.pk])
    assert "<dt>Ward</dt><dd>Ward 2</dd>" in text
    assert f'"outlines": ["{outline_url}?v=' in text
    coordinates = {repr(float(v)) for v in shapely.get_coordinates(shape(ward.geometry)).ravel()}
    assert len(coordinates) > 10_000
    assert [c for c in coordinates if c in text] == []
    assert len(response.content) < 60_000


@pytest.mark.parametrize("calls", [2, 20])
def test_the_person_page_costs_the_same_for_2_or_20_calls(
    web, alice, ward1, john, potholes, calls, django_assert_max_num_queries
):
    now = timezone.now()
    for hours in range(calls):
        services.log_interaction(
            john, by=alice, kind="call", occurred_at=now - dt.timedelta(hours=hours), subject="x"
        )
    services.tag_people(ward1, person_ids=[john.pk], tag_ids=[potholes.pk], by=alice)
    client = web(alice)
    # the person and seven prefetches, the audit event (6 with its savepoint), relationships
    # to them, custom fields, the timeline, organizations, positions, the navbar, the session,
    # the person's cases (the section casework adds).
    with django_assert_max_num_queries(30):  # 2 for where "Place on the map" opens
        client.get(reverse("constituents:person-detail", args=[john.pk]))


def test_the_concern_reason_shows_only_to_managers(web, alice, manny, ward1):
    person = make_person(
        ward1, "Tomás", "Núñez", is_of_concern=True, concern_reason="Threatening voicemails"
    )
    url = reverse("constituents:person-detail", args=[person.pk])
    assert "Threatening voicemails" not in web(alice).get(url).text
    assert "Person of concern" not in web(alice).get(url).text
    manager_view = web(manny).get(url).text
    assert "Person of concern" in manager_view
    assert "Threatening voicemails" in manager_view


def test_the_timeline_is_newest_first_with_older_entries_on_request(web, alice, john, monkeypatch):
    monkeypatch.setattr("civicdesk.constituents.views.TIMELINE_SIZE", 2)
    now = timezone.now()
    for days in range(5):
        services.log_interaction(
            john,
            by=alice,
            kind="call",
            occurred_at=now - dt.timedelta(days=days),
            subject=f"Call {days} days ago",
        )
    client = web(alice)
    page = client.get(reverse("constituents:person-detail", args=[john.pk])).text
    assert re.findall(r"Call \d days ago", page) == ["Call 0 days ago", "Call 1 days ago"]
    assert "logged by Alice Alvarez" in page
    older_url = re.search(r'hx-get="([^"]+timeline[^"]+)"', page)[1].replace("&amp;", "&")

    older = client.get(older_url, **HTMX).text

    assert re.findall(r"Call \d days ago", older) == ["Call 2 days ago", "Call 3 days ago"]
    assert 'id="timeline-older"' in older


def test_logging_a_call_with_htmx_returns_the_new_entry(web, alice, john):
    response = web(alice).post(
        reverse("constituents:interaction-log", args=[john.pk]),
        {
            "kind": "call",
            "direction": "in",
            "occurred_at": "2024-05-01T14:02",
            "subject": "Pothole on U St",
            "notes": "Deep one.",
            "script": "intake",
            "outcome": "Opened a case",
        },
        **HTMX,
    )
    assert response.status_code == 200
    interaction = Interaction.objects.get()
    assert (interaction.subject, interaction.logged_by, interaction.script) == (
        "Pothole on U St",
        alice,
        "intake",
    )
    text = response.text
    assert text.lstrip().startswith(
        f'<li class="timeline-entry kind-call" id="interaction-{interaction.pk}"'
    )
    assert "Pothole on U St" in text
    assert "New constituent intake" in text
    assert 'id="interaction-form"' in text
    assert 'hx-swap-oob="true"' in text
    assert "<html" not in text


def test_the_call_time_is_read_in_the_office_time_zone(web, alice, john, ward1):
    ward1.time_zone = "America/New_York"
    ward1.save()
    web(alice).post(
        reverse("constituents:interaction-log", args=[john.pk]),
        {
            "kind": "walk_in",
            "direction": "in",
            "occurred_at": "2024-05-01T14:02",
            "subject": "Visit",
        },
        **HTMX,
    )
    assert Interaction.objects.get().occurred_at == dt.datetime(2024, 5, 1, 18, 2, tzinfo=dt.UTC)


def test_a_call_log_with_errors_comes_back_as_the_form(web, alice, john):
    response = web(alice).post(
        reverse("constituents:interaction-log", args=[john.pk]),
        {"kind": "call", "direction": "in", "occurred_at": "", "subject": "Lost call"},
        **HTMX,
    )
    assert response["HX-Retarget"] == "#interaction-form"
    assert response["HX-Reswap"] == "outerHTML"
    assert "This field is required." in response.text
    assert 'value="Lost call"' in response.text
    assert not Interaction.objects.exists()


def test_a_volunteer_cannot_log_a_call(web, victor, john):
    response = web(victor).post(
        reverse("constituents:interaction-log", args=[john.pk]),
        {"kind": "call", "direction": "in", "occurred_at": "2024-05-01T14:02", "subject": "x"},
    )
    assert response.status_code == 403
    assert not Interaction.objects.exists()


def test_adding_and_removing_a_tag_on_the_person_page(web, alice, john, potholes):
    client = web(alice)
    url = reverse("constituents:person-tags", args=[john.pk])
    added = client.post(url, {"tags": potholes.pk}, **HTMX)
    assert added.text.lstrip().startswith('<section class="card mb-3" id="person-tags"')
    assert list(john.tag_links.values_list("tag_id", flat=True)) == [potholes.pk]

    client.post(url, {"remove": potholes.pk}, **HTMX)

    assert not john.tag_links.exists()


def test_correcting_the_pin_moves_the_address_and_its_districts(web, alice, ward1, john):
    layer = DistrictLayer.objects.create(office=ward1, name="Ward", slug="ward", name_property="n")
    square = {
        "type": "Polygon",
        "coordinates": [[[-78, 38], [-76, 38], [-76, 40], [-78, 40], [-78, 38]]],
    }
    District.objects.create(
        office=ward1,
        layer=layer,
        name="Ward 7",
        geometry=square,
        min_lon=-78,
        min_lat=38,
        max_lon=-76,
        max_lat=40,
    )
    address = john.addresses.get()

    response = web(alice).post(
        reverse("constituents:address-position", args=[address.pk]),
        {"latitude": "38.9171234", "longitude": "-77.0321234"},
        **HTMX,
    )

    address.refresh_from_db()
    assert (address.latitude, address.longitude, address.geocode_source) == (
        38.9171234,
        -77.0321234,
        "manual",
    )
    assert f'id="address-{address.pk}"' in response.text
    assert "<dt>Ward</dt><dd>Ward 7</dd>" in response.text
    assert "Pin saved" in response.text


def test_a_pin_off_the_earth_is_refused(web, alice, john):
    address = john.addresses.get()
    response = web(alice).post(
        reverse("constituents:address-position", args=[address.pk]),
        {"latitude": "123", "longitude": "0"},
        **HTMX,
    )
    assert response.status_code == 400
    address.refresh_from_db()
    assert address.latitude is None


def test_adding_consent_an_external_id_a_position_and_a_relationship(
    web, alice, ward1, john, agency, potholes
):
    client = web(alice)
    spouse = make_person(ward1, "Jane", "Smith")
    today = timezone.localdate().isoformat()
    client.post(
        reverse("constituents:person-consent", args=[john.pk]),
        {"channel": "email", "is_granted": "yes", "source": "web form", "given_on": today},
    )
    client.post(
        reverse("constituents:person-external-id", args=[john.pk]),
        {"system": "voter", "value": "DC-1"},
    )
    client.post(
        reverse("constituents:person-position", args=[john.pk]),
        {"stance": "support", "issue": potholes.pk, "noted_on": today},
    )
    client.post(
        reverse("constituents:person-relationship", args=[john.pk]),
        {"kind": "spouse", "other_person": spouse.pk},
    )
    client.post(
        reverse("constituents:person-relationship", args=[john.pk]),
        {"kind": "employee", "organization": agency.pk, "title": "Inspector"},
    )

    assert john.consents.get().is_granted is True
    assert list(john.external_ids.values_list("system", "value")) == [("voter", "DC-1")]
    assert john.positions.get().tag == potholes
    assert sorted(john.relationships.values_list("kind", flat=True)) == ["employee", "spouse"]
    page = client.get(reverse("constituents:person-detail", args=[john.pk])).text
    assert "DC-1" in page
    assert "Inspector" in page
    assert "Jane Smith" in page
    org_page = client.get(reverse("constituents:organization-detail", args=[agency.pk])).text
    assert "John Smith" in org_page
    assert "Inspector" in org_page
    spouse_page = client.get(reverse("constituents:person-detail", args=[spouse.pk])).text
    assert "spouse of" in spouse_page
    assert "John Smith" in spouse_page


def test_a_relationship_to_another_offices_person_is_refused(web, alice, john, wren):
    response = web(alice).post(
        reverse("constituents:person-relationship", args=[john.pk]),
        {"kind": "spouse", "other_person": wren.pk},
        follow=True,
    )
    assert "not in this office" in response.text
    assert not john.relationships.exists()


def test_a_manager_deletes_a_person_and_a_caseworker_cannot(web, alice, manny, john):
    url = reverse("constituents:person-delete", args=[john.pk])
    assert web(alice).post(url, {"confirm": "delete"}).status_code == 403
    assert web(manny).post(url).status_code == 400  # not confirmed
    assert Person.objects.filter(pk=john.pk).exists()
    response = web(manny).post(url, {"confirm": "delete"})
    assert response.status_code == 302
    assert not Person.objects.filter(pk=john.pk).exists()


# ---------------------------------------------------------------- create and edit


def test_creating_a_person_with_contact_points_and_tags(web, alice, ward1, potholes):
    response = web(alice).post(
        reverse("constituents:person-create"),
        person_form_data(**{"emails-INITIAL_FORMS": "0", "tags": potholes.pk, "is_vip": "on"}),
    )
    person = Person.objects.get(last_name="Chen")
    assert response.status_code == 302
    assert response["Location"] == reverse("constituents:person-detail", args=[person.pk])
    assert (person.is_vip, person.created_by) == (True, alice)
    assert list(person.emails.values_list("email", "is_primary")) == [
        ("maria.chen@example.org", True)
    ]
    assert list(person.phones.values_list("number", flat=True)) == ["+12025550111"]
    assert person.addresses.get().postcode == "20009"
    assert list(person.tag_links.values_list("tag_id", flat=True)) == [potholes.pk]


def test_an_invalid_phone_is_shown_on_its_field_and_nothing_typed_is_lost(web, alice):
    response = web(alice).post(
        reverse("constituents:person-create"),
        person_form_data(**{"phones-0-number": "555-12", "middle_name": "Li"}),
    )
    assert response.status_code == 200
    assert not Person.objects.exists()
    text = response.text
    assert "“555-12” is not a valid phone number." in text
    number_field = re.search(r'<input[^>]*name="phones-0-number"[^>]*>', text)[0]
    assert 'value="555-12"' in number_field
    assert "is-invalid" in number_field
    for kept in (
        'value="Maria"',
        'value="Chen"',
        'value="Li"',
        'value="maria.chen@example.org"',
        'value="1600 U Street NW"',
    ):
        assert kept in text


def test_an_invalid_email_and_zip_sit_on_their_fields(web, alice):
    text = (
        web(alice)
        .post(
            reverse("constituents:person-create"),
            person_form_data(**{"emails-0-email": "maria@", "addresses-0-postcode": "2000"}),
        )
        .text
    )
    assert re.search(r'id="id_emails-0-email_error">“maria@” is not a valid email address.', text)
    assert re.search(r'id="id_addresses-0-postcode_error">“2000” is not a ZIP code.', text)


def test_a_person_needs_a_name(web, alice):
    response = web(alice).post(
        reverse("constituents:person-create"), person_form_data(first_name="", last_name="")
    )
    assert "Enter a first or last name." in response.text
    assert not Person.objects.exists()


def test_another_row_is_added_with_the_form_count_bumped(web, alice):
    response = web(alice).get(
        reverse("constituents:contact-row"), {"kind": "phone", "phones-TOTAL_FORMS": "2"}, **HTMX
    )
    assert 'name="phones-2-number"' in response.text
    assert re.search(
        r'<input type="hidden" name="phones-TOTAL_FORMS" value="3" id="id_phones-TOTAL_FORMS" '
        r'hx-swap-oob="true">',
        response.text,
    )


def test_rows_added_and_removed_in_the_form_are_saved(web, alice, john):
    data = person_form_data(
        john,
        first_name="John",
        last_name="Smith",
        **{
            "emails-TOTAL_FORMS": "2",
            "emails-1-email": "john@work.example",
            "emails-1-kind": "work",
            "emails-primary": "emails-1",
            "phones-0-DELETE": "on",
        },
    )
    web(alice).post(reverse("constituents:person-edit", args=[john.pk]), data)
    assert sorted(john.emails.values_list("email", "is_primary")) == [
        ("john@work.example", True),
        ("maria.chen@example.org", False),
    ]
    assert not john.phones.exists()


def test_editing_keeps_a_hand_placed_pin(web, alice, john):
    address = john.addresses.get()
    services.set_address_position(address, by=alice, latitude=38.91, longitude=-77.03)
    john.refresh_from_db()
    data = person_form_data(
        john,
        first_name="Johnny",
        last_name="Smith",
        **{"addresses-0-line1": "1420 U Street NW", "addresses-0-postcode": "20009"},
    )
    web(alice).post(reverse("constituents:person-edit", args=[john.pk]), data)
    john.refresh_from_db()
    kept = john.addresses.get()
    assert (john.first_name, kept.pk, kept.latitude, kept.geocode_source) == (
        "Johnny",
        address.pk,
        38.91,
        "manual",
    )


def test_an_edit_conflict_keeps_what_was_typed_and_a_second_save_works(web, alice, manny, john):
    opened_on = john.version
    manny_data = person_form_data(john, first_name="Jonathan", last_name="Smith")
    web(manny).post(reverse("constituents:person-edit", args=[john.pk]), manny_data)
    john.refresh_from_db()
    assert john.version == opened_on + 1

    alice_data = person_form_data(
        john, first_name="John", last_name="Smith-Jones", version=str(opened_on)
    )
    response = web(alice).post(reverse("constituents:person-edit", args=[john.pk]), alice_data)

    assert response.status_code == 200
    text = response.text
    assert re.search(
        r"Manny Moreno changed this record at [^<]+ while you were editing; your changes are "
        r"below — review and save again\.",
        text,
    )
    assert 'value="Smith-Jones"' in text  # what alice typed is still there
    assert "Now saved: Jonathan" in text  # where manny's save differs, it says so
    assert "Now saved: Smith<" not in text  # alice's own edit is not flagged
    assert "Their save changed: First name, Emails, Phones, Addresses." in text
    assert f'name="version" value="{john.version}"' in text
    john.refresh_from_db()
    assert (john.first_name, john.last_name) == ("Jonathan", "Smith")

    resubmitted = dict(alice_data, version=str(john.version))
    second = web(alice).post(reverse("constituents:person-edit", args=[john.pk]), resubmitted)

    assert second.status_code == 302
    john.refresh_from_db()
    assert (john.first_name, john.last_name) == ("John", "Smith-Jones")


def test_edit_adds_and_removes_only_the_tags_the_user_changed(
    web, alice, ward1, john, potholes, parks
):
    services.tag_people(ward1, person_ids=[john.pk], tag_ids=[potholes.pk], by=alice)
    john.refresh_from_db()
    opened = {"tags_before": str(potholes.pk), "tags": [parks.pk]}  # removed potholes, added parks
    schools = make_tag(ward1, "Schools")
    # Someone else tagged John with Schools meanwhile: this save must not take it off.
    services.tag_people(ward1, person_ids=[john.pk], tag_ids=[schools.pk], by=alice)
    data = person_form_data(john, first_name="John", last_name="Smith", **opened)
    data["tags_before"] = str(potholes.pk)

    web(alice).post(reverse("constituents:person-edit", args=[john.pk]), data)

    assert set(john.tag_links.values_list("tag_id", flat=True)) == {parks.pk, schools.pk}


def test_a_caseworker_never_sees_or_sets_the_concern_fields(web, alice, manny, john):
    url = reverse("constituents:person-edit", args=[john.pk])
    assert "concern_reason" not in web(alice).get(url).text
    assert 'name="concern_reason"' in web(manny).get(url).text
    data = person_form_data(
        john, first_name="John", last_name="Smith", is_of_concern="on", concern_reason="x"
    )
    web(alice).post(url, data)
    john.refresh_from_db()
    assert (john.is_of_concern, john.concern_reason) == (False, "")


def test_custom_fields_are_on_the_form_and_the_page(web, alice, ward1, john):
    services.define_custom_field(
        ward1, by=None, key="block_captain", label="Block captain", field_type="yes_no"
    )
    data = person_form_data(john, first_name="John", last_name="Smith", custom_block_captain="true")
    web(alice).post(reverse("constituents:person-edit", args=[john.pk]), data)
    john.refresh_from_db()
    assert john.custom == {"block_captain": True}
    page = web(alice).get(reverse("constituents:person-detail", args=[john.pk])).text
    assert "Block captain" in page


# ---------------------------------------------------------------- households


def test_starting_a_household_with_a_person_and_their_partner(web, alice, ward1, john):
    jane = make_person(ward1, "Jane", "Smith")
    response = web(alice).post(
        reverse("constituents:household-create", args=[john.pk]),
        {
            "name": "The Smiths",
            "joint_salutation": "Dear Mr. and Mrs. Smith",
            "member_ids": [jane.pk],
        },
    )
    household = Household.objects.get()
    assert response["Location"] == reverse("constituents:household-detail", args=[household.pk])
    assert set(household.members.values_list("pk", flat=True)) == {john.pk, jane.pk}
    page = web(alice).get(response["Location"]).text
    assert "Dear Mr. and Mrs. Smith" in page
    assert "Jane Smith" in page


def test_adding_and_removing_household_members(web, alice, ward1, household, john):
    jane = make_person(ward1, "Jane", "Smith")
    url = reverse("constituents:household-detail", args=[household.pk])
    client = web(alice)
    client.post(url, {"action": "add", "person_id": jane.pk})
    assert set(household.members.values_list("pk", flat=True)) == {john.pk, jane.pk}
    client.post(url, {"action": "remove", "person_id": john.pk})
    assert list(household.members.values_list("pk", flat=True)) == [jane.pk]


def test_renaming_a_household_and_its_salutation(web, alice, household):
    response = web(alice).post(
        reverse("constituents:household-edit", args=[household.pk]),
        {"name": "Smith family", "joint_salutation": "Dear Smiths"},
    )
    assert response["Location"] == reverse("constituents:household-detail", args=[household.pk])
    household.refresh_from_db()
    assert (household.name, household.joint_salutation) == ("Smith family", "Dear Smiths")
    assert AuditEvent.objects.filter(action="household.changed").exists()


def test_a_household_needs_a_name(web, alice, household):
    url = reverse("constituents:household-edit", args=[household.pk])
    web(alice).post(url, {"name": "", "joint_salutation": "x"})
    household.refresh_from_db()
    assert household.name == "The Smiths"


def test_dissolving_a_household_keeps_its_members(web, alice, household, john):
    page = web(alice).get(reverse("constituents:household-detail", args=[household.pk])).text
    delete_url = reverse("constituents:household-delete", args=[household.pk])
    assert f'action="{delete_url}"' in page
    assert "data-confirm=" in page
    response = web(alice).post(delete_url)
    assert response["Location"] == reverse("constituents:person-list")
    assert not Household.objects.exists()
    john.refresh_from_db()
    assert john.household_id is None


def test_a_viewer_cannot_change_or_dissolve_a_household(web, ward1, household):
    viewer = make_member(ward1, "vi@ward1.example", Role.VIEWER, "Vi Ewer")
    client = web(viewer)
    page = client.get(reverse("constituents:household-detail", args=[household.pk])).text
    assert reverse("constituents:household-delete", args=[household.pk]) not in page
    assert (
        client.post(reverse("constituents:household-delete", args=[household.pk])).status_code
        == 403
    )
    edit = reverse("constituents:household-edit", args=[household.pk])
    assert client.post(edit, {"name": "X"}).status_code == 403
    assert Household.objects.get().name == "The Smiths"


def test_the_person_picker_searches_the_own_office_only(web, alice, john, wren):
    response = web(alice).get(
        reverse("constituents:person-search"), {"q": "Smith", "field": "member_ids"}
    )
    assert f'value="{john.pk}"' in response.text
    assert f'value="{wren.pk}"' not in response.text
    assert 'type="checkbox"' in response.text


# ---------------------------------------------------------------- organizations


def test_creating_and_filtering_organizations(web, alice, ward1):
    client = web(alice)
    response = client.post(
        reverse("constituents:organization-create"),
        {"name": "Housing Authority", "kind": "agency", "phone": "202-555-0100", "is_active": "on"},
    )
    org = Organization.objects.get()
    assert response["Location"] == reverse("constituents:organization-detail", args=[org.pk])
    assert org.phone == "+12025550100"
    services.create_organization(
        ward1, by=alice, fields={"name": "Corner Cafe", "kind": "business"}
    )
    url = reverse("constituents:organization-list")
    agencies = client.get(url, {"kind": "agency"}, **HTMX).text
    assert "Housing Authority" in agencies
    assert "Corner Cafe" not in agencies
    assert "<html" not in agencies


def test_an_organization_with_a_bad_phone_keeps_the_input(web, alice):
    response = web(alice).post(
        reverse("constituents:organization-create"),
        {"name": "DPW", "kind": "agency", "phone": "12"},
    )
    assert "“12” is not a valid phone number." in response.text
    assert 'value="DPW"' in response.text
    assert not Organization.objects.exists()


def test_deleting_an_organization_from_its_page(web, alice, agency):
    page = web(alice).get(reverse("constituents:organization-detail", args=[agency.pk])).text
    url = reverse("constituents:organization-delete", args=[agency.pk])
    assert f'action="{url}"' in page
    assert "data-confirm=" in page
    response = web(alice).post(url)
    assert response["Location"] == reverse("constituents:organization-list")
    assert not Organization.objects.exists()
    assert AuditEvent.objects.filter(action="organization.deleted").exists()


def test_a_viewer_cannot_delete_an_organization(web, ward1, agency):
    viewer = make_member(ward1, "vi@ward1.example", Role.VIEWER, "Vi Ewer")
    client = web(viewer)
    url = reverse("constituents:organization-delete", args=[agency.pk])
    assert url not in client.get(reverse("constituents:organization-detail", args=[agency.pk])).text
    assert client.post(url).status_code == 403
    assert client.get(url).status_code == 405
    assert Organization.objects.exists()


# ---------------------------------------------------------------- custom fields


def test_an_admin_adds_a_choice_field_that_appears_on_the_person_form(web, adam, ward1, john):
    client = web(adam)
    url = reverse("constituents:custom-field-list")
    assert url in client.get(reverse("reports:home")).text  # the Office menu links it
    response = client.post(
        url,
        {
            "label": "Newsletter edition",
            "key": "",
            "field_type": "choice",
            "choices": "Print\n\n  Email \nPrint\n",
        },
    )
    assert response["Location"] == url
    field = CustomField.objects.get(office=ward1)
    assert (field.key, field.label, field.choices) == (
        "newsletter_edition",
        "Newsletter edition",
        ["Print", "Email"],
    )
    assert "Newsletter edition" in client.get(url).text
    form = client.get(reverse("constituents:person-edit", args=[john.pk])).text
    assert 'name="custom_newsletter_edition"' in form


def test_a_choice_field_without_choices_is_refused_on_the_form(web, adam):
    response = web(adam).post(
        reverse("constituents:custom-field-list"),
        {"label": "Edition", "key": "edition", "field_type": "multi_choice", "choices": "Only"},
    )
    assert response.status_code == 200
    assert "A choice field needs at least two choices." in response.text
    assert not CustomField.objects.exists()


def test_custom_fields_are_for_admins_only(web, alice, manny):
    url = reverse("constituents:custom-field-list")
    for member in (alice, manny):
        client = web(member)
        assert client.get(url).status_code == 403
        assert url not in client.get(reverse("reports:home")).text


def test_another_offices_custom_field_is_a_404(web, adam, ward2):
    theirs = services.define_custom_field(
        ward2, by=None, key="captain", label="Captain", field_type="text"
    )
    url = reverse("constituents:custom-field-edit", args=[theirs.pk])
    assert web(adam).post(url, {"active": "0"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active


def test_editing_and_deactivating_a_custom_field(web, adam, ward1, john):
    field = services.define_custom_field(
        ward1, by=None, key="edition", label="Edition", field_type="choice", choices=["A", "B"]
    )
    client = web(adam)
    url = reverse("constituents:custom-field-edit", args=[field.pk])
    client.post(url, {"label": "Newsletter", "choices": "A\nB\nC"})
    field.refresh_from_db()
    assert (field.label, field.choices) == ("Newsletter", ["A", "B", "C"])
    form_url = reverse("constituents:person-edit", args=[john.pk])
    client.post(url, {"active": "0"})
    field.refresh_from_db()
    assert not field.is_active
    assert 'name="custom_edition"' not in client.get(form_url).text
    client.post(url, {"active": "1"})
    field.refresh_from_db()
    assert field.is_active
    assert 'name="custom_edition"' in client.get(form_url).text


# ---------------------------------------------------------------- navigation and dashboard


def test_every_role_that_can_view_tags_reaches_them_from_the_menu(web, victor, alice):
    for member in (victor, alice):
        text = web(member).get(reverse("jobs:job-list")).text
        assert reverse("tags:tag-list") in text
    volunteer_menu = web(victor).get(reverse("jobs:job-list")).text
    assert reverse("accounts:staff-list") not in volunteer_menu


def test_the_navbar_links_people_and_organizations(web, alice, victor):
    text = web(alice).get(reverse("reports:home")).text
    assert reverse("constituents:person-list") in text
    assert reverse("constituents:organization-list") in text
    assert reverse("constituents:person-list") not in web(victor).get(reverse("reports:home")).text


def test_the_dashboard_tile_sets_up_an_empty_office_then_counts(alice, ward1):
    setup = people_tile(alice)
    assert (setup.title, setup.is_setup) == ("Add or import your constituents", True)
    make_person(ward1, "Ada", "Okafor")
    tile = people_tile(alice)
    assert (tile.title, tile.count, tile.is_setup) == ("People", 1, False)


def test_the_address_position_url_uses_the_address_id(john):
    address = Address.objects.get(person=john)
    assert reverse("constituents:address-position", args=[address.pk]).endswith(
        f"/addresses/{address.pk}/position/"
    )


def test_the_tag_picker_sends_staff_to_a_manager_or_an_admin(web, alice):
    response = web(alice).get(reverse("tags:typeahead"), {"q": "zzz", "create": "0"})
    assert "No tag matches; ask a manager or an admin if one is missing." in response.text
