"""API of the geo app (mounted at /api/v1 by civicdesk/api.py): district layers, their
districts and shapes, and which districts a point falls in."""

from datetime import datetime
from typing import Any

from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from civicdesk.core.api import needs

from . import queries, services
from .errors import DistrictFileRefused
from .models import District, DistrictLayer

router = Router(tags=["geo"])


class DistrictLayerOut(Schema):
    id: int
    name: str
    slug: str
    name_property: str
    code_property: str
    source_srid: int = Field(
        description="EPSG code of the imported file; shapes are stored in 4326."
    )
    source_filename: str
    imported_at: datetime | None
    district_count: int


class DistrictOut(Schema):
    id: int
    name: str
    code: str
    properties: dict[str, Any]
    bbox: list[float] = Field(description="[min lon, min lat, max lon, max lat]")
    people_count: int

    @staticmethod
    def resolve_bbox(obj: District) -> list[float]:
        return [obj.min_lon, obj.min_lat, obj.max_lon, obj.max_lat]


class DistrictLayerDetailOut(DistrictLayerOut):
    districts: list[DistrictOut]

    @staticmethod
    def resolve_districts(obj: Any) -> list[District]:
        return obj.district_rows


class DistrictFeatureCollectionOut(Schema):
    type: str = "FeatureCollection"
    features: list[dict[str, Any]]


class DistrictLookupIn(Schema):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class DistrictLayerRef(Schema):
    id: int
    name: str
    slug: str


class DistrictRef(Schema):
    id: int
    name: str
    code: str


class DistrictLookupHit(Schema):
    layer: DistrictLayerRef
    district: DistrictRef | None


class DistrictLookupOut(Schema):
    lat: float
    lon: float
    layers: list[DistrictLookupHit]


@router.get("/districts/layers", response=list[DistrictLayerOut])
@needs("district.view")
def list_district_layers(request):
    """Every district layer of the office (few: no pagination)."""
    return list(queries.layer_list(request.auth.office))


class DistrictLayerImportIn(Schema):
    name: str = Field(min_length=1, max_length=100, description="Layer name, e.g. Ward.")
    name_property: str = Field(min_length=1, description="Feature property holding the name.")
    code_property: str = ""
    srid: int | None = Field(None, description="EPSG code when the file is not lon/lat.")


class DistrictLayerImportOut(Schema):
    layer: DistrictLayerOut
    district_count: int
    replaced_count: int
    repaired_count: int
    is_new: bool
    job_id: int | None


MAX_DISTRICT_FILE_BYTES = 50 * 1024 * 1024


@router.post("/districts/layers", response={201: DistrictLayerImportOut})
@needs("district.manage")
def import_district_layer(request, payload: Form[DistrictLayerImportIn], file: File[UploadedFile]):
    """Import a GeoJSON map (multipart upload) as a new layer, or replace the districts of
    the layer with that name. All or nothing; addresses are then re-assigned by a job."""
    if file.size > MAX_DISTRICT_FILE_BYTES:
        raise DistrictFileRefused("The file is over 50 MB.", code="too_large")
    result = services.import_layer(
        request.auth.office,
        name=payload.name,
        source=file.read(),
        name_property=payload.name_property,
        code_property=payload.code_property,
        srid=payload.srid,
        filename=file.name or "",
        by=request.auth,
    )
    layer: Any = result.layer
    layer.district_count = result.district_count
    return Status(
        201,
        {
            "layer": layer,
            "district_count": result.district_count,
            "replaced_count": result.replaced_count,
            "repaired_count": result.repaired_count,
            "is_new": result.is_new,
            "job_id": result.job.pk if result.job else None,
        },
    )


@router.delete("/districts/layers/{layer_id}", response={204: None})
@needs("district.manage")
def delete_district_layer(request, layer_id: int):
    """Delete a layer, its districts and every address's link to them."""
    layer = queries.get_layer(request.auth, layer_id, need="district.manage")
    services.delete_layer(layer, by=request.auth)
    return Status(204, None)


@router.get("/districts/layers/{layer_id}", response=DistrictLayerDetailOut)
@needs("district.view")
def get_district_layer(request, layer_id: int):
    """A layer and its districts (names, codes, boxes, people), without their shapes."""
    layer: Any = queries.get_layer(request.auth, layer_id)
    counts = queries.people_counts(layer)
    layer.district_rows = queries.district_list(layer)
    for district in layer.district_rows:
        district.people_count = counts.get(district.pk, 0)
    layer.district_count = len(layer.district_rows)
    return layer


@router.get("/districts/layers/{layer_id}/geojson", response=DistrictFeatureCollectionOut)
@needs("district.view")
def get_district_layer_geojson(request, layer_id: int):
    """The layer's districts as a GeoJSON FeatureCollection (longitude/latitude, RFC 7946)."""
    return queries.feature_collection(queries.get_layer(request.auth, layer_id))


@router.post("/districts/lookup", response=DistrictLookupOut)
@needs("district.view")
def lookup_districts(request, payload: DistrictLookupIn):
    """The district of every layer that a point (latitude, longitude) falls in; null when it
    is outside every district of a layer."""
    office = request.auth.office
    found = services.assign_point(office, payload.lon, payload.lat)
    layers = DistrictLayer.objects.for_office(office).in_bulk(list(found))
    return {
        "lat": payload.lat,
        "lon": payload.lon,
        "layers": [
            {"layer": layers[layer_id], "district": district}
            for layer_id, district in found.items()
        ],
    }
