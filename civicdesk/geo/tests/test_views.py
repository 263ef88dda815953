import json
import re

import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from shapely.geometry import shape

from civicdesk.audit.models import AuditEvent
from civicdesk.constituents.models import Address, AddressDistrict, Person
from civicdesk.geo import queries
from civicdesk.geo.models import District, DistrictLayer
from civicdesk.geo.services import REASSIGN_JOB, import_layer
from civicdesk.geo.tests.factories import DC_WARDS, make_layer, squares
from civicdesk.geo.tests.test_services import projected
from civicdesk.jobs import registry
from civicdesk.jobs.models import Job

IMPORT_URL = reverse("geo:layer-import")


def upload(client, collection, name="Ward", filename="wards.geojson"):
    content = collection if isinstance(collection, bytes) else json.dumps(collection).encode()
    file = SimpleUploadedFile(filename, content, content_type="application/geo+json")
    return client.post(IMPORT_URL, {"name": name, "file": file})


def token_of(response) -> str:
    return re.search(r'name="upload" value="([^"]+)"', response.text)[1]


def choose(client, response, **fields):
    data = {"upload": token_of(response), "name": "Ward", "name_property": "NAME", **fields}
    return client.post(IMPORT_URL, {key: value for key, value in data.items() if value is not None})


def add_person_in(district: District, count: int = 1) -> None:
    for n in range(count):
        person = Person.objects.create(office=district.office, first_name=f"P{n}")
        address = Address.objects.create(
            office=district.office, person=person, line1=f"{n} Main St"
        )
        AddressDistrict.objects.create(
            office=district.office, address=address, layer=district.layer, district=district
        )


# ---------------------------------------------------------------- the import, in two steps


def test_import_in_two_steps(web, adam):
    client = web(adam)

    step1 = upload(client, squares(2))

    assert step1.status_code == 200
    assert '<option value="codes.gss">codes.gss — E05001, E05002</option>' in step1.text
    assert '<option value="NAME" selected>NAME — North 1, North 2</option>' in step1.text
    step2 = choose(client, step1, code_property="CODE", srid="")
    layer = DistrictLayer.objects.get()
    assert step2.status_code == 302
    assert step2.url == reverse("geo:layer-detail", kwargs={"layer_id": layer.pk})
    assert (layer.source_filename, layer.districts.count()) == ("wards.geojson", 2)
    assert AuditEvent.objects.filter(action="district_layer.imported", actor=adam).count() == 1
    assert "Imported 2 districts into “Ward”." in client.get(step2.url).text


def test_a_bad_file_keeps_the_layer_name_typed(web, adam):
    response = upload(web(adam), b"{not json", name="Voting precinct")

    assert response.status_code == 200
    assert "The file is not valid JSON (line 1, column 2" in response.text
    assert 'value="Voting precinct"' in response.text
    assert DistrictLayer.objects.count() == 0


def test_a_refused_choice_keeps_every_choice_made(web, adam):
    client = web(adam)
    step1 = upload(client, squares(2), name="Council district")

    response = choose(client, step1, name="Council district", name_property="codes.gss",
                      code_property="CODE", srid="3857")  # fmt: skip

    assert response.status_code == 200
    assert "look like longitude/latitude" in response.text
    assert 'value="Council district"' in response.text
    assert '<option value="codes.gss" selected>' in response.text
    assert '<option value="CODE" selected>' in response.text
    assert 'value="3857"' in response.text
    assert token_of(response) == token_of(step1)  # the same upload, not a new one
    assert DistrictLayer.objects.count() == 0


def test_projected_coordinates_ask_for_the_epsg_code_then_import(web, adam):
    client = web(adam)
    step1 = upload(client, projected(squares(2, x0=-77.1, y0=38.85)))
    assert "Its coordinates are not longitude/latitude" in step1.text

    refused = choose(client, step1, srid="")
    assert "coordinates are not longitude/latitude — name the EPSG code" in refused.text

    done = choose(client, refused, srid="26985")
    assert done.status_code == 302
    assert DistrictLayer.objects.get().source_srid == 26985


def test_an_expired_upload_asks_to_upload_again(web, adam):
    response = web(adam).post(
        IMPORT_URL, {"upload": "forged", "name": "Ward", "name_property": "NAME"}
    )

    assert response.status_code == 400
    assert "The uploaded file has expired; upload it again." in response.text
    assert DistrictLayer.objects.count() == 0


def test_another_persons_upload_cannot_be_used(web, adam, dora):
    step1 = upload(web(adam), squares(2))

    response = choose(web(dora), step1)

    assert response.status_code == 400
    assert DistrictLayer.objects.count() == 0


