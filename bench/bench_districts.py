"""Point-in-polygon benchmark: random points in DC's bounding box, assigned to DC's 8 wards.

Builds a throwaway installation (a temporary data folder with SQLite: the database only holds
the map, the points are located in memory), imports tests/data/geo/ward-2012.geojson through
the import service, then times `civicdesk.geo.services.assign_points` against a bare loop of
`shapely.contains_xy` over the same prepared polygons and the same points:

    .venv/bin/python bench/bench_districts.py
    .venv/bin/python bench/bench_districts.py --points 2000000 --runs 5

Prints points/s (median of the runs) and the ratio assign_points / bare loop (target >= 0.5),
and writes them to bench/results/districts-*.json. Timings are printed, never asserted.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
WARDS = REPO / "tests" / "data" / "geo" / "ward-2012.geojson"
sys.path.insert(0, str(REPO))  # measure the checkout this file sits in, whatever is installed
# The bench builds its own installation; the operator's settings must not leak into it.
CLEARED_ENV_PREFIXES = ("CIVICDESK_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="Points per run.")
    parser.add_argument("--runs", type=int, default=3, help="Timed runs of each; medians kept.")
    parser.add_argument("--seed", type=int, default=2016)
    # bench/run.py passes the same extra arguments to every benchmark: ignore the others'.
    args, ignored = parser.parse_known_args()
    if ignored:
        print(f"(ignoring arguments meant for other benchmarks: {' '.join(ignored)})")
    return args


def build_installation() -> float:
    """Django on a temporary SQLite database, migrated; returns the seconds migrate took."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV_PREFIXES)}
    env.update(
        DJANGO_SETTINGS_MODULE="civicdesk.settings",
        CIVICDESK_VAR_DIR=tempfile.mkdtemp(prefix="civicdesk-bench-districts-"),
        CIVICDESK_LOG_LEVEL="WARNING",
        EMAIL_URL="memory://",
    )
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    return time.perf_counter() - started


def import_wards():
    from civicdesk.accounts.services import create_office
    from civicdesk.geo.services import import_layer

    office = create_office(name="Bench office", slug="bench")
    started = time.perf_counter()
    result = import_layer(
        office, name="Ward", source=WARDS.read_bytes(), name_property="NAME", by=None
    )
    return result.layer, time.perf_counter() - started


def git_revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return ""


def timed(func, runs: int) -> tuple[list[float], object]:
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = func()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def main() -> int:
    args = parse_args()
    migrate_s = build_installation()
    import numpy as np
    import shapely

    from civicdesk.geo.services import assign_points, layer_shapes

    layer, import_s = import_wards()
    started = time.perf_counter()
    shapes = layer_shapes(layer)  # loaded, prepared and gridded once; assign_points reuses them
    load_s = time.perf_counter() - started
    west, south = shapes.bounds[:, 0].min(), shapes.bounds[:, 1].min()
    east, north = shapes.bounds[:, 2].max(), shapes.bounds[:, 3].max()
    rng = np.random.default_rng(args.seed)
    lons = rng.uniform(west, east, args.points)
    lats = rng.uniform(south, north, args.points)
    print(f"{len(shapes)} wards, bbox {west:.4f},{south:.4f} .. {east:.4f},{north:.4f}")
    print(f"setup: migrate {migrate_s:.1f} s, import {import_s:.2f} s, load shapes {load_s:.2f} s")
    print(f"{args.points:,} random points; {args.runs} runs each, medians\n")

    def ours():
        return assign_points(layer, lons, lats)

    def bare():
        found = np.full(lons.size, -1, dtype=np.int64)
        for at, polygon in enumerate(shapes.geometries):
            found[shapely.contains_xy(polygon, lons, lats)] = at
        return found

    ours()  # warm-up: the same first call a job makes
    load_before = os.getloadavg()
    ours_s, assigned = timed(ours, args.runs)
    bare_s, bare_found = timed(bare, args.runs)
    load_after = os.getloadavg()

    ours_median, bare_median = statistics.median(ours_s), statistics.median(bare_s)
    ours_rate, bare_rate = args.points / ours_median, args.points / bare_median
    bare_ids = np.where(bare_found >= 0, shapes.keys[np.maximum(bare_found, 0)], -1)
    ours_ids = np.array([-1 if key is None else key for key in assigned])
    differing = int(np.count_nonzero(ours_ids != bare_ids))
    inside = int(np.count_nonzero(ours_ids >= 0))
    ratio = ours_rate / bare_rate
    print(f"assign_points     {ours_rate / 1e6:6.2f} M points/s  (median {ours_median:.3f} s)")
    print(f"bare contains_xy  {bare_rate / 1e6:6.2f} M points/s  (median {bare_median:.3f} s)")
    print(f"ratio assign_points / bare: {ratio:.2f} (target >= 0.5)")
    print(
        f"{inside:,} points in a ward ({inside / args.points:.1%}); {differing} differ from the bare loop"
    )
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")

    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"districts-{stamp}.json"
    report = {
        "benchmark": "districts",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": git_revision(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "shapely": shapely.__version__,
            "geos": ".".join(map(str, shapely.geos_version)),
            "load_average_before": load_before,
            "load_average_after": load_after,
        },
        "layer": {"file": WARDS.name, "districts": len(shapes)},
        "points": args.points,
        "runs": args.runs,
        "assign_points": {"seconds": ours_s, "median_s": ours_median, "points_per_s": ours_rate},
        "bare_contains_xy": {"seconds": bare_s, "median_s": bare_median, "points_per_s": bare_rate},
        "ratio": ratio,
        "inside_share": inside / args.points,
        "differing_from_bare": differing,
        "setup": {"migrate_s": migrate_s, "import_s": import_s, "load_shapes_s": load_s},
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
