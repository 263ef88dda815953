import pytest

from civicdesk.geo import services
from civicdesk.geo.tests.factories import DC_WARDS, make_layer


@pytest.fixture(autouse=True)
def _fresh_shape_cache():
    """Layer ids repeat across test databases: never reuse another test's prepared shapes."""
    services._shapes.clear()
    yield
    services._shapes.clear()


@pytest.fixture
def layer(ward1):
    """Ward 1's layer "Ward": squares "North 1" (10..11, 50..51) and "North 2" (11..12)."""
    return make_layer(ward1)


@pytest.fixture
def dc_wards(ward1):
    """The real DC wards of 2012, imported into Ward 1's office."""
    return services.import_layer(
        ward1,
        name="DC ward",
        source=DC_WARDS.read_bytes(),
        name_property="NAME",
        code_property="WARD",
        filename=DC_WARDS.name,
        by=None,
    ).layer