def test_reimport_page_says_the_layer_is_replaced(web, adam, layer):
    response = upload(web(adam), squares(3), name="ward")

    assert "A layer “Ward” exists: importing replaces its 2 districts" in response.text


# ---------------------------------------------------------------- who may do what


def test_a_caseworker_sees_layers_but_cannot_import_or_delete(web, alice, layer):
    client = web(alice)

    listing = client.get(reverse("geo:layer-list"))

    assert listing.status_code == 200
    assert "Ward" in listing.text
    assert IMPORT_URL not in listing.text
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, squares(2)).status_code == 403
    delete = reverse("geo:layer-delete", kwargs={"layer_id": layer.pk})
    assert client.post(delete).status_code == 403
    assert DistrictLayer.objects.count() == 1


def test_a_volunteer_cannot_see_districts(web, victor, layer):
    assert web(victor).get(reverse("geo:layer-list")).status_code == 403


def test_another_offices_layer_is_404(web, carol, dora, layer):
    for name in ("geo:layer-detail", "geo:layer-geojson"):
        assert web(carol).get(reverse(name, kwargs={"layer_id": layer.pk})).status_code == 404
    delete = reverse("geo:layer-delete", kwargs={"layer_id": layer.pk})
    assert web(dora).post(delete).status_code == 404
    assert DistrictLayer.objects.count() == 1


def test_the_layer_list_shows_only_the_offices_layers(web, carol, layer):
    make_layer(carol.office, name="Liu precincts")

    text = web(carol).get(reverse("geo:layer-list")).text

    assert "Liu precincts" in text
    assert reverse("geo:layer-detail", kwargs={"layer_id": layer.pk}) not in text


def test_delete_layer(web, adam, layer):
    response = web(adam).post(reverse("geo:layer-delete", kwargs={"layer_id": layer.pk}))

    assert response.status_code == 302
    assert (DistrictLayer.objects.count(), District.objects.count()) == (0, 0)
    assert AuditEvent.objects.filter(action="district_layer.deleted").count() == 1


# ---------------------------------------------------------------- the map page


def test_the_map_page_counts_people_per_district(web, alice, layer):
    north1, north2 = layer.districts.order_by("name")
    add_person_in(north1, 2)
    add_person_in(north2, 1)

    response = web(alice).get(reverse("geo:layer-detail", kwargs={"layer_id": layer.pk}))

    rows = re.findall(
        r'<tr data-district-id="(\d+)"><td>(.*?)</td><td>(.*?)</td><td class="text-end">(\d+)</td>',
        response.text,
    )
    assert rows == [(str(north1.pk), "North 1", "1", "2"), (str(north2.pk), "North 2", "2", "1")]
    geojson_url = reverse("geo:layer-geojson", kwargs={"layer_id": layer.pk})
    assert f'data-geojson-url="{geojson_url}"' in response.text


def test_pages_have_no_inline_script(web, adam, layer):
    client = web(adam)
    for url in (
        reverse("geo:layer-list"),
        IMPORT_URL,
        reverse("geo:layer-detail", kwargs={"layer_id": layer.pk}),
    ):
        scripts = re.findall(r"<script([^>]*)>", client.get(url).text)
        assert scripts, url
        assert all("src=" in attributes for attributes in scripts), url


def test_the_geojson_of_a_layer(web, alice, layer):
    north1, north2 = layer.districts.order_by("name")
    add_person_in(north1)

    collection = web(alice).get(reverse("geo:layer-geojson", kwargs={"layer_id": layer.pk})).json()

    assert collection["type"] == "FeatureCollection"
    assert [f["properties"] for f in collection["features"]] == [
        {"id": north1.pk, "name": "North 1", "code": "1", "people": 1},
        {"id": north2.pk, "name": "North 2", "code": "2", "people": 0},
    ]
    assert collection["features"][0]["geometry"]["type"] == "Polygon"


def test_the_office_menu_links_to_districts(web, alice):
    assert reverse("geo:layer-list") in web(alice).get(reverse("reports:home")).text


def test_district_names_from_the_file_are_escaped(web, alice, ward1):
    collection = squares(1)
    collection["features"][0]["properties"]["NAME"] = "<b>Evil</b>"
    layer = import_layer(ward1, name="Ward", source=collection, name_property="NAME", by=None).layer

    text = web(alice).get(reverse("geo:layer-detail", kwargs={"layer_id": layer.pk})).text

    assert "<b>Evil</b>" not in text
    assert "&lt;b&gt;Evil&lt;/b&gt;" in text


