"""Person page benchmark: one person with 200 timeline entries, shown by the staff page, the API
detail and the API timeline, through Django's test Client (no web server: this measures our
queries and templates, not granian).

Builds a throwaway installation (a temporary data folder; SQLite, or a scratch PostgreSQL
database `civicdesk_bench_person_page`, created and dropped), a caseworker, the person (emails,
phones, two addresses in ward districts, tags, household, relationships, consents, ids) and the
history, then requests each view many times:

    .venv/bin/python bench/bench_person_page.py
    .venv/bin/python bench/bench_person_page.py --database-url postgres://root@127.0.0.1:5432/postgres

Prints p50/p95/p99 and the SQL query count per view; writes bench/results/person-page-*.json.
Every view of a person writes an audit event, so each request includes that write. Timings are
printed, never asserted.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(REPO))
SCRATCH_DB = "civicdesk_bench_person_page"
CLEARED_ENV_PREFIXES = ("CIVICDESK_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL")
TIMELINE_ENTRIES = 200


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def build_person():
    """A caseworker and a well-documented person with TIMELINE_ENTRIES interactions."""
    from django.utils import timezone

    from civicdesk.accounts.permissions import Role
    from civicdesk.accounts.services import add_member, create_office
    from civicdesk.constituents import services
    from civicdesk.constituents.demo import _import_wards
    from civicdesk.constituents.models import Interaction
    from civicdesk.constituents.validation import AddressIn, EmailIn, PhoneIn
    from civicdesk.tags.demo import seed_vocabulary

    office = create_office(name="Bench Office", slug="bench")
    member = add_member(office, email="casey@bench.example", role=Role.CASEWORKER, by=None,
                        full_name="Casey Worker")  # fmt: skip
    _import_wards(office)
    tags = seed_vocabulary(office)
    person = services.create_person(
        office, by=member,
        fields={"first_name": "Ana", "last_name": "Núñez", "language": "es", "pronouns": "she/her"},
        emails=[EmailIn("ana@example.org"), EmailIn("ana.work@example.com", kind="work")],
        phones=[PhoneIn("(202) 555-0147"), PhoneIn("202 555 0188", kind="home")],
        addresses=[
            AddressIn("1420 U St NW", city="Washington", region="DC", postcode="20009",
                      latitude=38.9170, longitude=-77.0325),
            AddressIn("1350 Pennsylvania Ave NW", city="Washington", region="DC", postcode="20004",
                      kind="work", latitude=38.8951, longitude=-77.0311),
        ],
        tag_ids=[tag.pk for tag in tags[:5]],
    )  # fmt: skip
    spouse = services.create_person(
        office, by=member, fields={"first_name": "Luis", "last_name": "Núñez"}
    )
    household = services.create_household(office, by=member, name="The Núñez household",
                                          member_ids=[person.pk, spouse.pk])  # fmt: skip
    services.add_relationship(person, by=member, kind="spouse", other_person=spouse)
    agency = services.create_organization(
        office, by=member, fields={"name": "DC Water", "kind": "agency"}
    )
    services.add_relationship(
        person, by=member, kind="employee", organization=agency, title="Engineer"
    )
    services.set_consent(person, by=member, channel="email", is_granted=True, source="web form",
                         given_on=timezone.localdate())  # fmt: skip
    services.add_external_id(person, by=member, system="voter", value="DC-000123")
    now = timezone.now()
    kinds = ["call", "email", "walk_in", "letter", "meeting", "note"]
    Interaction.objects.bulk_create(
        Interaction(office=office, person=person, kind=kinds[i % len(kinds)],
                    occurred_at=now - timedelta(hours=7 * i), subject=f"Entry {i}: pothole on U St",
                    notes="Called the agency; promised a follow-up. " * 3, logged_by=member,
                    outcome="Referred to agency")
        for i in range(TIMELINE_ENTRIES)
    )  # fmt: skip
    assert household.members.count() == 2
    return member, person


def measure(client, url: str, *, requests: int, headers: dict | None = None) -> dict:
    from django.db import connection, reset_queries

    for _ in range(5):
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    timings = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(url, headers=headers or {})
        timings.append((time.perf_counter() - t0) * 1000)
    reset_queries()
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers or {})
    return {
        "url": url,
        "requests": requests,
        "bytes": len(response.content),
        "queries": len(captured.captured_queries),
        "p50_ms": round(percentile(timings, 50), 2),
        "p95_ms": round(percentile(timings, 95), 2),
        "p99_ms": round(percentile(timings, 99), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
    }


def run_child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from civicdesk.accounts.middleware import SESSION_OFFICE_KEY
    from civicdesk.accounts.services import create_api_token

    call_command("migrate", verbosity=0, interactive=False)
    member, person = build_person()
    page = Client()
    page.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
    session = page.session
    session[SESSION_OFFICE_KEY] = member.office_id
    session.save()
    _token, secret = create_api_token(member, name="bench")
    api = Client()
    bearer = {"authorization": f"Bearer {secret}"}
    results = {
        "page": measure(
            page, reverse("constituents:person-detail", args=[person.pk]), requests=args.requests
        ),
        "api_detail": measure(
            api, f"/api/v1/people/{person.pk}", requests=args.requests, headers=bearer
        ),
        "api_timeline_200": measure(
            api,
            f"/api/v1/people/{person.pk}/timeline?limit=200",
            requests=args.requests,
            headers=bearer,
        ),  # fmt: skip
    }
    Path(args.child_output).write_text(
        json.dumps({"database": connection.vendor, "views": results})
    )
    connection.close()


def scratch_urls(server_url: str) -> tuple[str, str]:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="A PostgreSQL server (postgres://...) instead of SQLite; also BENCH_DATABASE_URL.")  # fmt: skip
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    # bench/run.py passes the same extra arguments to every benchmark: ignore the others'.
    args, ignored = parser.parse_known_args()
    if ignored and not args.child:
        print(f"(ignoring arguments meant for other benchmarks: {' '.join(ignored)})")
    if args.child:
        run_child(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-person-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV_PREFIXES)}
        env.update(DJANGO_SETTINGS_MODULE="civicdesk.settings", CIVICDESK_VAR_DIR=tmp,
                   EMAIL_URL="memory://", CIVICDESK_SECURE="false", CIVICDESK_GEOCODERS="local",
                   CIVICDESK_ALLOWED_HOSTS="testserver,localhost")  # fmt: skip
        admin = None
        if args.database_url:
            admin, scratch = scratch_urls(args.database_url)
            postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
            postgres_admin(admin, f"CREATE DATABASE {SCRATCH_DB}")
            env["DATABASE_URL"] = scratch
        output = Path(tmp) / "result.json"
        try:
            command = [sys.executable, __file__, "--child", "--requests", str(args.requests),
                       "--child-output", str(output)]  # fmt: skip
            subprocess.run(command, env=env, check=True, cwd=REPO)
            result = json.loads(output.read_text())
        finally:
            if admin:
                postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
    print(f"\n{result['database']}: a person with {TIMELINE_ENTRIES} timeline entries")
    print(f"  {'view':<18} {'queries':>7} {'KB':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, r in result["views"].items():
        print(
            f"  {name:<18} {r['queries']:>7} {r['bytes'] / 1024:>6.0f} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8}"
        )
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"person-page-{stamp}.json"
    out.write_text(
        json.dumps({"at": stamp, "machine": platform.platform(), **result}, indent=2) + "\n"
    )
    print(f"\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
