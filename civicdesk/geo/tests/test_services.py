import json

import numpy as np
import pytest
from pyproj import Transformer

from civicdesk.audit.models import AuditEvent
from civicdesk.core.errors import NotAllowed
from civicdesk.geo import services
from civicdesk.geo.errors import DistrictFileRefused, LayerNameRequired
from civicdesk.geo.models import District, DistrictLayer
from civicdesk.geo.tests.factories import feature, square, squares
from civicdesk.jobs import registry
from civicdesk.jobs.models import Job


def import_squares(office, source=None, **options):
    options = {"name": "Ward", "name_property": "NAME", "by": None, **options}
    return services.import_layer(office, source=source or squares(), **options)


def refusal(office, source, **options) -> DistrictFileRefused:
    with pytest.raises(DistrictFileRefused) as caught:
        import_squares(office, source, **options)
    assert DistrictLayer.objects.count() == 0  # nothing half-imported
    assert District.objects.count() == 0
    return caught.value


def projected(collection: dict, srid: int = 26985) -> dict:
    """The same collection with its coordinates in another coordinate system."""
    to = Transformer.from_crs(4326, srid, always_xy=True)
    converted = json.loads(json.dumps(collection))
    for item in converted["features"]:
        rings = item["geometry"]["coordinates"]
        item["geometry"]["coordinates"] = [
            [list(to.transform(*xy)) for xy in ring] for ring in rings
        ]
    return converted


def dc_squares() -> dict:
    return squares(2, x0=-77.1, y0=38.85)


# ---------------------------------------------------------------- importing


def test_import_makes_a_layer_with_named_coded_districts(ward1, adam, monkeypatch):
    monkeypatch.delitem(registry.JOB_HANDLERS, services.REASSIGN_JOB, raising=False)

    result = import_squares(ward1, code_property="CODE", filename="wards.geojson", by=adam)

    layer = result.layer
    assert (layer.name, layer.slug, layer.source_srid, layer.source_filename) == (
        "Ward",
        "ward",
        4326,
        "wards.geojson",
    )
    assert (result.district_count, result.is_new, result.job) == (2, True, None)
    assert list(layer.districts.order_by("name").values_list("name", "code")) == [
        ("North 1", "1"),
        ("North 2", "2"),
    ]
    north1 = layer.districts.get(name="North 1")
    assert (north1.min_lon, north1.min_lat, north1.max_lon, north1.max_lat) == (10, 50, 11, 51)
    assert north1.properties["codes"] == {"gss": "E05001"}
    event = AuditEvent.objects.get(action="district_layer.imported")
    assert (event.actor, event.object_id, event.changes["districts"]) == (
        adam,
        str(layer.pk),
        [None, 2],
    )


def test_a_nested_property_is_picked_with_a_dotted_path(ward1):
    layer = import_squares(ward1, name_property="codes.gss", code_property="CODE").layer

    assert sorted(layer.districts.values_list("name", flat=True)) == ["E05001", "E05002"]


def test_reimporting_a_layer_replaces_its_districts(ward1, adam):
    first = import_squares(ward1, by=adam).layer
    old_ids = set(first.districts.values_list("pk", flat=True))

    result = import_squares(ward1, squares(3, x0=20), name="ward ", by=adam)

    assert result.layer.pk == first.pk
    assert (result.is_new, result.replaced_count, result.district_count) == (False, 2, 3)
    assert DistrictLayer.objects.count() == 1
    assert District.objects.filter(pk__in=old_ids).count() == 0
    assert District.objects.filter(layer=first).count() == 3
    event = AuditEvent.objects.get(action="district_layer.replaced")
    assert event.changes["districts"] == [2, 3]