def test_the_map_page_follows_the_reassignment_job(web, adam, alice, monkeypatch):
    monkeypatch.setitem(registry.JOB_HANDLERS, REASSIGN_JOB, lambda context: None)
    client = web(adam)
    step1 = upload(client, squares(2))

    detail = client.get(choose(client, step1).url)

    job = Job.objects.get(kind=REASSIGN_JOB)
    assert "Addresses are being re-assigned in the background" in detail.text
    assert f'hx-get="{reverse("jobs:job-detail", kwargs={"job_id": job.pk})}"' in detail.text
    other = web(alice).get(reverse("geo:layer-detail", kwargs={"layer_id": job.params["layer_id"]}))
    assert "hx-get" not in other.text  # a caseworker does not follow the admin's jobs


def test_the_map_page_draws_simplified_outlines(web, alice, dc_wards):
    url = reverse("geo:layer-geojson", kwargs={"layer_id": dc_wards.pk})

    response = web(alice).get(url)

    drawn = {f["properties"]["name"]: shape(f["geometry"]) for f in response.json()["features"]}
    stored = {d.name: shape(d.geometry) for d in dc_wards.districts.all()}
    assert sorted(drawn) == sorted(stored)
    assert len(response.content) < 40_000  # the stored shapes are 889 KB of GeoJSON
    assert max(drawn[name].hausdorff_distance(stored[name]) for name in stored) < 0.0002


# ---------------------------------------------------------------- one district's outline


def outline_url(district: District, layer: DistrictLayer | None = None) -> str:
    layer_id = (layer or district.layer).pk
    return reverse(
        "geo:district-outline", kwargs={"layer_id": layer_id, "district_id": district.pk}
    )


def test_a_district_outline_is_simplified_for_drawing(web, alice, dc_wards):
    ward = dc_wards.districts.get(name="Ward 2")

    response = web(alice).get(outline_url(ward))

    feature = response.json()
    drawn, stored = shape(feature["geometry"]), shape(ward.geometry)
    assert (response.status_code, feature["type"], feature["id"]) == (200, "Feature", ward.pk)
    assert shapely.get_num_coordinates(stored) == 6389
    assert shapely.get_num_coordinates(drawn) < 200
    assert drawn.is_valid
    assert drawn.hausdorff_distance(stored) < 0.0002  # the tolerance, and the 6-decimal grid
    assert len(response.content) < 5_000


def test_a_district_outline_is_cached_until_the_layer_is_imported_again(
    web, alice, ward1, dc_wards, monkeypatch
):
    simplified = []
    monkeypatch.setattr(
        queries, "display_outline", lambda geometry, **kw: simplified.append(kw) or geometry
    )
    ward1_url, ward2_url = (
        outline_url(dc_wards.districts.get(name=n)) for n in ("Ward 1", "Ward 2")
    )
    client = web(alice)

    first = client.get(ward1_url)
    again = client.get(ward1_url, headers={"if-none-match": first["ETag"]})
    other = client.get(ward2_url)

    assert (first.status_code, again.status_code, other.status_code) == (200, 304, 200)
    assert first["Cache-Control"] == again["Cache-Control"] == "private, max-age=86400"
    assert again["ETag"] == first["ETag"]
    assert len(simplified) == 8  # every ward of the layer once, on the first request
    reimported = import_layer(ward1, name="DC ward", source=DC_WARDS.read_bytes(),
                              name_property="NAME", by=None).layer  # fmt: skip
    new_ward1 = reimported.districts.get(name="Ward 1")
    assert client.get(ward1_url).status_code == 404  # new districts, new ids
    assert client.get(outline_url(new_ward1)).status_code == 200
    assert len(simplified) == 16


def test_another_offices_district_outline_is_404(web, alice, carol, layer):
    north1 = layer.districts.get(name="North 1")
    theirs = make_layer(carol.office, name="Theirs").districts.get(name="North 1")
    other_layer = make_layer(alice.office, name="Precinct").districts.get(name="North 1")

    assert web(alice).get(outline_url(north1)).status_code == 200
    assert web(carol).get(outline_url(north1)).status_code == 404
    assert web(alice).get(outline_url(theirs, layer)).status_code == 404
    assert web(alice).get(outline_url(other_layer, layer)).status_code == 404  # not this layer's


def test_a_volunteer_cannot_read_district_outlines(web, victor, layer):
    assert web(victor).get(outline_url(layer.districts.first())).status_code == 403
