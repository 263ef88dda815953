"""Tabular benchmark: reading and mapping a voter file, without a database.

Writes a seeded NC-like voter file (the 71 columns of the pre-2022 `ncvoter` layout, tab-
delimited with a header, names and addresses in capitals, phones, districts), then measures:

- `detect_shape` on it;
- `count_rows` (the progress bar's total);
- `read_rows` alone (decode, split, strip);
- `read_rows` + `RowMapper` with the NC preset: the parse-validate-normalize part of an import;
- `write_csv` and `write_xlsx` of 100,000 rows of 12 columns (exports go through them).

    .venv/bin/python bench/bench_tabular.py             # 1,000,000 rows
    .venv/bin/python bench/bench_tabular.py --rows 100000
    .venv/bin/python bench/bench_tabular.py --quick     # 100,000 rows

Prints rows per second and the peak memory of the process; writes bench/results/tabular-*.json.
Timings are printed, never asserted.
"""

import argparse
import io
import json
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(REPO))


def words(text: str) -> list[str]:
    return text.split()


NC_COLUMNS = words(
    "county_id county_desc voter_reg_num status_cd voter_status_desc reason_cd "
    "voter_status_reason_desc absent_ind name_prefx_cd last_name first_name middle_name "
    "name_suffix_lbl res_street_address res_city_desc state_cd zip_code mail_addr1 mail_addr2 "
    "mail_addr3 mail_addr4 mail_city mail_state mail_zipcode full_phone_number race_code "
    "ethnic_code party_cd gender_code birth_age birth_state drivers_lic registr_dt "
    "precinct_abbrv precinct_desc municipality_abbrv municipality_desc ward_abbrv ward_desc "
    "cong_dist_abbrv super_court_abbrv judic_dist_abbrv nc_senate_abbrv nc_house_abbrv "
    "county_commiss_abbrv county_commiss_desc township_abbrv township_desc school_dist_abbrv "
    "school_dist_desc fire_dist_abbrv fire_dist_desc water_dist_abbrv water_dist_desc "
    "sewer_dist_abbrv sewer_dist_desc sanit_dist_abbrv sanit_dist_desc rescue_dist_abbrv "
    "rescue_dist_desc munic_dist_abbrv munic_dist_desc dist_1_abbrv dist_1_desc dist_2_abbrv "
    "dist_2_desc confidential_ind birth_year ncid vtd_abbrv vtd_desc"
)
FIRST = words(
    "JAMES MARY ROBERT PATRICIA JOHN JENNIFER MICHAEL LINDA DAVID ELIZABETH WILLIAM BARBARA "
    "RICHARD SUSAN JOSEPH JESSICA THOMAS SARAH CHARLES KAREN MARIA JOSE"
)
LAST = words(
    "SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ MARTINEZ HERNANDEZ "
    "LOPEZ GONZALEZ WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON MARTIN LEE MCDONALD O'BRIEN "
    "SMITH-JONES"
)
STREETS = ("MAIN ST", "OAK AVE", "PINE RD", "1ST ST NE", "MAPLE DR", "CEDAR LN", "ELM ST",
           "MARTIN LUTHER KING JR BLVD", "CHURCH ST", "PARK AVE")  # fmt: skip
CITIES = ("RALEIGH", "DURHAM", "CHARLOTTE", "GREENSBORO", "CHAPEL HILL", "CARY", "WILMINGTON")