def test_reimport_starts_the_reassignment_job_when_constituents_registered_it(
    ward1, adam, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(registry.JOB_HANDLERS, services.REASSIGN_JOB, lambda context: None)

    with django_capture_on_commit_callbacks():
        result = import_squares(ward1, by=adam)

    job = Job.objects.get()
    assert result.job == job
    assert (job.kind, job.params, job.started_by, job.office) == (
        "constituents.assign_districts",
        {"layer_id": result.layer.pk},
        adam,
        ward1,
    )


def test_a_caseworker_cannot_import(ward1, alice):
    with pytest.raises(NotAllowed):
        import_squares(ward1, by=alice)
    assert DistrictLayer.objects.count() == 0


def test_a_layer_needs_a_name(ward1):
    with pytest.raises(LayerNameRequired):
        import_squares(ward1, name=" — ")


def test_delete_layer_removes_districts_and_is_audited(layer, adam):
    services.delete_layer(layer, by=adam)

    assert (DistrictLayer.objects.count(), District.objects.count()) == (0, 0)
    event = AuditEvent.objects.get(action="district_layer.deleted")
    assert (event.object_repr, event.changes) == ("Ward", {"districts": [2, 0]})


# ---------------------------------------------------------------- refusals


def test_invalid_json_is_refused(ward1):
    error = refusal(ward1, b'{"type": "FeatureCollection", "features": [')

    assert error.code == "invalid_json"
    assert error.message.startswith("The file is not valid JSON (line 1, column")


def test_a_single_feature_is_not_a_feature_collection(ward1):
    error = refusal(ward1, feature(square(0, 0), NAME="A"))

    assert error.code == "not_feature_collection"
    assert "type 'Feature', not a FeatureCollection" in error.message


def test_an_empty_collection_is_refused(ward1):
    error = refusal(ward1, {"type": "FeatureCollection", "features": []})

    assert (error.code, error.message) == (
        "empty",
        "The file has no features: there is nothing to import.",
    )


def test_a_feature_without_polygon_is_refused(ward1):
    collection = squares()
    collection["features"].append(feature({"type": "Point", "coordinates": [1, 2]}, NAME="Hall"))

    error = refusal(ward1, collection)

    assert error.code == "no_polygon"
    assert error.message.startswith("Feature 3 (Hall) has no polygon geometry (it is a Point)")


def test_a_feature_with_null_geometry_is_refused(ward1):
    collection = squares()
    collection["features"][1]["geometry"] = None

    assert "has no polygon geometry (it has none)" in refusal(ward1, collection).message


def test_a_missing_name_property_names_the_features_and_the_shared_properties(ward1):
    collection = squares(3)
    del collection["features"][1]["properties"]["NAME"]

    error = refusal(ward1, collection)

    assert (error.code, error.field) == ("property_missing", "name_property")
    assert error.message == (
        "1 of 3 features have no name property 'NAME' (feature 2). "
        "Properties every feature has: CODE, codes.gss."
    )


def test_a_missing_code_property_is_refused_too(ward1):
    error = refusal(ward1, squares(), code_property="WARD")

    assert error.field == "code_property"
    assert "2 of 2 features have no code property 'WARD'" in error.message


def test_an_object_property_asks_for_a_path_inside_it(ward1):
    error = refusal(ward1, squares(), name_property="codes")

    assert "holds an object, not a value; pick one inside it: codes.gss" in error.message


# ---------------------------------------------------------------- coordinate systems


def test_projected_coordinates_without_an_epsg_code_are_refused(ward1):
    error = refusal(ward1, projected(dc_squares()))

    assert (error.code, error.field) == ("not_lonlat", "srid")
    assert "coordinates are not longitude/latitude — name the EPSG code" in error.message


def test_projected_coordinates_with_their_epsg_code_are_converted(ward1):
    layer = import_squares(ward1, projected(dc_squares()), srid=26985).layer

    district = layer.districts.get(name="North 1")
    assert layer.source_srid == 26985
    assert district.min_lon == pytest.approx(-77.1, abs=1e-6)
    assert district.max_lat == pytest.approx(39.85, abs=1e-6)


def test_a_declared_crs_member_is_used(ward1):
    collection = projected(dc_squares())
    collection["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::26985"}}

    layer = import_squares(ward1, collection).layer

    assert layer.source_srid == 26985
    assert layer.districts.get(name="North 2").min_lon == pytest.approx(-76.1, abs=1e-6)


def test_naming_a_projected_code_for_lonlat_coordinates_is_refused(ward1):
    error = refusal(ward1, dc_squares(), srid=26985)

    assert error.code == "srid_mismatch"
    assert "look like longitude/latitude" in error.message


def test_an_unknown_epsg_code_is_refused(ward1):
    error = refusal(ward1, projected(dc_squares()), srid=999999)

    assert (error.code, error.message) == (
        "srid_unknown",
        "EPSG:999999 is not a coordinate system CivicDesk knows; check the code "
        "(https://epsg.io lists them).",
    )


# ---------------------------------------------------------------- repair


def test_a_bow_tie_polygon_is_repaired_into_a_multipolygon(ward1):
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
    collection = {"type": "FeatureCollection", "features": [feature(bow_tie, NAME="Bow")]}

    result = import_squares(ward1, collection)

    district = result.layer.districts.get()
    assert result.repaired_count == 1
    assert district.geometry["type"] == "MultiPolygon"
    assert services.assign_points(result.layer, [0.5, 1.5, 1.0], [1.0, 1.0, 0.5]) == [
        district.pk,
        district.pk,
        None,
    ]


def test_a_geometry_collection_keeps_only_its_polygons(ward1):
    mixed = {
        "type": "GeometryCollection",
        "geometries": [square(0, 0), {"type": "LineString", "coordinates": [[5, 5], [6, 6]]}],
    }
    collection = {"type": "FeatureCollection", "features": [feature(mixed, NAME="Mixed")]}

    district = import_squares(ward1, collection).layer.districts.get()

    assert district.geometry["type"] == "Polygon"


# ---------------------------------------------------------------- assigning points


def test_points_inside_outside_on_a_shared_edge_and_missing(layer):
    north1, north2 = layer.districts.order_by("name")
    lons = np.array([10.5, 11.5, 11.0, 10.0, 13.0, np.nan])
    lats = np.array([50.5, 50.5, 50.5, 50.0, 50.5, 50.5])

    assigned = services.assign_points(layer, lons, lats)

    assert assigned[:2] == [north1.pk, north2.pk]
    assert assigned[2] in {north1.pk, north2.pk}  # on the shared edge: one of them, never None
    assert assigned[3:] == [north1.pk, None, None]  # a corner; outside; no position


def test_assign_points_takes_plain_lists_and_empty_input(layer):
    assert services.assign_points(layer, [], []) == []
    assert services.assign_points(layer, [10.5], [50.5]) == [layer.districts.get(name="North 1").pk]


def test_the_cached_shapes_follow_a_reimport(ward1, layer):
    assert services.assign_points(layer, [10.5], [50.5])[0] is not None

    moved = import_squares(ward1, squares(2, x0=30)).layer

    assert services.assign_points(moved, [10.5, 30.5], [50.5, 50.5]) == [
        None,
        moved.districts.get(name="North 1").pk,
    ]


def test_assign_point_answers_for_every_layer_of_the_office(ward1, ward2, layer):
    precincts = import_squares(ward1, squares(1, x0=10, y0=50), name="Precinct").layer
    import_squares(ward2, squares(2), name="Theirs")

    found = services.assign_point(ward1, 11.5, 50.5)

    assert found == {
        precincts.pk: None,
        layer.pk: layer.districts.get(name="North 2"),
    }
