"""Run every benchmark in this folder (bench_*.py), each in its own Python process.

    .venv/bin/python bench/run.py                      # all benchmarks, SQLite
    .venv/bin/python bench/run.py --database-url postgres://root@127.0.0.1:5432/postgres
    .venv/bin/python bench/run.py --only http -- --duration 4

Benchmarks print figures and write JSON to bench/results/; they never assert timings. The exit
code is non-zero only when a benchmark could not run (it crashed), never because it was slow.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="A PostgreSQL server (postgres://...) to run on instead of SQLite; "
        "benchmarks make and drop their own scratch database there. Also BENCH_DATABASE_URL.",
    )
    parser.add_argument(
        "--only", default="", help="Run only benchmarks whose name contains this (e.g. http)."
    )
    parser.add_argument(
        "extra", nargs=argparse.REMAINDER, help="After --: arguments passed to every benchmark."
    )
    args = parser.parse_args()
    extra = args.extra[1:] if args.extra[:1] == ["--"] else args.extra

    env = dict(os.environ)
    if args.database_url:
        env["BENCH_DATABASE_URL"] = args.database_url
    scripts = sorted(p for p in BENCH_DIR.glob("bench_*.py") if args.only in p.stem)
    if not scripts:
        print(f"No benchmark matches {args.only!r}.", file=sys.stderr)
        return 2
    failed = []
    for script in scripts:
        print(f"\n=== {script.name}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script), *extra], env=env)
        print(
            f"=== {script.name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True
        )
        if code != 0:
            failed.append(script.name)
    if failed:
        print(f"\nThese benchmarks did not run to the end: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
