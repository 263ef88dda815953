"""Import benchmark: a realistic North Carolina voter file imported end to end with
`civicdesk import people`, on PostgreSQL (against a raw COPY of the same rows) and on SQLite.

1. Generates, from a seed, a voter file in the NC State Board of Elections 2022 layout (67
   columns, tab-delimited, a header row; ALL CAPS as the state writes it): names drawn from
   common first and last names with a long tail of invented surnames, birth years, phones
   for some, party, registration dates, and home addresses drawn from a generated set of
   address points (several voters per address, a few addresses unknown to it), with the
   ward and precinct each address lies in.
2. Builds a throwaway installation per database (a scratch PostgreSQL database
   `civicdesk_bench_import`, created and dropped; a temporary SQLite file): an office, the
   address points as its local geocoder file, and three district maps: wards and precincts
   (named by the file's columns) and council districts (found by point in polygon only).
3. Runs `civicdesk import people FILE --office bench --mapping nc --tag "Voter file"` as its
   own process and measures it: rows per second over the import (the batch's start to its
   end: counting, parsing, validating, matching, geocoding, districts, writing), the
   command's wall time, and the peak memory (RSS) of the importing process.
4. Runs it again: every row is unchanged (the re-run rate).
5. PostgreSQL only: COPYs the imported people rows into a bare table with the same columns
   and the same indexes as the people table (trigram index included) and times that: the
   raw COPY rate, and the ratio of the import's rate to it.

    .venv/bin/python bench/bench_import.py --database-url postgres://root@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_import.py --quick                 # 100,000 rows
    .venv/bin/python bench/bench_import.py --rows 20000 --skip-postgres

Targets (issue 8): PostgreSQL >= 10,000 rows/s for 1M rows and >= 0.2 x the raw COPY rate;
SQLite >= 20,000 rows/s; memory < 1 GiB whatever the size. Prints the figures and writes
bench/results/import-*.json; nothing is asserted.
"""

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench_search import invented_surname, postgres_admin  # bench/ is on sys.path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(REPO))
SCRATCH_DB = "civicdesk_bench_import"
CLEARED_ENV_PREFIXES = ("CIVICDESK_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DJANGO_")
BOX = (-78.75, 35.70, -78.55, 35.90)  # Raleigh, lon/lat
WARDS = 8  # vertical strips
PRECINCTS = 10  # a 10 x 10 grid
NC_COLUMNS = [
    "county_id",
    "county_desc",
    "voter_reg_num",
    "ncid",
    "last_name",
    "first_name",
    "middle_name",
    "name_suffix_lbl",
    "status_cd",
    "voter_status_desc",
    "reason_cd",
    "voter_status_reason_desc",
    "res_street_address",
    "res_city_desc",
    "state_cd",
    "zip_code",
    "mail_addr1",
    "mail_addr2",
    "mail_addr3",
    "mail_addr4",
    "mail_city",
    "mail_state",
    "mail_zipcode",
    "full_phone_number",
    "confidential_ind",
    "registr_dt",
    "race_code",
    "ethnic_code",
    "party_cd",
    "gender_code",
    "birth_year",
    "age_at_year_end",
    "birth_state",
    "drivers_lic",
    "precinct_abbrv",
    "precinct_desc",
    "municipality_abbrv",
    "municipality_desc",
    "ward_abbrv",
    "ward_desc",
    "cong_dist_abbrv",
    "super_court_abbrv",
    "judic_dist_abbrv",
    "nc_senate_abbrv",
    "nc_house_abbrv",
    "county_commiss_abbrv",
    "county_commiss_desc",
    "township_abbrv",
    "township_desc",
    "school_dist_abbrv",
    "school_dist_desc",
    "fire_dist_abbrv",
    "fire_dist_desc",
    "water_dist_abbrv",
    "water_dist_desc",
    "sewer_dist_abbrv",
    "sewer_dist_desc",
    "sanit_dist_abbrv",
    "sanit_dist_desc",
    "rescue_dist_abbrv",
    "rescue_dist_desc",
    "munic_dist_abbrv",
    "munic_dist_desc",
    "dist_1_abbrv",
    "dist_1_desc",
    "vtd_abbrv",
    "vtd_desc",
]
STREET_TYPES = ("ST", "AVE", "RD", "DR", "LN", "CT", "PL", "WAY", "BLVD", "CIR")


# ---------------------------------------------------------------- the data


