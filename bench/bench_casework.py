"""Casework benchmark: the case list's first page and "My work" over 200,000 cases and 1,000,000
people on PostgreSQL (100,000 people and 20,000 cases on SQLite), through Django's test Client.

Builds a throwaway installation (a temporary data folder; SQLite, or a scratch PostgreSQL
database `civicdesk_bench_casework`, created and dropped), an office with 40 caseworkers in four
teams and a manager, the starter case types, and loads straight into the tables (COPY /
executemany): the people, the cases (a tenth still open, a third of those overdue; the older
ones mostly closed; a quarter sensitive), about five actions per case and about 20,000 planned
to-dos on open cases, spread over the caseworkers. Then ANALYZE, and a few hundred requests each of:

- the case list page (`casework:case-list`) for the queues all, mine, overdue and
  waiting_agency, as a caseworker (who sees only their own sensitive cases), and "all" as the
  manager;
- "My work" (`casework:my-work`) as the same caseworker;
- the queries behind them, alone: `queries.case_list`, `queries.queue_counts`,
  `queries.my_work`.

    .venv/bin/python bench/bench_casework.py
    .venv/bin/python bench/bench_casework.py --database-url postgres://root@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_casework.py --database-url postgres://root@127.0.0.1:5432/postgres \
        --people 200000 --cases 50000 --requests 100

Prints p50/p95/p99 and the SQL statements per request next to the target (p95 <= 150 ms), and
the query plan (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite) of every statement
of one request of the case list and of "My work", so a missing index shows. Writes
bench/results/casework-*.json. Timings are printed, never asserted.
"""

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_search import Table, flush, percentile, postgres_admin  # bench/ is on sys.path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(REPO))
SCRATCH_DB = "civicdesk_bench_casework"
CLEARED_ENV_PREFIXES = ("CIVICDESK_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL")
TARGET_P95_MS = 150
CASEWORKERS, TEAMS = 40, 4
ACTIONS_PER_CASE = 5
CHUNK = 20_000
QUEUES = ("all", "mine", "overdue", "waiting_agency")
EXPLAINED = ("page list all", "page list mine", "page list overdue", "page list waiting_agency",
             "page my work")  # fmt: skip


# ---------------------------------------------------------------- the data


def setup_office():
    """The office, its staff, teams, case types and agencies, through the services."""
    from civicdesk.accounts.permissions import Role
    from civicdesk.accounts.services import add_member, create_office
    from civicdesk.casework import services
    from civicdesk.constituents.models import Organization

    office = create_office(name="Bench Office", slug="bench")
    workers = [
        add_member(office, email=f"worker{n:02d}@bench.example", role=Role.CASEWORKER, by=None,
                   full_name=f"Worker {n:02d}")
        for n in range(CASEWORKERS)
    ]  # fmt: skip
    manager = add_member(office, email="manager@bench.example", role=Role.MANAGER, by=None,
                         full_name="Morgan Manager")  # fmt: skip
    teams = [
        services.save_team(office, by=None, name=f"Team {t + 1}",
                           member_ids=[m.pk for m in workers[t::TEAMS]])
        for t in range(TEAMS)
    ]  # fmt: skip
    services.seed_case_types(office, by=None)
    agencies = Organization.objects.bulk_create(
        Organization(office=office, name=f"Agency {n}", kind="agency") for n in range(12)
    )
    return office, workers, manager, teams, agencies


