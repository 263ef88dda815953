import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicdesk.geo.models import DistrictLayer
from civicdesk.geo.tests.factories import feature, make_layer, square, squares
from civicdesk.geo.tests.test_views import add_person_in


def test_list_layers(api, alice, layer, carol, django_assert_num_queries):
    make_layer(carol.office, name="Theirs")
    client = api(alice)

    with django_assert_num_queries(3):  # the token, its membership, the layers
        response = client.get("/api/v1/districts/layers")

    assert response.status_code == 200
    [only] = response.json()
    assert {key: only[key] for key in ("id", "name", "slug", "district_count", "source_srid")} == {
        "id": layer.pk,
        "name": "Ward",
        "slug": "ward",
        "district_count": 2,
        "source_srid": 4326,
    }


def test_a_layer_with_its_districts_and_no_shapes(api, alice, layer):
    north1, north2 = layer.districts.order_by("name")
    add_person_in(north2, 2)

    body = api(alice).get(f"/api/v1/districts/layers/{layer.pk}").json()

    assert (body["name"], body["district_count"]) == ("Ward", 2)
    assert body["districts"] == [
        {
            "id": north1.pk,
            "name": "North 1",
            "code": "1",
            "properties": {"NAME": "North 1", "CODE": "1", "codes": {"gss": "E05001"}},
            "bbox": [10.0, 50.0, 11.0, 51.0],
            "people_count": 0,
        },
        {
            "id": north2.pk,
            "name": "North 2",
            "code": "2",
            "properties": {"NAME": "North 2", "CODE": "2", "codes": {"gss": "E05002"}},
            "bbox": [11.0, 50.0, 12.0, 51.0],
            "people_count": 2,
        },
    ]


def test_a_layer_as_geojson(api, alice, layer):
    body = api(alice).get(f"/api/v1/districts/layers/{layer.pk}/geojson").json()

    assert body["type"] == "FeatureCollection"
    assert [feature["properties"]["name"] for feature in body["features"]] == ["North 1", "North 2"]
    assert body["features"][0]["geometry"] == {
        "type": "Polygon",
        "coordinates": [[[10.0, 50.0], [11.0, 50.0], [11.0, 51.0], [10.0, 51.0], [10.0, 50.0]]],
    }


def test_lookup_gives_the_district_of_every_layer(api, alice, ward1, layer):
    precincts = make_layer(ward1, name="Precinct", count=1)

    response = api(alice).post(
        "/api/v1/districts/lookup", {"lat": 50.5, "lon": 11.5}, content_type="application/json"
    )

    north2 = layer.districts.get(name="North 2")
    assert response.status_code == 200
    assert response.json() == {
        "lat": 50.5,
        "lon": 11.5,
        "layers": [
            {
                "layer": {"id": precincts.pk, "name": "Precinct", "slug": "precinct"},
                "district": None,
            },
            {
                "layer": {"id": layer.pk, "name": "Ward", "slug": "ward"},
                "district": {"id": north2.pk, "name": "North 2", "code": "2"},
            },
        ],
    }


def test_lookup_refuses_a_position_off_the_globe(api, alice):
    response = api(alice).post(
        "/api/v1/districts/lookup", {"lat": 95, "lon": 11.5}, content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_lookup_ignores_another_offices_layers(api, carol, layer):
    response = api(carol).post(
        "/api/v1/districts/lookup", {"lat": 50.5, "lon": 10.5}, content_type="application/json"
    )

    assert response.json()["layers"] == []


@pytest.mark.parametrize("suffix", ["", "/geojson"])
def test_another_offices_layer_is_404_like_a_missing_one(api, carol, layer, suffix):
    client = api(carol)

    other = client.get(f"/api/v1/districts/layers/{layer.pk}{suffix}")
    missing = client.get(f"/api/v1/districts/layers/999999{suffix}")

    assert other.status_code == missing.status_code == 404
    assert (
        other.json()
        == missing.json()
        == {"error": {"code": "not_found", "message": "Not found.", "details": None}}
    )


def test_a_volunteer_may_not_read_districts(api, victor, layer):
    response = api(victor).get("/api/v1/districts/layers")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def _upload(geojson: dict, name: str = "layer.geojson"):
    return SimpleUploadedFile(
        name, json.dumps(geojson).encode(), content_type="application/geo+json"
    )


def test_an_admin_imports_a_layer_through_the_api(api, adam):
    response = api(adam).post(
        "/api/v1/districts/layers",
        {
            "name": "Precinct",
            "name_property": "NAME",
            "code_property": "CODE",
            "file": _upload(squares(3)),
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["layer"]["name"], body["district_count"], body["is_new"]) == ("Precinct", 3, True)
    layer = DistrictLayer.objects.get(office=adam.office, slug="precinct")
    assert sorted(layer.districts.values_list("code", flat=True)) == ["1", "2", "3"]


def test_a_caseworker_may_not_import_a_layer(api, alice):
    response = api(alice).post(
        "/api/v1/districts/layers",
        {"name": "Precinct", "name_property": "NAME", "file": _upload(squares())},
    )

    assert response.status_code == 403
    assert not DistrictLayer.objects.exists()


def test_projected_coordinates_without_an_epsg_code_are_refused_with_a_reason(api, adam):
    projected = {
        "type": "FeatureCollection",
        "features": [feature(square(397000, 137000, 500), NAME="A")],
    }

    response = api(adam).post(
        "/api/v1/districts/layers",
        {"name": "Ward", "name_property": "NAME", "file": _upload(projected)},
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "not_lonlat"
    assert not DistrictLayer.objects.exists()


def test_an_admin_deletes_a_layer_and_another_office_cannot(api, adam, dora, layer):

    assert api(dora).delete(f"/api/v1/districts/layers/{layer.pk}").status_code == 404
    assert DistrictLayer.objects.filter(pk=layer.pk).exists()

    assert api(adam).delete(f"/api/v1/districts/layers/{layer.pk}").status_code == 204
    assert not DistrictLayer.objects.filter(pk=layer.pk).exists()
