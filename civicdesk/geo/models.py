"""District layers (ward, precinct, ...) and their districts; geocoding cache and address points."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import OfficeOwned


class DistrictLayer(OfficeOwned):
    """One map of districts, e.g. "Ward" or "Voting precinct", imported from a GeoJSON file."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(max_length=60)
    name_property = models.CharField(max_length=100)
    code_property = models.CharField(max_length=100, blank=True)
    source_srid = models.PositiveIntegerField(default=4326)  # the file's coordinate system
    source_filename = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "slug"], name="layer_slug_unique")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class District(OfficeOwned):
    """One district of a layer, with its shape in longitude/latitude (GeoJSON geometry)."""

    layer = models.ForeignKey(DistrictLayer, models.CASCADE, related_name="districts")
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=100, blank=True)
    geometry = models.JSONField()  # GeoJSON Polygon or MultiPolygon, EPSG:4326
    properties = models.JSONField(default=dict, blank=True)  # the feature's other properties
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["layer", "name"], name="district_layer_name")]

    def __str__(self) -> str:
        return self.name


class AddressPoint(OfficeOwned):
    """A point of the city's own address file: the local geocoder's source."""

    normalized = models.CharField(max_length=300)  # see geo.geocoding.normalize_address
    label = models.CharField(max_length=300)
    postcode = models.CharField(max_length=20, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["office", "normalized"], name="addresspoint_office_norm")]

    def __str__(self) -> str:
        return self.label


class GeocodeCache(models.Model):
    """A remembered answer of a geocoding provider (found or not found)."""

    provider = models.CharField(max_length=30)
    query = models.CharField(max_length=300)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    matched_label = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "query"], name="geocode_cache_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.query}"