def ward_of(lon: float) -> int:
    return min(WARDS, 1 + int((lon - BOX[0]) / (BOX[2] - BOX[0]) * WARDS))


def precinct_of(lon: float, lat: float) -> str:
    column = min(PRECINCTS - 1, int((lon - BOX[0]) / (BOX[2] - BOX[0]) * PRECINCTS))
    row = min(PRECINCTS - 1, int((lat - BOX[1]) / (BOX[3] - BOX[1]) * PRECINCTS))
    return f"{row + 1:02d}-{column + 1:02d}"


def addresses(count: int, rng: random.Random) -> list[tuple[str, str, str, float, float]]:
    """(street line, city, zip, lon, lat): houses along generated streets."""
    streets = [
        f"{invented_surname(rng).upper()} {rng.choice(STREET_TYPES)}"
        for _ in range(max(20, count // 40))
    ]
    zips = [f"276{n:02d}" for n in range(1, 40)]
    found = []
    seen = set()
    while len(found) < count:
        line = f"{rng.randint(1, 9999)} {rng.choice(streets)}"
        if line in seen:
            continue
        seen.add(line)
        lon, lat = rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3])
        found.append((line, "RALEIGH", rng.choice(zips), round(lon, 6), round(lat, 6)))
    return found


def write_files(folder: Path, rows: int, seed: int) -> tuple[Path, Path, Path]:
    """The voter file, the address-point CSV and the district maps (GeoJSON)."""
    from civicdesk.constituents import demo

    rng = random.Random(seed)
    places = addresses(max(1000, int(rows / 2.2)), rng)
    points = folder / "address-points.csv"
    with points.open("w") as out:
        out.write("address,zip,lat,lon\n")
        for line, _city, code, lon, lat in places:
            out.write(f"{line},{code},{lat},{lon}\n")
    firsts = [name.upper() for name in demo.FIRST_NAMES["female"] + demo.FIRST_NAMES["male"]]
    commons = [name.upper() for name in demo.LAST_NAMES]
    tail = [invented_surname(rng).upper() for _ in range(max(1000, rows // 10))]
    voters = folder / "ncvoter_bench.txt"
    empty = [""] * len(NC_COLUMNS)
    at = {name: i for i, name in enumerate(NC_COLUMNS)}
    with voters.open("w", encoding="utf-8") as out:
        out.write("\t".join(NC_COLUMNS) + "\n")
        for n in range(rows):
            cells = list(empty)
            line, city, code, lon, lat = rng.choice(places)
            if rng.random() < 0.05:  # an address the city's file does not know
                line = f"{rng.randint(10000, 20000)} UNKNOWN {rng.choice(STREET_TYPES)}"
            ward, precinct = ward_of(lon), precinct_of(lon, lat)
            year = rng.randint(1930, 2006)
            cells[at["county_id"]], cells[at["county_desc"]] = "92", "WAKE"
            cells[at["voter_reg_num"]] = f"{n:012d}"
            cells[at["ncid"]] = f"BN{n + 1:07d}"
            cells[at["last_name"]] = rng.choice(commons) if rng.random() < 0.6 else rng.choice(tail)
            cells[at["first_name"]] = rng.choice(firsts)
            if rng.random() < 0.7:
                cells[at["middle_name"]] = rng.choice(firsts)
            if rng.random() < 0.03:
                cells[at["name_suffix_lbl"]] = rng.choice(("JR", "SR", "III"))
            cells[at["status_cd"]], cells[at["voter_status_desc"]] = rng.choice(
                (("A", "ACTIVE"), ("A", "ACTIVE"), ("A", "ACTIVE"), ("I", "INACTIVE"))
            )
            cells[at["res_street_address"]] = line
            cells[at["res_city_desc"]], cells[at["state_cd"]], cells[at["zip_code"]] = (
                city,
                "NC",
                code,
            )
            if rng.random() < 0.4:
                cells[at["full_phone_number"]] = f"919{rng.randint(2000000, 9999999)}"
            cells[at["confidential_ind"]] = "N"
            cells[at["registr_dt"]] = (
                f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(year + 18, 2024)}"
            )
            cells[at["race_code"]] = rng.choice("WBAIOU")
            cells[at["party_cd"]] = rng.choice(("DEM", "REP", "UNA", "UNA", "LIB", "GRE"))
            cells[at["gender_code"]] = rng.choice("MFU")
            cells[at["birth_year"]] = str(year)
            cells[at["age_at_year_end"]] = str(2025 - year)
            cells[at["precinct_abbrv"]] = precinct
            cells[at["precinct_desc"]] = f"PRECINCT {precinct}"
            cells[at["ward_abbrv"]] = str(ward)
            cells[at["ward_desc"]] = f"WARD {ward}"
            cells[at["cong_dist_abbrv"]] = str(2 + ward % 3)
            cells[at["nc_senate_abbrv"]] = str(14 + ward % 4)
            cells[at["nc_house_abbrv"]] = str(30 + ward)
            out.write("\t".join(cells) + "\n")
    maps = folder / "maps.json"
    maps.write_text(json.dumps(district_maps()))
    return voters, points, maps


def scratch_urls(server_url: str) -> tuple[str, str]:
    """(the server's admin database, the scratch database) URLs."""
    parts = urlsplit(server_url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit(f"--database-url must be a postgres:// URL, not {server_url!r}.")
    admin_db = parts.path.lstrip("/") or "postgres"
    if admin_db == SCRATCH_DB:
        admin_db = "postgres"
    admin = urlunsplit((parts.scheme, parts.netloc, f"/{admin_db}", parts.query, ""))
    scratch = urlunsplit((parts.scheme, parts.netloc, f"/{SCRATCH_DB}", parts.query, ""))
    return admin, scratch


def box(x0: float, y0: float, x1: float, y1: float) -> dict:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def district_maps() -> dict[str, list]:
    west, south, east, north = BOX
    width, height = east - west, north - south
    wards = [
        (f"Ward {w + 1}", str(w + 1), box(west + w * width / WARDS, south,
                                          west + (w + 1) * width / WARDS, north))
        for w in range(WARDS)
    ]  # fmt: skip
    precincts = [
        (f"Precinct {r + 1:02d}-{c + 1:02d}", f"{r + 1:02d}-{c + 1:02d}",
         box(west + c * width / PRECINCTS, south + r * height / PRECINCTS,
             west + (c + 1) * width / PRECINCTS, south + (r + 1) * height / PRECINCTS))
        for r in range(PRECINCTS) for c in range(PRECINCTS)
    ]  # fmt: skip
    mid_x, mid_y = west + width / 2, south + height / 2
    council = [
        ("North West", "NW", box(west, mid_y, mid_x, north)),
        ("North East", "NE", box(mid_x, mid_y, east, north)),
        ("South West", "SW", box(west, south, mid_x, mid_y)),
        ("South East", "SE", box(mid_x, south, east, mid_y)),
    ]
    return {"Ward": wards, "Precinct": precincts, "Council": council}


# ---------------------------------------------------------------- the child: inside Django


def child_setup(args) -> None:
    """The office, its address points and district maps (through the services)."""
    from civicdesk.accounts.services import create_office
    from civicdesk.geo import services as geo

    office = create_office(name="Bench Office", slug="bench")
    for name, districts in json.loads(Path(args.maps).read_text()).items():
        features = [
            {"type": "Feature", "properties": {"name": n, "code": c}, "geometry": g}
            for n, c, g in districts
        ]
        source = json.dumps({"type": "FeatureCollection", "features": features})
        geo.import_layer(office, name=name, source=source, name_property="name",
                         code_property="code", by=None)  # fmt: skip
    with open(args.points) as points:
        geo.import_address_points(office, points, address_column="address", lat_column="lat",
                                  lon_column="lon", postcode_column="zip", by=None)  # fmt: skip


def child_report(args) -> None:
    """The last batch's figures, and what it wrote."""
    from civicdesk.constituents.models import Address, AddressDistrict, Person
    from civicdesk.imports.models import ImportBatch

    batch = ImportBatch.objects.order_by("-pk").first()
    seconds = (batch.finished_at - batch.started_at).total_seconds()
    office = batch.office
    print("REPORT=" + json.dumps({
        "batch": batch.pk, "rows": batch.rows_done, "seconds": round(seconds, 2),
        "rows_per_s": round(batch.rows_done / seconds), "created": batch.created,
        "updated": batch.updated, "unchanged": batch.unchanged, "failed": batch.failed,
        "people": Person.objects.for_office(office).count(),
        "positioned": Address.objects.for_office(office).filter(latitude__isnull=False).count(),
        "district_links": AddressDistrict.objects.filter(office=office).count(),
    }))  # fmt: skip


# ---------------------------------------------------------------- the parent


class Installation:
    def __init__(self, workdir: Path, database_url: str):
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV_PREFIXES)}
        self.env.update(DJANGO_SETTINGS_MODULE="civicdesk.settings", CIVICDESK_VAR_DIR=str(workdir),
                        DATABASE_URL=database_url, EMAIL_URL="memory://",
                        CIVICDESK_GEOCODERS="local")  # fmt: skip

    def run(self, command: list[str]) -> str:
        done = subprocess.run(command, env=self.env, cwd=REPO, capture_output=True, text=True,
                              check=False)  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command[:4])} failed:\n{done.stderr[-4000:]}")
        return done.stdout

    def child(self, action: str, **options: str) -> str:
        extra = [item for key, value in options.items() for item in (f"--{key}", value)]
        return self.run([sys.executable, __file__, "--child", action, *extra])

    def civicdesk(self, *args: str) -> str:
        return self.run([sys.executable, "-m", "civicdesk", *args])


