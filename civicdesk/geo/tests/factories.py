"""Small district maps for tests: squares side by side, as GeoJSON, and layers made of them."""

from pathlib import Path
from typing import Any

from civicdesk.geo.models import DistrictLayer
from civicdesk.geo.services import import_layer

DATA = Path(__file__).resolve().parents[3] / "tests" / "data" / "geo"
DC_WARDS = DATA / "ward-2012.geojson"
DC_311_POINTS = DATA / "dc_311_service_requests_2016_points.csv"


def square(x0: float, y0: float, size: float = 1.0) -> dict[str, Any]:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def squares(count: int = 2, *, x0: float = 10.0, y0: float = 50.0) -> dict[str, Any]:
    """`count` unit squares in a row, sharing edges: "North 1" at (x0, y0), "North 2" east of
    it, ... Each has NAME, CODE and a nested `codes.gss`."""
    return {
        "type": "FeatureCollection",
        "features": [
            feature(
                square(x0 + i, y0),
                NAME=f"North {i + 1}",
                CODE=str(i + 1),
                codes={"gss": f"E0500{i + 1}"},
            )
            for i in range(count)
        ],
    }


def make_layer(office, *, name: str = "Ward", count: int = 2, by=None) -> DistrictLayer:
    """A layer of `count` squares in the office (for the isolation walk: `layer_id`)."""
    return import_layer(
        office, name=name, source=squares(count), name_property="NAME", code_property="CODE", by=by
    ).layer