def load(connection, office, workers, teams, agencies, *, people: int, cases: int, seed: int):
    """People, cases, their parties, actions and to-dos, straight into the tables."""
    from django.utils import timezone

    from civicdesk.casework.models import (
        OPEN_STATUSES,
        Case,
        CaseAction,
        CaseCounter,
        CaseParty,
        CaseType,
    )
    from civicdesk.constituents import demo, search
    from civicdesk.constituents.models import Person

    rng = random.Random(seed)
    is_pg = connection.vendor == "postgresql"
    now = timezone.now()

    def stamp(value):  # SQLite stores naive UTC text; psycopg takes aware datetimes
        return value if is_pg or value is None else value.astimezone(UTC).isoformat(" ")[:-6]

    def day(value):
        return value if is_pg or value is None else value.isoformat()

    started = time.monotonic()
    firsts = demo.FIRST_NAMES["female"] + demo.FIRST_NAMES["male"]
    table = Table(Person, connection, now)
    for pk in range(1, people + 1):
        first, last = rng.choice(firsts), rng.choice(demo.LAST_NAMES)
        sort_name = f"{search.fold(last)} {search.fold(first)}"
        table.add(id=pk, office_id=office.pk, first_name=first, last_name=last,
                  sort_name=sort_name, search_text=sort_name)  # fmt: skip
        if len(table.rows) >= 50_000:
            flush(connection, {"people": table})
        if pk % 250_000 == 0:
            print(f"  {pk:,} people ({time.monotonic() - started:.0f} s)", flush=True)
    flush(connection, {"people": table})

    types = list(CaseType.objects.filter(office=office).order_by("pk"))
    team_of = {m.pk: teams[n % TEAMS].pk for n, m in enumerate(workers)}
    today = timezone.localdate()
    span = 3 * 365  # three years of cases
    openings = sorted(rng.random() ** 0.8 for _ in range(cases))  # busier lately
    tables = {}
    action_id = 0
    open_count = todo_count = 0
    for number, share in enumerate(openings, start=1):
        if not tables or len(tables["cases"].rows) >= CHUNK:
            if tables:
                flush(connection, tables)
            tables = {"cases": Table(Case, connection, now), "parties": Table(CaseParty, connection, now),
                      "actions": Table(CaseAction, connection, now)}  # fmt: skip
        opened_at = now - timedelta(days=span * (1 - share), hours=rng.randint(0, 9))
        age = (now - opened_at).days
        # Recent cases are mostly open, old ones mostly finished: a tenth of all are open.
        if rng.random() < min(0.96, age / 120):
            status = "closed" if rng.random() < 0.85 else "resolved"
        else:
            status = rng.choices(["open", "waiting_agency", "waiting_constituent"], [3, 5, 2])[0]
        is_open = status in OPEN_STATUSES
        open_count += is_open
        worker = rng.choice(workers) if not is_open or rng.random() < 0.92 else None
        case_type = rng.choice(types)
        last_at = opened_at + timedelta(days=rng.uniform(0, min(age, 90)))
        closed_at = last_at if not is_open else None
        due_on = (opened_at + timedelta(days=case_type.target_days or 30)).date()
        if is_open:  # caseworkers move the due date of a case that is still going: a third overdue
            due_on = today + timedelta(days=rng.randint(-30, 60))
        person_id = rng.randint(1, people)
        tables["cases"].add(
            id=number, office_id=office.pk, number=number, case_type_id=case_type.pk,
            subject=f"Case {number} about {case_type.name.lower()}", status=status,
            priority=rng.choices([1, 2, 3, 4], [12, 62, 20, 6])[0], due_on=day(due_on),
            assignee_id=worker.pk if worker else None,
            team_id=team_of[worker.pk] if worker else rng.choice(teams).pk,
            agency_id=rng.choice(agencies).pk, is_sensitive=case_type.is_sensitive,
            opened_at=stamp(opened_at), closed_at=stamp(closed_at),
            resolution="Done." if closed_at else "", primary_person_id=person_id,
            created_at=stamp(opened_at), updated_at=stamp(last_at),
        )  # fmt: skip
        tables["parties"].add(id=number, office_id=office.pk, case_id=number,
                              person_id=person_id, role="primary")  # fmt: skip
        steps = max(1, round(rng.gauss(ACTIONS_PER_CASE, 1.5)))
        for step in range(steps):
            action_id += 1
            at = opened_at + (last_at - opened_at) * (step / max(1, steps - 1))
            kind = (
                "note"
                if step == 0
                else rng.choice(
                    ["call", "email", "agency_inquiry", "agency_reply", "status_change", "note"]
                )
            )
            tables["actions"].add(
                id=action_id, office_id=office.pk, case_id=number, kind=kind, state="done",
                subject="Case opened" if step == 0 else f"{kind.replace('_', ' ').capitalize()}",
                occurred_at=stamp(at), by_id=(worker or workers[0]).pk, created_at=stamp(at),
                updated_at=stamp(at),
            )  # fmt: skip
        if is_open and worker is not None:
            # About one to-do per open case: 20,000 on 200,000 cases.
            for _ in range(rng.choices([0, 1, 2], [20, 50, 30])[0]):
                action_id += 1
                todo_count += 1
                tables["actions"].add(
                    id=action_id, office_id=office.pk, case_id=number, kind="task",
                    state="planned", subject="Follow up with the agency",
                    due_on=day(today + timedelta(days=rng.randint(-20, 30))),
                    assignee_id=worker.pk, by_id=worker.pk, created_at=stamp(last_at),
                    updated_at=stamp(last_at),
                )  # fmt: skip
        if number % 50_000 == 0:
            print(f"  {number:,} cases ({time.monotonic() - started:.0f} s)", flush=True)
    flush(connection, tables)
    CaseCounter.objects.update_or_create(office=office, defaults={"last_number": cases})
    return {"people": people, "cases": cases, "open_cases": open_count, "actions": action_id,
            "todos": todo_count}  # fmt: skip