def peak_rss_mb(command: list[str], env: dict, log: Path) -> tuple[int, str, str, float, float]:
    """Run a command; (its return code, stdout, stderr, peak RSS in MB, wall seconds). The
    child is reaped with wait4, whose rusage is that child's alone."""
    started = time.monotonic()
    with log.open("w+") as errors:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=errors, text=True)  # fmt: skip
        out = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        err = errors.read()
    return process.returncode, out, err, usage.ru_maxrss / 1024, time.monotonic() - started


def measure_import(installation: Installation, voters: Path) -> dict:
    command = [sys.executable, "-m", "civicdesk", "import", "people", str(voters),
               "--office", "bench", "--mapping", "nc", "--tag", "Voter file"]  # fmt: skip
    log = installation.workdir / "import.log"
    code, out, err, rss, wall = peak_rss_mb(command, installation.env, log)
    if code != 0:
        raise SystemExit(f"the import failed:\n{err[-4000:]}")
    report = json.loads(installation.child("report").split("REPORT=", 1)[1])
    lines = out.strip().splitlines()
    report.update(wall_seconds=round(wall, 1), peak_rss_mb=round(rss), shape=lines[0],
                  summary=lines[-1])  # fmt: skip
    return report


def raw_copy(scratch_url: str, workdir: Path) -> dict:
    """COPY the imported people rows into a bare table with the people table's columns and
    indexes (LIKE ... INCLUDING ALL): the rate a bare COPY of those rows reaches."""
    import psycopg

    dump = workdir / "people.copy"
    with psycopg.connect(scratch_url, autocommit=True) as connection:
        with (
            dump.open("wb") as out,
            connection.cursor().copy("COPY constituents_person TO STDOUT") as copy,
        ):
            for data in copy:
                out.write(data)
        rows = connection.execute("SELECT count(*) FROM constituents_person").fetchone()[0]
        indexes = [
            row[0]
            for row in connection.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'constituents_person' "
                "ORDER BY indexname"
            )
        ]
        connection.execute("DROP TABLE IF EXISTS bench_bare_person")
        connection.execute(
            "CREATE TABLE bench_bare_person (LIKE constituents_person INCLUDING ALL)"
        )
        started = time.monotonic()
        with (
            connection.transaction(),
            dump.open("rb") as source,
            connection.cursor().copy("COPY bench_bare_person FROM STDIN") as copy,
        ):
            while data := source.read(1 << 20):
                copy.write(data)
        seconds = time.monotonic() - started
        copied_indexes = connection.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'bench_bare_person'"
        ).fetchone()[0]
        connection.execute("DROP TABLE bench_bare_person")
    dump.unlink()
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "indexes": len(indexes), "indexes_copied": copied_indexes,
            "trigram_index": any("gin_trgm_ops" in index for index in indexes)}  # fmt: skip