def nc_row(rng: random.Random, n: int) -> list[str]:
    values = dict.fromkeys(NC_COLUMNS, " ")
    values.update(
        county_id=str(rng.randint(1, 100)),
        county_desc="WAKE",
        voter_reg_num=f"{rng.randint(1, 99999999):012d}",
        status_cd="A",
        voter_status_desc="ACTIVE",
        last_name=rng.choice(LAST),
        first_name=rng.choice(FIRST),
        middle_name=rng.choice(FIRST) if rng.random() < 0.7 else " ",
        name_suffix_lbl="JR" if rng.random() < 0.03 else " ",
        res_street_address=f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
        res_city_desc=rng.choice(CITIES),
        state_cd="NC",
        zip_code=f"27{rng.randint(0, 999):03d}",
        full_phone_number=f"919{rng.randint(2000000, 9999999)}" if rng.random() < 0.4 else " ",
        party_cd=rng.choice(("DEM", "REP", "UNA", "LIB")),
        gender_code=rng.choice("MFU"),
        birth_age=str(rng.randint(18, 99)),
        registr_dt=f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1970, 2020)}",
        precinct_abbrv=f"{rng.randint(1, 40):02d}-{rng.randint(1, 20):02d}",
        ward_abbrv=str(rng.randint(1, 8)),
        cong_dist_abbrv=str(rng.randint(1, 14)),
        nc_senate_abbrv=str(rng.randint(1, 50)),
        nc_house_abbrv=str(rng.randint(1, 120)),
        county_commiss_abbrv=f"CM{rng.randint(1, 7):02d}",
        school_dist_abbrv=str(rng.randint(1, 9)),
        municipality_desc=rng.choice(CITIES),
        birth_year=str(rng.randint(1925, 2005)),
        ncid=f"AA{n:08d}",
    )
    return [values[c] for c in NC_COLUMNS]


def write_nc_file(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("\t".join(NC_COLUMNS) + "\n")
        batch = []
        for n in range(1, rows + 1):
            batch.append("\t".join(nc_row(rng, n)))
            if len(batch) == 10_000:
                f.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            f.write("\n".join(batch) + "\n")


def timed(label: str, fn, rows: int, results: dict) -> object:
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    rate = rows / seconds if seconds else float("inf")
    print(f"  {label:<34} {seconds:8.2f} s  {rate:12,.0f} rows/s")
    results[label] = {"seconds": round(seconds, 3), "rows_per_second": round(rate)}
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    parser.add_argument("--seed", type=int, default=8)
    args, unknown = parser.parse_known_args()
    if unknown:
        print(f"bench_tabular: ignoring {' '.join(unknown)}")
    rows = 100_000 if args.quick else args.rows

    from civicdesk.tabular.mapping import RowMapper, load_mapping
    from civicdesk.tabular.reading import count_rows, detect_shape, read_rows
    from civicdesk.tabular.writing import write_csv, write_xlsx

    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ncvoter_bench.txt"
        start = time.perf_counter()
        write_nc_file(path, rows, args.seed)
        size_mb = path.stat().st_size / 1e6
        print(f"NC-like voter file: {rows:,} rows, {size_mb:,.0f} MB, written in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        shape = timed("detect_shape", lambda: detect_shape(path), rows, results)
        timed("count_rows", lambda: count_rows(path, shape), rows, results)

        def read_only() -> int:
            return sum(1 for _ in read_rows(path, shape))

        def read_and_map() -> int:
            mapper = RowMapper(load_mapping("nc"), shape)
            failed = 0
            for row in read_rows(path, shape):
                _record, problems = mapper(row.cells)
                failed += bool(problems)
            return failed

        timed("read_rows", read_only, rows, results)
        failed = timed("read_rows + RowMapper (nc preset)", read_and_map, rows, results)
        print(f"  rows with problems: {failed}")

        export_rows = 100_000
        rng = random.Random(args.seed)
        table = [["id", "first", "last", "email", "phone", "line1", "city", "state", "zip",
                  "born", "party", "note"]]  # fmt: skip
        for n in range(export_rows):
            table.append([n, rng.choice(FIRST), rng.choice(LAST), f"p{n}@example.org",
                          "+19195550123", "1 MAIN ST", "RALEIGH", "NC", "27601", "1970-01-01",
                          "DEM", "=HYPERLINK(\"x\")" if n % 100 == 0 else ""])  # fmt: skip
        timed("write_csv (12 columns)", lambda: write_csv(table, io.StringIO()), export_rows,
              results)  # fmt: skip
        timed("write_xlsx (12 columns)", lambda: write_xlsx(table, Path(tmp) / "out.xlsx"),
              export_rows, results)  # fmt: skip

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory (RSS)                  {peak_mb:8.0f} MB")
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"tabular-{stamp}.json"
    out.write_text(json.dumps({
        "rows": rows, "file_mb": round(size_mb), "peak_rss_mb": round(peak_mb),
        "python": platform.python_version(), "results": results,
    }, indent=2))  # fmt: skip
    print(f"wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