def build(connection, args) -> dict:
    from django.core.management.color import no_style

    from civicdesk.casework import models as casework
    from civicdesk.constituents import models as constituents

    is_pg = connection.vendor == "postgresql"
    if is_pg:  # build the trigram index once, after the load
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS person_search_text_trgm")
    started = time.monotonic()
    from django.db import transaction

    with transaction.atomic():
        office, workers, _manager, teams, agencies = setup_office()
        counts = load(connection, office, workers, teams, agencies, people=args.people,
                      cases=args.cases, seed=args.seed)  # fmt: skip
    load_seconds = time.monotonic() - started
    started = time.monotonic()
    with connection.cursor() as cursor:
        if is_pg:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute(
                "CREATE INDEX person_search_text_trgm ON constituents_person "
                "USING gin (search_text gin_trgm_ops)"
            )
            loaded = [constituents.Person, casework.Case, casework.CaseParty, casework.CaseAction]
            for sql in connection.ops.sequence_reset_sql(no_style(), loaded):
                cursor.execute(sql)
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    counts.update(load_seconds=round(load_seconds, 1),
                  analyze_seconds=round(time.monotonic() - started, 1))  # fmt: skip
    print(f"  loaded in {load_seconds:.0f} s, indexed and analyzed in "
          f"{counts['analyze_seconds']:.0f} s", flush=True)  # fmt: skip
    return counts


# ---------------------------------------------------------------- measuring


def summary(timings: list[float], queries: int, size: int) -> dict:
    return {"requests": len(timings), "queries": queries, "bytes": size,
            "p50_ms": round(percentile(timings, 50), 2), "p95_ms": round(percentile(timings, 95), 2),
            "p99_ms": round(percentile(timings, 99), 2), "mean_ms": round(statistics.fmean(timings), 2)}  # fmt: skip


