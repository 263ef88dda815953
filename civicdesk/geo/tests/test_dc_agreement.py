"""Real data: DC's 2012 wards against 18,297 DC 311 requests, each labelled with the city's own
ward (tests/data/geo/README.md). Run through the commands an admin would use."""

import csv
import io
import json
from dataclasses import dataclass

import pytest
import shapely
from django.core.management import CommandError, call_command
from pyproj import Transformer
from shapely.geometry import mapping, shape

from civicdesk.geo.models import DistrictLayer
from civicdesk.geo.tests.factories import DC_311_POINTS, DC_WARDS

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Agreement:
    labelled: int
    agreeing: int
    unassigned: int

    @property
    def share(self) -> float:
        return self.agreeing / self.labelled


def agreement(output: str) -> Agreement:
    rows = [row for row in csv.DictReader(io.StringIO(output)) if row["WARD"] not in {"", "NULL"}]
    return Agreement(
        labelled=len(rows),
        agreeing=sum(row["district"] == f"Ward {row['WARD']}" for row in rows),
        unassigned=sum(not row["district"] for row in rows),
    )


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("districts", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def import_wards(path, *extra: str) -> str:
    return run("import", path, "--office", "ward-1", "--layer", "Ward", "--name-property", "NAME",
               "--code-property", "WARD", *extra)  # fmt: skip


def assign(lat: str, lon: str, *extra: str) -> Agreement:
    output = run("assign-points", DC_311_POINTS, "--office", "ward-1", "--layer", "Ward",
                 "--lat-column", lat, "--lon-column", lon, *extra)  # fmt: skip
    return agreement(output)


def wards_in_maryland_state_plane(tmp_path) -> str:
    """ward-2012.geojson converted to EPSG:26985 (metres), with no `crs` member: undeclared,
    as projected files often are."""
    to_plane = Transformer.from_crs(4326, 26985, always_xy=True)
    collection = json.loads(DC_WARDS.read_text())
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        converted = shapely.transform(geometry, to_plane.transform, interleaved=False)
        feature["geometry"] = mapping(converted)
    path = tmp_path / "ward-2012-md-state-plane.geojson"
    path.write_text(json.dumps(collection))
    return str(path)


def test_dc_311_points_agree_with_the_citys_ward_labels(ward1):
    assert import_wards(DC_WARDS).startswith("Imported 8 districts into layer 'Ward'")

    result = assign("LATITUDE", "LONGITUDE")

    assert result.labelled == 18_147
    assert result.unassigned == 0  # boundary points too: every labelled point gets a ward
    assert result.share >= 0.995, f"{result.agreeing}/{result.labelled}"


def test_projected_points_and_a_projected_map_give_the_same_agreement(ward1, tmp_path):
    lonlat_share = (import_wards(DC_WARDS), assign("LATITUDE", "LONGITUDE"))[1].share
    DistrictLayer.objects.all().delete()

    output = import_wards(wards_in_maryland_state_plane(tmp_path), "--srid", "26985")
    result = assign("YCOORD", "XCOORD", "--points-srid", "26985")

    assert "Converted from EPSG:26985 to lon/lat." in output
    assert DistrictLayer.objects.get().source_srid == 26985
    assert (result.labelled, result.unassigned) == (18_147, 0)
    assert result.share >= 0.995
    assert result.share == pytest.approx(lonlat_share, abs=0.0005)


def test_a_projected_map_without_its_epsg_code_is_refused(ward1, tmp_path):
    with pytest.raises(
        CommandError, match="coordinates are not longitude/latitude — name the EPSG code"
    ):
        import_wards(wards_in_maryland_state_plane(tmp_path))

    assert DistrictLayer.objects.count() == 0


def test_projected_points_without_their_epsg_code_are_refused(ward1):
    import_wards(DC_WARDS)

    with pytest.raises(CommandError, match="not longitude/latitude — name their EPSG code"):
        assign("YCOORD", "XCOORD")


def test_a_map_file_checks_against_labelled_data_without_importing(ward1):
    output = run("assign-points", DC_311_POINTS, "--geojson", DC_WARDS, "--name-property", "NAME",
                 "--lat-column", "LATITUDE", "--lon-column", "LONGITUDE")  # fmt: skip

    result = agreement(output)
    assert (result.labelled, result.unassigned) == (18_147, 0)
    assert result.share >= 0.995
    assert DistrictLayer.objects.count() == 0