def run_database(label: str, database_url: str, files: tuple[Path, Path, Path], workdir: Path,
                 *, scratch_url: str = "") -> dict:  # fmt: skip
    voters, points, maps = files
    installation = Installation(workdir, database_url)
    print(f"{label}: migrating and setting up the office", flush=True)
    installation.civicdesk("migrate", "-v0")
    installation.child("setup", points=str(points), maps=str(maps))
    print(f"{label}: importing", flush=True)
    first = measure_import(installation, voters)
    print(f"{label}: {first['rows']:,} rows in {first['seconds']} s = {first['rows_per_s']:,} rows/s "
          f"(peak RSS {first['peak_rss_mb']} MB); importing again", flush=True)  # fmt: skip
    again = measure_import(installation, voters)
    result = {"database": label, "first": first, "again": again}
    if scratch_url:
        print(f"{label}: raw COPY of the same rows", flush=True)
        result["raw_copy"] = raw_copy(scratch_url, workdir)
        result["ratio"] = round(first["rows_per_s"] / result["raw_copy"]["rows_per_s"], 3)
    return result


def report(result: dict) -> None:
    first, again = result["first"], result["again"]
    print(f"\n{result['database']}: {first['rows']:,} rows ({first['shape']})")
    print(f"  import     {first['rows_per_s']:>9,} rows/s  {first['seconds']:>7} s   wall "
          f"{first['wall_seconds']} s   peak RSS {first['peak_rss_mb']} MB")  # fmt: skip
    print(f"             {first['summary']}; {first['positioned']:,} addresses positioned, "
          f"{first['district_links']:,} district links")  # fmt: skip
    print(f"  re-run     {again['rows_per_s']:>9,} rows/s  {again['seconds']:>7} s   peak RSS "
          f"{again['peak_rss_mb']} MB   {again['summary']}")  # fmt: skip
    if "raw_copy" in result:
        copy = result["raw_copy"]
        print(f"  raw COPY   {copy['rows_per_s']:>9,} rows/s  {copy['seconds']:>7} s   "
              f"({copy['indexes_copied']} indexes, trigram: {copy['trigram_index']})")  # fmt: skip
        print(f"  ratio import / raw COPY: {result['ratio']} (target >= 0.2)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="PostgreSQL server to make the scratch database on (also "
                        "BENCH_DATABASE_URL); without one, SQLite only.")  # fmt: skip
    parser.add_argument("--rows", type=int, default=None, help="Rows of the voter file "
                        "(default 1,000,000; 100,000 with --quick).")  # fmt: skip
    parser.add_argument("--sqlite-rows", type=int, default=None,
                        help="Rows imported on SQLite (default: as many as --rows).")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="100,000 rows.")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--points", help=argparse.SUPPRESS)
    parser.add_argument("--maps", help=argparse.SUPPRESS)
    args, ignored = parser.parse_known_args()
    if ignored and not args.child:
        print(f"(ignoring arguments meant for other benchmarks: {' '.join(ignored)})")
    if args.rows is None:
        args.rows = 100_000 if args.quick else 1_000_000
    return args


