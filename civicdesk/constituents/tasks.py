"""Background jobs of the constituents app: putting every address into its districts after a
map changes, and geocoding the addresses that have no position yet. Both are safe to run
twice and report progress on their Job."""

from typing import Any

import numpy as np
from django.db import transaction

from civicdesk.geo import services as geo_services
from civicdesk.geo.models import DistrictLayer
from civicdesk.jobs.registry import job_handler
from civicdesk.jobs.services import JobContext

from . import services
from .models import Address, AddressDistrict

CHUNK = 10_000
GEOCODE_CHUNK = 200


@job_handler(services.ASSIGN_DISTRICTS_JOB)
def assign_districts(context: JobContext) -> dict[str, Any]:
    """Put every address of the office into its district of one layer (params {"layer_id"}) or
    of every layer; an address without a position, or outside the map, is in none."""
    layers = DistrictLayer.objects.for_office(context.office).order_by("pk")
    if context.params.get("layer_id") is not None:
        layers = layers.filter(pk=context.params["layer_id"])
    layers = list(layers)
    addresses = Address.objects.for_office(context.office)
    placed = addresses.filter(latitude__isnull=False, longitude__isnull=False)
    count = placed.count()
    total, done, linked = count * len(layers), 0, 0
    context.progress(0, total, force=True)
    for layer in layers:
        AddressDistrict.objects.filter(layer=layer).exclude(address__in=placed).delete()
        last_id = 0
        while True:
            rows = list(
                placed.filter(pk__gt=last_id)
                .order_by("pk")
                .values_list("pk", "longitude", "latitude")[:CHUNK]
            )
            if not rows:
                break
            table = np.asarray(rows, dtype=np.float64)
            district_ids = geo_services.assign_points(layer, table[:, 1], table[:, 2])
            address_ids = [row[0] for row in rows]
            with transaction.atomic():
                linked += services.link_layer(layer, address_ids, district_ids)
            last_id = address_ids[-1]
            done += len(rows)
            context.progress(done, total)
    context.progress(done, total, force=True)
    return {
        "layers": [layer.name for layer in layers],
        "addresses": count,
        "in_a_district": linked,
        "outside": count * len(layers) - linked,
    }


@job_handler(services.GEOCODE_JOB)
def geocode_addresses(context: JobContext) -> dict[str, Any]:
    """Find a position for every address of the office that has none, with the configured
    geocoders, then put the found ones into their districts."""
    missing = Address.objects.for_office(context.office).filter(latitude__isnull=True)
    total = missing.count()
    context.progress(0, total, force=True)
    found = not_found = 0
    last_id = 0
    while True:
        # Take the ids first: on SQLite, never write a table while iterating over it.
        chunk = list(
            missing.filter(pk__gt=last_id).select_related("office").order_by("pk")[:GEOCODE_CHUNK]
        )
        if not chunk:
            break
        positioned = [address for address in chunk if services.geocode_address(address)]
        with transaction.atomic():
            for address in positioned:
                address.save(
                    update_fields=["latitude", "longitude", "geocode_source", "updated_at"]
                )
            services.assign_districts(positioned)
        found += len(positioned)
        not_found += len(chunk) - len(positioned)
        last_id = chunk[-1].pk
        context.progress(found + not_found, total)
    if not_found:
        context.log(f"{not_found} addresses were not found; drop their pins by hand.")
    return {"addresses": total, "geocoded": found, "not_found": not_found}
