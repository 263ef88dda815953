"""Errors of the geo app. Each message tells the admin what is wrong and what to do."""

from civicdesk.core.errors import DomainError


class DistrictFileRefused(DomainError):
    """A district file (GeoJSON) cannot be imported as it is; `code` says why:
    `invalid_json`, `not_feature_collection`, `empty`, `no_polygon`, `property_missing`,
    `not_lonlat` (projected coordinates and no EPSG code), `srid_unknown`, `srid_mismatch`."""

    code = "district_file_refused"
    status = 422

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message, code=code)
        self.field = field  # the import form's field to show the message at, if any


class LayerNameRequired(DomainError):
    code = "layer_name_required"
    status = 422


class AddressFileRefused(DomainError):
    """The address-point file (CSV) of the local geocoder cannot be imported."""

    code = "address_file_refused"
    status = 422
