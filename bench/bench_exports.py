"""Exports benchmark: a people list of 100,000 (SQLite) or 200,000 (PostgreSQL) people as CSV,
XLSX and vCard, and the full office export of the same office, each in a fresh process so that
its peak memory (max RSS) is the export's own.

Builds a throwaway installation (a temporary data folder; SQLite, or a scratch PostgreSQL
database `civicdesk_bench_exports`, created and dropped) and loads the people straight into the
tables (bench_search's generator: names, one or two emails and phones, an address, a voter id).
Then, each in its own process: `exports.services.write_people` for each format to a temporary
file (what the `exports.people` job does), and `exports.office_export.write_office_export`
(what the `exports.office` job does).

    .venv/bin/python bench/bench_exports.py
    .venv/bin/python bench/bench_exports.py --quick                 # 10,000 people
    .venv/bin/python bench/bench_exports.py --database-url postgres://root@127.0.0.1:5432/postgres

Prints rows per second, the file size and the peak memory of each export; writes
bench/results/exports-*.json. Timings are printed, never asserted.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(REPO))
SCRATCH_DB = "civicdesk_bench_exports"
CLEARED_ENV_PREFIXES = ("CIVICDESK_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL")
STEPS = ("people-csv", "people-xlsx", "people-vcard", "office")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def child_load(people: int, seed: int) -> dict:
    from bench_search import load  # bench/ is on sys.path
    from django.core.management import call_command
    from django.db import connection

    from civicdesk.accounts.services import add_member, create_office

    call_command("migrate", verbosity=0, interactive=False)
    office = create_office(name="Bench Office", slug="bench")
    add_member(office, email="manager@bench.example", role="manager", by=None, full_name="M")
    started = time.monotonic()
    load(connection, office, people, seed, sample_size=1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"people": people, "load_seconds": round(time.monotonic() - started, 1)}


def child_measure(step: str, workdir: Path) -> dict:
    from civicdesk.accounts.models import Office
    from civicdesk.constituents.models import Person
    from civicdesk.constituents.queries import PersonFilter
    from civicdesk.exports import office_export, services

    office = Office.objects.get(slug="bench")
    rows = Person.objects.filter(office=office).count()
    before = peak_rss_mb()
    target = workdir / f"{step}.out"
    started = time.monotonic()
    with open(target, "wb") as out:
        if step == "office":
            summary = office_export.write_office_export(office, out, exported_by="bench")
            rows = summary.rows
        else:
            services.write_people(
                office, PersonFilter(), out, format=step.removeprefix("people-"),
                may_see_concern=True,
            )  # fmt: skip
    seconds = time.monotonic() - started
    size = target.stat().st_size
    target.unlink()
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds) if seconds else None,
        "megabytes": round(size / 1e6, 1),
        "rss_before_mb": round(before),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def run_child(args) -> None:
    import django

    django.setup()
    from django.db import connection

    if args.child == "load":
        result = child_load(args.people, args.seed)
    else:
        result = child_measure(args.child, Path(args.workdir))
    result["database"] = connection.vendor
    Path(args.child_output).write_text(json.dumps(result))
    connection.close()


# ---------------------------------------------------------------- the parent


def scratch_urls(server_url: str) -> tuple[str, str]:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(server_url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit(f"--database-url must be a postgres:// URL, not {server_url!r}.")
    admin_db = parts.path.lstrip("/") or "postgres"
    if admin_db == SCRATCH_DB:
        admin_db = "postgres"
    admin = urlunsplit((parts.scheme, parts.netloc, f"/{admin_db}", parts.query, ""))
    return admin, urlunsplit((parts.scheme, parts.netloc, f"/{SCRATCH_DB}", parts.query, ""))


def postgres_admin(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(statement)


def child(step: str, args, env: dict, workdir: Path) -> dict:
    output = workdir / f"{step}.json"
    command = [sys.executable, __file__, "--child", step, "--people", str(args.people),
               "--seed", str(args.seed), "--workdir", str(workdir),
               "--child-output", str(output)]  # fmt: skip
    subprocess.run(command, env=env, check=True, cwd=REPO)
    return json.loads(output.read_text())


def report(loaded: dict, results: dict) -> None:
    print(f"\n{loaded['database']}: {loaded['people']:,} people (loaded in "
          f"{loaded['load_seconds']} s)")  # fmt: skip
    print(
        f"  {'export':<14} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'MB':>7} {'peak RSS MB':>12}"
    )
    for step, r in results.items():
        print(f"  {step:<14} {r['rows']:>9,} {r['seconds']:>8} {r['rows_per_second'] or 0:>9,} "
              f"{r['megabytes']:>7} {r['peak_rss_mb']:>12}")  # fmt: skip
    print(
        "  (peak RSS: the whole process, Django and the interpreter included; "
        f"{results[STEPS[0]]['rss_before_mb']} MB before the export started)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="A PostgreSQL server (postgres://...) instead of SQLite; also BENCH_DATABASE_URL.")  # fmt: skip
    parser.add_argument("--people", type=int,
                        help="People (200,000 on PostgreSQL, 100,000 on SQLite).")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="10,000 people.")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    args, ignored = parser.parse_known_args()
    if ignored and not args.child:
        print(f"(ignoring arguments meant for other benchmarks: {' '.join(ignored)})")
    if args.child:
        run_child(args)
        return 0
    is_pg = bool(args.database_url)
    args.people = args.people or (10_000 if args.quick else 200_000 if is_pg else 100_000)
    if not is_pg:
        print(f"No PostgreSQL server given (--database-url or BENCH_DATABASE_URL): SQLite, "
              f"{args.people:,} people.")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-exports-") as tmp:
        workdir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV_PREFIXES)}
        env.update(DJANGO_SETTINGS_MODULE="civicdesk.settings", CIVICDESK_VAR_DIR=tmp,
                   EMAIL_URL="memory://", CIVICDESK_GEOCODERS="local")  # fmt: skip
        admin = None
        if is_pg:
            admin, scratch = scratch_urls(args.database_url)
            postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
            postgres_admin(admin, f"CREATE DATABASE {SCRATCH_DB}")
            env["DATABASE_URL"] = scratch
            print(f"PostgreSQL: scratch database {SCRATCH_DB}", flush=True)
        try:
            loaded = child("load", args, env, workdir)
            results = {}
            for step in STEPS:
                results[step] = child(step, args, env, workdir)
                print(f"  {step}: {results[step]['seconds']} s", flush=True)
        finally:
            if admin:
                postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
    report(loaded, results)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"exports-{stamp}.json"
    out.write_text(json.dumps({"at": stamp, "machine": platform.platform(), "cpus": os.cpu_count(),
                               "load_average": os.getloadavg(), "loaded": loaded,
                               "exports": results}, indent=2) + "\n")  # fmt: skip
    print(f"\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
