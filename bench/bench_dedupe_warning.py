"""Duplicate warning benchmark: "this person may already be here" over 1M people on PostgreSQL
(100k on SQLite), and the bulk read a scan starts with.

Builds a throwaway installation per database (a scratch PostgreSQL database
`civicdesk_bench_dedupe_warning`, created and dropped; a temporary SQLite file), loads people
with names, emails, phones, addresses and voter ids straight into the tables (COPY /
executemany, the loader of bench_search.py), then:

1. times `dedupe.queries.person_values(office)`: every person with their contact points, as a
   scan reads them (a few bulk queries, no per-person query);
2. learns the office's field weights from a sample of those people (`--learn-sample`) and
   stores them, as a scan would;
3. times a few hundred checks of the person form (`constituents.panels.similar_people`, which
   runs dedupe's check) for drafts made from people already there — typed again exactly, with
   a typo in the name, with a new email — and for people who are not there at all, and counts
   how often the answer was right (the person it was made from is found; nobody is found for
   a new person).

    .venv/bin/python bench/bench_dedupe_warning.py --database-url postgres://root@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_dedupe_warning.py --quick     # 20,000 people, SQLite only
    .venv/bin/python bench/bench_dedupe_warning.py --database-url ... --people 200000 --skip-sqlite
    .venv/bin/python bench/bench_dedupe_warning.py --database-url ... --scan   # also a full scan

Prints p50/p95/p99 per kind of draft next to the target (p95 <= 50 ms) and writes
bench/results/dedupe-warning-*.json. Timings are printed, never asserted.
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

from bench_search import load as load_people
from bench_search import (  # bench/ is on sys.path
    postgres_admin,
    summary,
    typo,
)

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(REPO))
SCRATCH_DB = "civicdesk_bench_dedupe_warning"
CLEARED_ENV_PREFIXES = ("CIVICDESK_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL")
TARGET_P95_MS = 50
KINDS = ("again", "name_typo", "new_email", "new_person")


# ---------------------------------------------------------------- the drafts


def make_drafts(sample: list[dict], total: int, seed: int) -> list[tuple[str, dict, int | None]]:
    """(kind, draft as the person form gives it, id of the person it was made from or None)."""
    from civicdesk.constituents import demo

    rng = random.Random(seed + 3)
    drafts = []
    per_kind = max(1, total // len(KINDS))
    for person in rng.sample(sample, k=min(len(sample), per_kind * 3)):
        base = {
            "first_name": person["first"], "last_name": person["last"],
            "emails": person["emails"][:1], "phones": person["phones"][:1],
            "addresses": [(person["line1"], "Washington", person["postcode"])],
        }  # fmt: skip
        kind = KINDS[len(drafts) % 3]
        if kind == "name_typo":
            which = rng.choice(("first_name", "last_name"))
            base[which] = typo(base[which], rng).capitalize()
        elif kind == "new_email":
            base["emails"] = [f"{person['first'].lower()}.{rng.randint(100, 999)}@new.example"]
        drafts.append((kind, base, person["id"]))
    firsts = demo.FIRST_NAMES["female"] + demo.FIRST_NAMES["male"]
    for n in range(per_kind):
        first, last = rng.choice(firsts), f"Newcomb{rng.randint(1000, 9999)}"
        drafts.append(("new_person", {
            "first_name": first, "last_name": last,
            "emails": [f"newcomer{n}@elsewhere.example"], "phones": [],
            "addresses": [(f"{rng.randint(100, 999)} Nowhere Lane", "Springfield", "62701")],
        }, None))  # fmt: skip
    rng.shuffle(drafts)
    return drafts


# ---------------------------------------------------------------- one database, in a child process


def build(connection, office, args) -> tuple[list[dict], float]:
    from django.db import transaction

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the warning never uses the trigram index
            cursor.execute("DROP INDEX IF EXISTS person_search_text_trgm")
    started = time.monotonic()
    with transaction.atomic():
        sample = load_people(connection, office, args.people, args.seed, sample_size=3000)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from django.core.management.color import no_style

            from civicdesk.constituents import models

            loaded = [models.Person, models.EmailAddress, models.Phone, models.Address,
                      models.ExternalId, models.SearchKey]  # fmt: skip
            for sql in connection.ops.sequence_reset_sql(no_style(), loaded):
                cursor.execute(sql)
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    load_seconds = time.monotonic() - started
    print(f"  loaded and analyzed in {load_seconds:.0f} s", flush=True)
    return sample, load_seconds


def learn_and_store(office, values: dict, sample_size: int, seed: int) -> float:
    """Learn the weights from a sample of the people and store them as a scan does."""
    from django.utils import timezone

    from civicdesk.dedupe import engine
    from civicdesk.dedupe.models import DedupeSettings

    started = time.monotonic()
    rng = random.Random(seed + 4)
    ids = list(values)
    chosen = ids if len(ids) <= sample_size else rng.sample(ids, sample_size)
    model = engine.learn([engine.record_from_values(values[pk]) for pk in chosen])
    DedupeSettings.objects.update_or_create(
        office=office, defaults={"model": model.to_dict(), "learned_at": timezone.now()}
    )
    return time.monotonic() - started


def run_child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from civicdesk.accounts.models import Office
    from civicdesk.accounts.services import create_office
    from civicdesk.constituents import panels
    from civicdesk.dedupe import queries, services

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_sample (data text)")
        cursor.execute("SELECT data FROM bench_sample")
        kept = cursor.fetchone()
    office = Office.objects.filter(slug="bench").first()
    if kept and office is not None:  # --reuse
        sample, load_seconds = json.loads(kept[0]), 0.0
        print(f"  reusing the {args.people:,} people loaded before", flush=True)
    else:
        office = create_office(name="Bench Office", slug="bench")
        sample, load_seconds = build(connection, office, args)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_sample (data) VALUES (%s)", [json.dumps(sample)])

    started = time.monotonic()
    values = queries.person_values(office)
    read_seconds = time.monotonic() - started
    print(f"  person_values: {len(values):,} people read in {read_seconds:.1f} s", flush=True)
    learn_seconds = learn_and_store(office, values, args.learn_sample, args.seed)
    print(f"  learned from {min(args.learn_sample, len(values)):,} people in {learn_seconds:.1f} s",
          flush=True)  # fmt: skip
    del values

    drafts = make_drafts(sample, args.queries, args.seed)
    for _kind, draft, _pid in drafts[:30]:  # warm the caches a little
        panels.similar_people(office, draft)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    right: dict[str, int] = dict.fromkeys(KINDS, 0)
    for kind, draft, person_id in drafts:
        t0 = time.perf_counter()
        hits = panels.similar_people(office, draft)
        timings[kind].append((time.perf_counter() - t0) * 1000)
        if person_id is None:
            right[kind] += not hits
        else:
            right[kind] += any(hit["id"] == person_id for hit in hits)
    everything = [t for values in timings.values() for t in values]
    result = {
        "database": connection.vendor,
        "people": args.people,
        "load_seconds": round(load_seconds, 1),
        "person_values_seconds": round(read_seconds, 2),
        "learn_seconds": round(learn_seconds, 1),
        "all": summary(everything),
        "by_kind": {
            kind: {**summary(values), "right": round(right[kind] / len(values), 3)}
            for kind, values in timings.items()
            if values
        },
    }
    if args.scan:
        started = time.monotonic()
        scanned = services.scan_office(office)
        result["scan"] = {"seconds": round(time.monotonic() - started, 1), **scanned.to_dict()}
        print(f"  full scan: {result['scan']}", flush=True)
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


def run_database(args, *, database_url: str, people: int, workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV_PREFIXES)}
    env.update(DJANGO_SETTINGS_MODULE="civicdesk.settings", CIVICDESK_VAR_DIR=str(workdir),
               DATABASE_URL=database_url, EMAIL_URL="memory://", CIVICDESK_GEOCODERS="local")  # fmt: skip
    output = workdir / "result.json"
    command = [sys.executable, __file__, "--child", "--people", str(people),
               "--queries", str(args.queries), "--seed", str(args.seed),
               "--learn-sample", str(args.learn_sample), "--child-output", str(output)]  # fmt: skip
    if args.scan:
        command.append("--scan")
    subprocess.run(command, env=env, check=True, cwd=REPO)
    return json.loads(output.read_text())


def report(result: dict) -> None:
    print(f"\n{result['database']}: {result['people']:,} people (load {result['load_seconds']} s; "
          f"person_values {result['person_values_seconds']} s; learning {result['learn_seconds']} s)")  # fmt: skip
    print(f"  {'drafts':<12} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'right':>7}  "
          f"target p95 <= {TARGET_P95_MS} ms")  # fmt: skip
    rows = [("all", {**result["all"], "right": None}), *result["by_kind"].items()]
    for kind, s in rows:
        verdict = "" if kind != "all" else ("ok" if s["p95_ms"] <= TARGET_P95_MS else "OVER")
        share = "" if s["right"] is None else f"{s['right']:.0%}"
        print(f"  {kind:<12} {s['count']:>5} {s['p50_ms']:>8} {s['p95_ms']:>8} {s['p99_ms']:>8} "
              f"{share:>7}  {verdict}")  # fmt: skip
    if "scan" in result:
        print(f"  full scan: {result['scan']}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="PostgreSQL server to make the scratch database on (also "
                        "BENCH_DATABASE_URL); without one, SQLite only.")  # fmt: skip
    parser.add_argument("--people", type=int, default=1_000_000, help="People on PostgreSQL.")
    parser.add_argument("--sqlite-people", type=int, default=100_000, help="People on SQLite.")
    parser.add_argument("--queries", type=int, default=400, help="Drafts checked.")
    parser.add_argument("--learn-sample", type=int, default=100_000,
                        help="People the field weights are learned from.")  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true",
                        help="20,000 people, 200 drafts, SQLite only: a smoke run.")  # fmt: skip
    parser.add_argument("--scan", action="store_true", help="Also time a full scan.")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true",
                        help="Keep the scratch PostgreSQL database (to --reuse it next time).")  # fmt: skip
    parser.add_argument("--reuse", action="store_true",
                        help="Reuse the scratch PostgreSQL database of a --keep run.")  # fmt: skip
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    # bench/run.py passes the same extra arguments to every benchmark: ignore the others'.
    args, ignored = parser.parse_known_args()
    if ignored and not args.child:
        print(f"(ignoring arguments meant for other benchmarks: {' '.join(ignored)})")
    if args.quick and not args.child:
        args.people = args.sqlite_people = 20_000
        args.queries, args.skip_postgres = 200, True
    return args


def main() -> int:
    args = parse_args()
    if args.child:
        run_child(args)
        return 0
    results = []
    if not args.database_url and not args.skip_postgres:
        print("No PostgreSQL server given (--database-url or BENCH_DATABASE_URL): SQLite only.")
        args.skip_postgres = True
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-dedupe-") as tmp:
        if not args.skip_postgres:
            admin, scratch = scratch_urls(args.database_url)
            if not args.reuse:
                postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
                postgres_admin(admin, f"CREATE DATABASE {SCRATCH_DB}")
            try:
                print(f"PostgreSQL: scratch database {SCRATCH_DB}", flush=True)
                workdir = Path(tmp) / "pg"
                workdir.mkdir()
                results.append(
                    run_database(args, database_url=scratch, people=args.people, workdir=workdir)
                )
            finally:
                if not args.keep:
                    postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        if not args.skip_sqlite:
            workdir = Path(tmp) / "sqlite"
            workdir.mkdir()
            print("SQLite: a temporary file", flush=True)
            url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            results.append(
                run_database(args, database_url=url, people=args.sqlite_people, workdir=workdir)
            )
    for result in results:
        report(result)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"dedupe-warning-{stamp}.json"
    out.write_text(json.dumps({"at": stamp, "machine": platform.platform(), "cpus": os.cpu_count(),
                               "load_average": os.getloadavg(), "target_p95_ms": TARGET_P95_MS,
                               "results": results}, indent=2) + "\n")  # fmt: skip
    print(f"\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
