"""Reading district maps from GeoJSON files: checks, coordinate systems, repaired polygons.

No database here: the import service and `districts assign-points --geojson` share it. Every
refusal is a `DistrictFileRefused` whose message says what is wrong and what to do.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPolygon, shape
from shapely.geometry.base import BaseGeometry

from .errors import DistrictFileRefused

WGS84 = 4326
POLYGONAL = {"Polygon", "MultiPolygon"}
MISSING = object()
NAME_MAX, CODE_MAX = 200, 100  # District.name and District.code


@dataclass(frozen=True)
class DistrictShape:
    """One feature of a district file, ready to store: its polygon is in longitude/latitude."""

    name: str
    code: str
    geometry: BaseGeometry  # a valid Polygon or MultiPolygon
    properties: dict[str, Any]


@dataclass(frozen=True)
class DistrictFile:
    districts: list[DistrictShape]
    source_srid: int  # the coordinate system the file's coordinates were read in
    repaired_count: int  # polygons that were invalid and repaired with make_valid


# ---------------------------------------------------------------- the collection


def load_collection(source: bytes | str | dict) -> dict[str, Any]:
    """Parse a GeoJSON FeatureCollection with at least one feature, or refuse clearly."""
    if isinstance(source, dict):
        collection = source
    else:
        try:
            text = source.decode("utf-8-sig") if isinstance(source, bytes) else source
            collection = json.loads(text)
        except UnicodeDecodeError as exc:
            raise DistrictFileRefused(
                "The file is not UTF-8 text, so it cannot be GeoJSON.", code="invalid_json"
            ) from exc
        except json.JSONDecodeError as exc:
            raise DistrictFileRefused(
                f"The file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
                code="invalid_json",
            ) from exc
    kind = collection.get("type") if isinstance(collection, dict) else type(collection).__name__
    if kind != "FeatureCollection" or not isinstance(collection.get("features"), list):
        raise DistrictFileRefused(
            f"The file is GeoJSON of type {kind!r}, not a FeatureCollection: a district map "
            "is a FeatureCollection with one feature per district.",
            code="not_feature_collection",
        )
    if not collection["features"]:
        raise DistrictFileRefused(
            "The file has no features: there is nothing to import.", code="empty"
        )
    return collection


def _properties(feature: Any) -> dict[str, Any]:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    return properties if isinstance(properties, dict) else {}


def _leaf_paths(properties: dict[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for key, value in properties.items():
        if isinstance(value, dict) and value:
            paths += _leaf_paths(value, f"{prefix}{key}.")
        else:
            paths.append(f"{prefix}{key}")
    return paths


def property_paths(collection: dict[str, Any]) -> list[str]:
    """Every property a feature has, nested ones as dotted paths (`codes.gss`), in the order
    they first appear."""
    seen: dict[str, None] = {}
    for feature in collection["features"]:
        seen.update(dict.fromkeys(_leaf_paths(_properties(feature))))
    return list(seen)


def get_property(properties: dict[str, Any], path: str) -> Any:
    """The value at `path` (a key, or a dotted path into nested objects), or MISSING."""
    if path in properties:
        return properties[path]
    node: Any = properties
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def property_examples(collection: dict[str, Any], path: str, limit: int = 3) -> list[str]:
    """A few distinct values of a property, to help an admin pick the right one."""
    examples: list[str] = []
    for feature in collection["features"]:
        value = get_property(_properties(feature), path)
        text = "" if value is MISSING or isinstance(value, dict | list) else as_text(value)
        if text and text not in examples:
            examples.append(text)
            if len(examples) == limit:
                break
    return examples


# ---------------------------------------------------------------- coordinate systems


def declared_srid(collection: dict[str, Any]) -> int | None:
    """The EPSG code a (pre-RFC 7946) `crs` member names, 4326 for CRS84, else None."""
    crs = collection.get("crs")
    if not isinstance(crs, dict):
        return None
    properties = crs.get("properties") if isinstance(crs.get("properties"), dict) else {}
    if str(crs.get("type", "")).upper() == "EPSG" and str(properties.get("code", "")).isdigit():
        return int(properties["code"])
    name = str(properties.get("name", ""))
    if "CRS84" in name.upper():
        return WGS84
    if match := re.search(r"EPSG:(?:[\d.]*:)?(\d+)$", name, re.IGNORECASE):
        return int(match[1])
    try:
        return CRS.from_user_input(name).to_epsg() if name else None
    except CRSError:
        return None


def coordinate_system(srid: int) -> CRS:
    try:
        return CRS.from_epsg(srid)
    except CRSError as exc:
        raise DistrictFileRefused(
            f"EPSG:{srid} is not a coordinate system CivicDesk knows; check the code "
            "(https://epsg.io lists them).",
            code="srid_unknown",
            field="srid",
        ) from exc


def is_lonlat(xs: np.ndarray, ys: np.ndarray) -> bool:
    return bool(np.all(np.abs(xs) <= 180) and np.all(np.abs(ys) <= 90))


def _example(xs: np.ndarray, ys: np.ndarray) -> str:
    return f"{xs[0]:.1f}, {ys[0]:.1f}"


def to_lonlat(geometries: list[BaseGeometry], *, srid: int | None, declared: int | None):
    """The geometries in longitude/latitude and the srid they were read in.

    `srid` (named by the admin) wins over `declared` (the file's `crs` member). Coordinates
    that are not longitude/latitude with no code to convert them are refused, never guessed.
    """
    coordinates = shapely.get_coordinates(np.asarray(geometries, dtype=object))
    xs, ys = coordinates[:, 0], coordinates[:, 1]
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        raise DistrictFileRefused(
            "Some coordinates are not numbers (NaN or infinite).", code="not_lonlat"
        )
    source = srid or declared or WGS84
    if source == WGS84:
        if not is_lonlat(xs, ys):
            raise DistrictFileRefused(
                "The coordinates are not longitude/latitude — name the EPSG code of the file's "
                f"coordinate system (for example 26985 for Maryland State Plane in metres); its "
                f"first point is {_example(xs, ys)}, outside ±180° longitude and ±90° latitude.",
                code="not_lonlat",
                field="srid",
            )
        return geometries, WGS84
    crs = coordinate_system(source)
    named = f"EPSG:{source} ({crs.name})"
    if crs.is_projected and is_lonlat(xs, ys) and np.ptp(xs) < 10 and np.ptp(ys) < 10:
        raise DistrictFileRefused(
            f"The coordinates look like longitude/latitude (first point {_example(xs, ys)}), "
            f"but {named} is a projected system in metres or feet: leave the EPSG code empty.",
            code="srid_mismatch",
            field="srid",
        )
    transformer = Transformer.from_crs(crs, CRS.from_epsg(WGS84), always_xy=True)
    converted = [
        shapely.transform(geometry, transformer.transform, interleaved=False)
        for geometry in geometries
    ]
    after = shapely.get_coordinates(np.asarray(converted, dtype=object))
    if not (np.all(np.isfinite(after)) and is_lonlat(after[:, 0], after[:, 1])):
        raise DistrictFileRefused(
            f"Converting from {named} puts the districts off the globe: is {source} the right "
            "EPSG code for this file?",
            code="srid_mismatch",
            field="srid",
        )
    return converted, source


# ---------------------------------------------------------------- polygons


def _polygon_parts(geometry: BaseGeometry) -> list[BaseGeometry]:
    if geometry.geom_type == "Polygon":
        return [] if geometry.is_empty else [geometry]
    if geometry.geom_type in {"MultiPolygon", "GeometryCollection"}:
        return [part for member in geometry.geoms for part in _polygon_parts(member)]
    return []


def polygonal(geometry: BaseGeometry) -> BaseGeometry | None:
    """A valid Polygon or MultiPolygon made of the polygons in `geometry`, or None when it has
    none (points, lines). Invalid shapes (self-intersections, bad rings) are repaired."""
    if geometry.geom_type not in POLYGONAL:
        parts = _polygon_parts(geometry)
        if not parts:
            return None
        geometry = parts[0] if len(parts) == 1 else shapely.union_all(parts)
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
        parts = _polygon_parts(geometry)
        if not parts:
            return None
        geometry = parts[0] if len(parts) == 1 else MultiPolygon(parts)
        if not geometry.is_valid:
            geometry = shapely.union_all(parts)
    return None if geometry.is_empty or geometry.area == 0 else geometry


# ---------------------------------------------------------------- the whole file


def _label(index: int, name: Any) -> str:
    text = as_text(name) if name is not MISSING and not isinstance(name, dict | list) else ""
    return f"feature {index + 1}" + (f" ({text})" if text else "")


def _check_property(collection: dict, path: str, role: str) -> list[Any]:
    """The value of `path` in every feature, or a refusal naming the features without it."""
    values = [get_property(_properties(feature), path) for feature in collection["features"]]
    lacking = [i for i, value in enumerate(values) if value is MISSING or value is None]
    objects = [i for i, value in enumerate(values) if isinstance(value, dict | list)]
    total = len(values)
    shared = [
        p
        for p in property_paths(collection)
        if all(
            get_property(_properties(f), p) not in (MISSING, None) for f in collection["features"]
        )
    ]
    hint = f" Properties every feature has: {', '.join(shared)}." if shared else ""
    if lacking:
        where = ", ".join(str(i + 1) for i in lacking[:5]) + (", …" if len(lacking) > 5 else "")
        raise DistrictFileRefused(
            f"{len(lacking)} of {total} features have no {role} property {path!r} "
            f"(feature {where}).{hint}",
            code="property_missing",
            field=f"{role}_property",
        )
    if objects:
        nested = [p for p in property_paths(collection) if p.startswith(f"{path}.")]
        raise DistrictFileRefused(
            f"The {role} property {path!r} holds an object, not a value; pick one inside it: "
            f"{', '.join(nested) or 'none found'}.",
            code="property_missing",
            field=f"{role}_property",
        )
    if role == "name" and (blank := [i for i, value in enumerate(values) if not as_text(value)]):
        raise DistrictFileRefused(
            f"{len(blank)} of {total} features have an empty {role} {path!r} "
            f"(feature {blank[0] + 1}); every district needs a name.",
            code="property_missing",
            field=f"{role}_property",
        )
    return values


def read_district_file(
    source: bytes | str | dict,
    *,
    name_property: str,
    code_property: str = "",
    srid: int | None = None,
) -> DistrictFile:
    """Read and check a whole district file; refuse it (DistrictFileRefused) if any feature
    cannot become a district, so that nothing is ever half-imported."""
    collection = load_collection(source)
    features = collection["features"]
    names = _check_property(collection, name_property, "name")
    codes = _check_property(collection, code_property, "code") if code_property else None
    geometries = []
    for index, feature in enumerate(features):
        raw = feature.get("geometry") if isinstance(feature, dict) else None
        kind = raw.get("type") if isinstance(raw, dict) else None
        try:
            geometry = shape(raw) if kind else None
        except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException) as exc:
            raise DistrictFileRefused(
                f"The geometry of {_label(index, names[index])} cannot be read ({exc}).",
                code="no_polygon",
            ) from exc
        if geometry is None or not _polygon_parts(geometry):
            what = f"it is a {kind}" if kind else "it has none"
            raise DistrictFileRefused(
                f"F{_label(index, names[index])[1:]} has no polygon geometry ({what}); "
                "a district map needs a Polygon or MultiPolygon for every feature.",
                code="no_polygon",
            )
        geometries.append(geometry)
    geometries, source_srid = to_lonlat(geometries, srid=srid, declared=declared_srid(collection))
    districts, repaired = [], 0
    for index, geometry in enumerate(geometries):
        fixed = polygonal(geometry)
        if fixed is None:
            raise DistrictFileRefused(
                f"The shape of {_label(index, names[index])} has no area, even after repair.",
                code="no_polygon",
            )
        repaired += not geometry.is_valid
        districts.append(
            DistrictShape(
                name=as_text(names[index])[:NAME_MAX],
                code=as_text(codes[index])[:CODE_MAX] if codes else "",
                geometry=fixed,
                properties=_properties(features[index]),
            )
        )
    return DistrictFile(districts, source_srid, repaired)


def geometry_json(geometry: BaseGeometry) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(geometry))


def display_outline(geometry: dict[str, Any], *, tolerance: float, grid: float) -> dict[str, Any]:
    """A stored district shape made light enough to draw: simplified to `tolerance` degrees
    (topology kept, so no ring collapses or crosses itself) and snapped to a `grid` of degrees."""
    simplified = shape(geometry).simplify(tolerance, preserve_topology=True)
    return geometry_json(shapely.set_precision(simplified, grid))
