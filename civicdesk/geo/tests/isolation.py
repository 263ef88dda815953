"""What the isolation walk (accounts/tests/test_isolation.py) needs to know about geo."""

from typing import Any

from civicdesk.geo.models import District, DistrictLayer
from civicdesk.geo.tests.factories import make_layer


def _layer(side, made: dict[str, Any]) -> DistrictLayer:
    count = DistrictLayer.objects.filter(office=side.office).count()
    return make_layer(side.office, name=f"Wards {side.label} {count}")


def _district(side, made: dict[str, Any]) -> District:
    """A district of the route's layer (/<layer_id>/districts/<district_id>/...)."""
    layer = made.get("layer_id") or _layer(side, made)
    return layer.districts.order_by("pk").first()


OBJECT_MAKERS = {"layer_id": _layer, "district_id": _district}
