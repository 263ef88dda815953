"""The grid in front of the exact point-in-polygon tests must never change an answer."""

import json

import numpy as np
import shapely
from shapely.geometry import shape

from civicdesk.geo.shapes import OUTSIDE, LayerShapes
from civicdesk.geo.tests.factories import DC_WARDS, square


def dc_wards() -> LayerShapes:
    features = json.loads(DC_WARDS.read_text())["features"]
    return LayerShapes(range(len(features)), [shape(f["geometry"]) for f in features])


def test_the_grid_agrees_with_the_exact_tests_on_random_points():
    wards = dc_wards()
    rng = np.random.default_rng(7)
    west, south, east, north = wards.extent
    xs = rng.uniform(west - 0.01, east + 0.01, 200_000)
    ys = rng.uniform(south - 0.01, north + 0.01, 200_000)

    assert np.array_equal(wards.locate(xs, ys), wards._locate_exactly(xs, ys))
    assert 0 < (wards.cells == -2).mean() < 0.1  # few cells need the exact tests


def test_every_vertex_of_every_ward_gets_a_ward():
    wards = dc_wards()
    vertices = shapely.get_coordinates(wards.geometries)

    found = wards.locate(vertices[:, 0], vertices[:, 1])

    assert vertices.shape[0] > 10_000
    assert np.count_nonzero(found == OUTSIDE) == 0


def test_the_far_corner_of_the_layer_box_is_on_a_district():
    shapes = LayerShapes([7, 8], [shape(square(0, 0)), shape(square(1, 0))])

    assert shapes.keys_at([2.0, 2.0, 0.0, 2.0 + 1e-9], [1.0, 0.5, 0.0, 1.0]).tolist() == [
        8,
        8,
        7,
        -1,
    ]


def test_a_polygon_with_a_hole_leaves_the_hole_outside():
    ring = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]
    shapes = LayerShapes([1], [shape({"type": "Polygon", "coordinates": [ring, hole]})])

    assert shapes.keys_at([0.5, 2.0, 1.0, 5.0], [0.5, 2.0, 2.0, 5.0]).tolist() == [1, -1, 1, -1]


def test_no_districts_means_every_point_is_outside():
    assert LayerShapes([], []).keys_at([1.0], [2.0]).tolist() == [-1]