def main() -> int:
    args = parse_args()
    if args.child:
        import django

        django.setup()
        {"setup": child_setup, "report": child_report}[args.child](args)
        return 0
    if not args.database_url and not args.skip_postgres:
        print("No PostgreSQL server given (--database-url or BENCH_DATABASE_URL): SQLite only.")
        args.skip_postgres = True
    results = []
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-import-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicdesk.settings")
        import django

        django.setup()  # the generator borrows the demo's names
        started = time.monotonic()
        files = write_files(folder, args.rows, args.seed)
        print(f"generated {args.rows:,} rows ({files[0].stat().st_size / 1e6:.0f} MB) in "
              f"{time.monotonic() - started:.0f} s", flush=True)  # fmt: skip
        if not args.skip_postgres:
            admin, scratch = scratch_urls(args.database_url)
            postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
            postgres_admin(admin, f"CREATE DATABASE {SCRATCH_DB}")
            try:
                workdir = folder / "pg"
                workdir.mkdir()
                results.append(run_database("postgresql", scratch, files, workdir,
                                            scratch_url=scratch))  # fmt: skip
            finally:
                postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        if not args.skip_sqlite:
            sqlite_files = files
            if args.sqlite_rows and args.sqlite_rows < args.rows:
                head = folder / "ncvoter_sqlite.txt"
                with files[0].open() as source, head.open("w") as out:
                    for _ in range(args.sqlite_rows + 1):
                        out.write(source.readline())
                sqlite_files = (head, files[1], files[2])
            workdir = folder / "sqlite"
            workdir.mkdir()
            url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            results.append(run_database("sqlite", url, sqlite_files, workdir))
    for result in results:
        report(result)
    after = os.getloadavg()
    print(f"\nload average {load[0]:.1f} before, {after[0]:.1f} after")
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"import-{stamp}.json"
    out.write_text(json.dumps({"at": stamp, "machine": platform.platform(), "cpus": os.cpu_count(),
                               "rows": args.rows, "seed": args.seed, "load_before": load,
                               "load_after": after, "results": results}, indent=2) + "\n")  # fmt: skip
    print(f"wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