def measure(call, *, requests: int) -> tuple[dict, list[str]]:
    """Time `call` (which returns the response size or 0); then count one call's statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        call()
    timings = []
    for _ in range(requests):
        t0 = time.perf_counter()
        call()
        timings.append((time.perf_counter() - t0) * 1000)
    with CaptureQueriesContext(connection) as captured:
        size = call()
    statements = [q["sql"] for q in captured.captured_queries]
    return summary(timings, len(statements), size), statements


def explain(connection, statements: list[str]) -> list[dict]:
    """The plan of every SELECT of one request (sessions and the like left out)."""
    plans = []
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT") or "casework_" not in sql:
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                lines = [row[0] for row in cursor.fetchall()]
                ms = (
                    float(lines[-1].split(":")[1].split()[0])
                    if "Execution Time" in lines[-1]
                    else None
                )
            else:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                lines = [str(row[-1]) for row in cursor.fetchall()]
                ms = None
        plans.append({"sql": sql, "plan": lines, "execution_ms": ms})
    return plans


def run_child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from civicdesk.accounts.middleware import SESSION_OFFICE_KEY
    from civicdesk.accounts.models import Membership, Office
    from civicdesk.casework import queries

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_counts (data text)")
        cursor.execute("SELECT data FROM bench_counts")
        kept = cursor.fetchone()
    if kept and Office.objects.filter(slug="bench").exists():  # --reuse
        counts = json.loads(kept[0])
        print(f"  reusing the {counts['cases']:,} cases loaded before", flush=True)
    else:
        counts = build(connection, args)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_counts (data) VALUES (%s)", [json.dumps(counts)])
    office = Office.objects.get(slug="bench")
    worker = Membership.objects.select_related("office", "user").get(
        office=office, user__email="worker00@bench.example"
    )
    manager = Membership.objects.select_related("office", "user").get(
        office=office, user__email="manager@bench.example"
    )

    def client_for(member):
        client = Client()
        client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[SESSION_OFFICE_KEY] = member.office_id
        session.save()
        return client

    def page(client, url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return len(response.content)

        return call

    def query(function, *fargs, **kwargs):
        def call():
            function(*fargs, **kwargs)
            return 0

        return call

    results, plans, requests = {}, {}, args.requests
    pages = {}
    try:
        case_list_url, my_work_url = reverse("casework:case-list"), reverse("casework:my-work")
        as_worker, as_manager = client_for(worker), client_for(manager)
        for queue in QUEUES:
            pages[f"page list {queue}"] = page(as_worker, f"{case_list_url}?queue={queue}")
        pages["page list all (manager)"] = page(as_manager, f"{case_list_url}?queue=all")
        pages["page my work"] = page(as_worker, my_work_url)
    except NoReverseMatch as exc:
        print(f"  the pages are not there yet ({exc}): measuring the queries only", flush=True)
    calls = dict(pages)
    for queue in QUEUES:
        calls[f"query case_list {queue}"] = query(
            queries.case_list, worker, queries.CaseFilter(queue=queue)
        )
    calls["query queue_counts"] = query(queries.queue_counts, worker)
    calls["query my_work"] = query(queries.my_work, worker)
    for name, call in calls.items():
        results[name], statements = measure(call, requests=requests)
        if name in EXPLAINED or (not pages and name in ("query case_list all", "query my_work")):
            plans[name] = explain(connection, statements)
        r = results[name]
        print(f"  {name:<28} {r['queries']:>3} queries  p50 {r['p50_ms']:>7} ms  p95 {r['p95_ms']:>7} ms",
              flush=True)  # fmt: skip
    Path(args.child_output).write_text(json.dumps(
        {"database": connection.vendor, "counts": counts, "views": results, "plans": plans}
    ))  # fmt: skip
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


def report(result: dict) -> None:
    counts = result["counts"]
    print(f"\n{result['database']}: {counts['people']:,} people, {counts['cases']:,} cases "
          f"({counts['open_cases']:,} open), {counts['actions']:,} actions with {counts['todos']:,} "
          f"to-dos; load {counts['load_seconds']} s, analyze {counts['analyze_seconds']} s")  # fmt: skip
    print(f"  {'request':<28} {'queries':>7} {'KB':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  "
          f"target p95 <= {TARGET_P95_MS} ms")  # fmt: skip
    for name, r in result["views"].items():
        verdict = "ok" if r["p95_ms"] <= TARGET_P95_MS else "OVER"
        print(f"  {name:<28} {r['queries']:>7} {r['bytes'] / 1024:>6.0f} {r['p50_ms']:>8} "
              f"{r['p95_ms']:>8} {r['p99_ms']:>8}  {verdict}")  # fmt: skip
    for name, statements in result["plans"].items():
        print(
            f"\n  plans of one request of {name!r}: its {len(statements)} statements on casework tables"
        )
        for statement in statements:
            ms, sql = statement["execution_ms"], statement["sql"]
            timing = "" if ms is None else f"{ms:>8.2f} ms  "
            print(f"  {timing}{sql[:110]}{'…' if len(sql) > 110 else ''}")
            # The whole plan where the time goes: the page's rows, and any statement over 5 ms.
            if ms is None or ms >= 5 or "LIMIT 51" in sql:
                for line in statement["plan"][:16]:
                    print(f"      {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="A PostgreSQL server (postgres://...) instead of SQLite; also BENCH_DATABASE_URL.")  # fmt: skip
    parser.add_argument(
        "--people", type=int, help="People (1,000,000 on PostgreSQL, 100,000 on SQLite)."
    )
    parser.add_argument(
        "--cases", type=int, help="Cases (200,000 on PostgreSQL, 20,000 on SQLite)."
    )
    parser.add_argument("--requests", type=int, default=300, help="Requests per measured view.")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true",
                        help="Keep the scratch PostgreSQL database (to --reuse it next time).")  # fmt: skip
    parser.add_argument("--reuse", action="store_true",
                        help="Measure the scratch PostgreSQL database of a --keep run again, without loading.")  # fmt: skip
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    # bench/run.py passes the same extra arguments to every benchmark: ignore the others'.
    args, ignored = parser.parse_known_args()
    if ignored and not args.child:
        print(f"(ignoring arguments meant for other benchmarks: {' '.join(ignored)})")
    if args.child:
        run_child(args)
        return 0
    is_pg = bool(args.database_url)
    args.people = args.people or (1_000_000 if is_pg else 100_000)
    args.cases = args.cases or (200_000 if is_pg else 20_000)
    if not is_pg:
        print("No PostgreSQL server given (--database-url or BENCH_DATABASE_URL): SQLite, "
              f"{args.people:,} people and {args.cases:,} cases.")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-casework-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV_PREFIXES)}
        env.update(DJANGO_SETTINGS_MODULE="civicdesk.settings", CIVICDESK_VAR_DIR=tmp,
                   EMAIL_URL="memory://", CIVICDESK_SECURE="false", CIVICDESK_GEOCODERS="local",
                   CIVICDESK_ALLOWED_HOSTS="testserver,localhost")  # fmt: skip
        admin = None
        if is_pg:
            admin, scratch = scratch_urls(args.database_url)
            if not args.reuse:
                postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
                postgres_admin(admin, f"CREATE DATABASE {SCRATCH_DB}")
            env["DATABASE_URL"] = scratch
            print(f"PostgreSQL: scratch database {SCRATCH_DB}", flush=True)
        output = Path(tmp) / "result.json"
        try:
            command = [sys.executable, __file__, "--child", "--people", str(args.people),
                       "--cases", str(args.cases), "--requests", str(args.requests),
                       "--seed", str(args.seed), "--child-output", str(output)]  # fmt: skip
            subprocess.run(command, env=env, check=True, cwd=REPO)
            result = json.loads(output.read_text())
        finally:
            if admin and not args.keep:
                postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
    report(result)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"casework-{stamp}.json"
    out.write_text(json.dumps({"at": stamp, "machine": platform.platform(), "cpus": os.cpu_count(),
                               "load_average": os.getloadavg(), "target_p95_ms": TARGET_P95_MS,
                               **result}, indent=2) + "\n")  # fmt: skip
    print(f"\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
