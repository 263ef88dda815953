"""What the isolation walk (accounts/tests/test_isolation.py) needs to know about geo."""

from typing import Any

from civicdesk.geo.models import DistrictLayer
from civicdesk.geo.tests.factories import make_layer


def _layer(side, made: dict[str, Any]) -> DistrictLayer:
    count = DistrictLayer.objects.filter(office=side.office).count()
    return make_layer(side.office, name=f"Wards {side.label} {count}")


OBJECT_MAKERS = {"layer_id": _layer}
