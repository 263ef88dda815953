import csv
import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from civicdesk.audit.models import AuditEvent
from civicdesk.geo.models import AddressPoint, DistrictLayer
from civicdesk.geo.tests.factories import squares

pytestmark = pytest.mark.django_db


def run(command: str, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def squares_file(tmp_path):
    path = tmp_path / "squares.geojson"
    path.write_text(json.dumps(squares(2)))
    return path


@pytest.fixture
def points_file(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("id,lat,lon\na,50.5,10.5\nb,50.5,11.5\nc,50.5,99\nd,,\n")
    return path


def import_squares(path, *extra):
    return run("districts", "import", path, "--office", "ward-1", "--layer", "Ward",
               "--name-property", "NAME", *extra)  # fmt: skip


def test_import_prints_how_many_districts(ward1, squares_file):
    out, _ = import_squares(squares_file, "--code-property", "codes.gss")

    assert out.splitlines()[0] == "Imported 2 districts into layer 'Ward' (ward, new layer)."
    layer = DistrictLayer.objects.get()
    assert (layer.source_filename, sorted(layer.districts.values_list("code", flat=True))) == (
        "squares.geojson",
        ["E05001", "E05002"],
    )
    assert AuditEvent.objects.get(action="district_layer.imported").actor is None


def test_import_again_says_it_replaced(ward1, squares_file):
    import_squares(squares_file)

    out, _ = import_squares(squares_file)

    assert out.startswith("Imported 2 districts into layer 'Ward' (ward, replacing 2 districts).")


def test_import_refusals_are_command_errors_and_change_nothing(ward1, squares_file, tmp_path):
    with pytest.raises(CommandError, match="2 of 2 features have no name property 'name'"):
        run("districts", "import", squares_file, "--office", "ward-1", "--layer", "Ward",
            "--name-property", "name")  # fmt: skip
    with pytest.raises(CommandError, match="No office with slug 'ward-9'"):
        run("districts", "import", squares_file, "--office", "ward-9", "--layer", "W",
            "--name-property", "NAME")  # fmt: skip
    with pytest.raises(CommandError, match="Cannot read .*missing.geojson"):
        import_squares(tmp_path / "missing.geojson")

    assert DistrictLayer.objects.count() == 0


def test_assign_points_adds_a_district_column(ward1, squares_file, points_file):
    import_squares(squares_file)

    out, err = run("districts", "assign-points", points_file, "--office", "ward-1", "--layer",
                   "ward", "--lat-column", "lat", "--lon-column", "lon")  # fmt: skip

    assert list(csv.reader(io.StringIO(out))) == [
        ["id", "lat", "lon", "district"],
        ["a", "50.5", "10.5", "North 1"],
        ["b", "50.5", "11.5", "North 2"],
        ["c", "50.5", "99", ""],
        ["d", "", "", ""],
    ]
    assert err.strip() == (
        "4 rows: 2 in a district, 1 outside every district, 1 without a position."
    )


def test_assign_points_with_a_geojson_file_needs_no_import(ward1, squares_file, points_file):
    out, _ = run("districts", "assign-points", points_file, "--geojson", squares_file,
                 "--name-property", "codes.gss", "--lat-column", "lat", "--lon-column", "lon",
                 "--column", "ward")  # fmt: skip

    assert [row["ward"] for row in csv.DictReader(io.StringIO(out))] == ["E05001", "E05002", "", ""]
    assert DistrictLayer.objects.count() == 0


def test_assign_points_explains_what_is_missing(ward1, squares_file, points_file):
    import_squares(squares_file)
    base = ["districts", "assign-points", points_file, "--lat-column", "lat"]

    with pytest.raises(CommandError, match="ward-1 has no layer 'Precinct'; its layers: Ward."):
        run(*base, "--lon-column", "lon", "--office", "ward-1", "--layer", "Precinct")
    with pytest.raises(
        CommandError, match="The CSV has no column 'longitude'; its columns: id, lat, lon."
    ):
        run(*base, "--lon-column", "longitude", "--office", "ward-1", "--layer", "Ward")
    with pytest.raises(CommandError, match="Name a stored layer"):
        run(*base, "--lon-column", "lon")


def test_geocode_import_points_replaces_the_offices_points(ward1, tmp_path):
    path = tmp_path / "addresses.csv"
    path.write_text(
        "FULLADDRESS,LATITUDE,LONGITUDE,ZIPCODE\n"
        "1350 PENNSYLVANIA AVENUE NW,38.8951,-77.0313,20004\n"
        "BAD ROW,north,-77,20004\n"
    )
    args = ["import-points", path, "--office", "ward-1", "--address-column", "FULLADDRESS",
            "--lat-column", "LATITUDE", "--lon-column", "LONGITUDE", "--postcode-column", "ZIPCODE"]  # fmt: skip

    run("geocode", *args)
    out, _ = run("geocode", *args)

    assert out.strip() == (
        "Imported 1 address points into ward-1 (replacing 1; skipped 1 rows without an address "
        "or a lon/lat position)."
    )
    point = AddressPoint.objects.get()
    assert (point.normalized, point.postcode) == ("1350 PENNSYLVANIA AVE NW", "20004")


def test_geocode_import_points_names_missing_columns(ward1, tmp_path):
    path = tmp_path / "addresses.csv"
    path.write_text("ADDRESS,Y,X\n1 MAIN ST,1,2\n")

    with pytest.raises(
        CommandError, match="The file has no column 'FULLADDRESS'; its columns are: ADDRESS, Y, X."
    ):
        run("geocode", "import-points", path, "--office", "ward-1", "--address-column",
            "FULLADDRESS", "--lat-column", "Y", "--lon-column", "X")  # fmt: skip


def test_geocode_lookup_prints_the_position(ward1, settings):
    settings.GEOCODERS = ["local"]
    AddressPoint.objects.create(
        office=ward1, normalized="1350 PENNSYLVANIA AVE NW", label="1350 PENNSYLVANIA AVENUE NW",
        latitude=38.8951, longitude=-77.0313,
    )  # fmt: skip

    out, _ = run("geocode", "lookup", "1350 Pennsylvania Ave. N.W.", "--office", "ward-1")

    assert out.strip() == "38.895100 -77.031300 (local: 1350 PENNSYLVANIA AVENUE NW)"
    with pytest.raises(CommandError, match="Not found: 1 Nowhere Ln"):
        run("geocode", "lookup", "1 Nowhere Ln", "--office", "ward-1")


def test_assign_points_reads_a_long_file_in_chunks(ward1, squares_file, points_file, monkeypatch):
    from civicdesk.geo.management.commands import districts

    import_squares(squares_file)
    args = ["districts", "assign-points", points_file, "--office", "ward-1", "--layer", "Ward",
            "--lat-column", "lat", "--lon-column", "lon"]  # fmt: skip
    whole, _ = run(*args)
    monkeypatch.setattr(districts, "CHUNK_ROWS", 1)

    chunked, err = run(*args)

    assert chunked == whole
    assert err.strip() == "4 rows: 2 in a district, 1 outside every district, 1 without a position."


@pytest.mark.django_db(False)
def test_assign_points_into_head_stops_quietly(squares_file, tmp_path):
    """`civicdesk districts assign-points ... | head -n 2`: head closes the pipe early, and the
    command ends like a Unix tool (status 141, SIGPIPE's) without a BrokenPipeError traceback."""
    points = tmp_path / "many.csv"
    points.write_text("id,lat,lon\n" + "".join(f"{i},50.5,10.5\n" for i in range(100_000)))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "civicdesk.settings",
           "CIVICDESK_VAR_DIR": str(tmp_path / "var")}  # fmt: skip
    command = [sys.executable, "-m", "civicdesk", "districts", "assign-points", str(points),
               "--geojson", str(squares_file), "--name-property", "NAME",
               "--lat-column", "lat", "--lon-column", "lon"]  # fmt: skip
    civicdesk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)  # noqa: S603
    head = subprocess.run(["head", "-n", "2"], stdin=civicdesk.stdout, capture_output=True)  # noqa: S603, S607
    civicdesk.stdout.close()  # head alone holds the pipe's reading end now
    _, err = civicdesk.communicate(timeout=60)

    assert head.stdout.decode() == "id,lat,lon,district\n0,50.5,10.5,North 1\n"
    assert civicdesk.returncode == 141
    assert b"Traceback" not in err
    assert b"BrokenPipeError" not in err
