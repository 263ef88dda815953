"""Search benchmark: the people search box over 1M people on PostgreSQL and 100k on SQLite.

Builds a throwaway installation per database (a scratch PostgreSQL database
`civicdesk_bench_search`, created and dropped; a temporary SQLite file), loads people with
names (a long tail of invented surnames besides common ones), emails, phones, DC addresses
and voter ids straight into the tables (COPY / executemany), then times a few hundred
realistic searches through `constituents.queries.search_people`, exactly as the app calls it:
names typed right and with typos, emails, phone numbers in several formats, addresses,
postcodes and external ids.

    .venv/bin/python bench/bench_search.py
    .venv/bin/python bench/bench_search.py --database-url postgres://root@127.0.0.1:5432/postgres
    .venv/bin/python bench/bench_search.py --people 200000 --sqlite-people 20000 --skip-sqlite \
        --database-url postgres://root@127.0.0.1:5432/postgres

Prints p50/p95/p99 per database and per kind of query, and how often the answer was right
(the person a query was made from is among the hits; for a postcode, every hit lives
there); writes them to bench/results/search-*.json. Timings are
printed, never asserted.
"""

import argparse
import json
import os
import platform
import random
import statistics
import string
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(REPO))  # measure the checkout this file sits in
SCRATCH_DB = "civicdesk_bench_search"
CLEARED_ENV_PREFIXES = ("CIVICDESK_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL")
CHUNK = 50_000
KINDS = ("name", "name_typo", "email", "phone", "address", "postcode", "external_id")


# ---------------------------------------------------------------- the data


def invented_surname(rng: random.Random) -> str:
    """A plausible surname nobody else in the list has: the long tail of a real city."""
    onsets = ["b", "br", "ch", "d", "dr", "f", "g", "gr", "h", "k", "kr", "l", "m", "n", "p",
              "r", "s", "sh", "st", "t", "th", "v", "w", "z"]  # fmt: skip
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"]
    codas = ["", "n", "r", "l", "s", "nd", "rt", "ck", "m", "x"]
    endings = ["son", "ski", "enko", "ley", "ford", "ez", "ini", "ova", "berg", "ton", "adze", ""]
    parts = [
        rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
        for _ in range(rng.randint(1, 2))
    ]
    return ("".join(parts) + rng.choice(endings)).capitalize()


def generate(count: int, seed: int):
    """Yield (person, emails, phones, (line1, postcode, lon, lat), voter id) for `count` people."""
    from civicdesk.constituents import demo

    rng = random.Random(seed)
    firsts = demo.FIRST_NAMES["female"] + demo.FIRST_NAMES["male"]
    tail = [invented_surname(rng) for _ in range(max(1000, count // 8))]
    for i in range(count):
        first = rng.choice(firsts)
        last = rng.choice(demo.LAST_NAMES) if rng.random() < 0.6 else rng.choice(tail)
        person = SimpleNamespace(
            first_name=first, last_name=last, middle_name="", preferred_name=""
        )
        emails = [demo._email(rng, first, last)] if rng.random() < 0.75 else []
        phones = []
        if rng.random() < 0.7:
            phones.append(
                f"+1{rng.choice(('202', '771', '301', '240', '703'))}{rng.randint(2000000, 9999999)}"
            )
        lon = rng.uniform(demo.DC_BOX[0], demo.DC_BOX[2])
        lat = rng.uniform(demo.DC_BOX[1], demo.DC_BOX[3])
        street = f"{rng.choice(demo.STREETS)} {demo._quadrant(lon, lat)}"
        line1 = f"{rng.randint(100, 5999)} {street}"
        postcode = rng.choice([z for zips in demo.WARD_ZIPS.values() for z in zips])
        voter = f"DC{seed:02d}{i:08d}" if rng.random() < 0.6 else ""
        yield i + 1, person, emails, phones, (line1, postcode, lon, lat), voter


class Table:
    """Rows for one model's table: every column, Django's defaults, per-row overrides."""

    def __init__(self, model, connection, now):
        self.model = model
        self.fields = model._meta.concrete_fields
        self.columns = [f.column for f in self.fields]
        self.position = {f.attname: at for at, f in enumerate(self.fields)}
        defaults = []
        for field in self.fields:
            value = field.get_default() if field.has_default() else None
            if field.attname in ("created_at", "updated_at", "added_at"):
                value = now
            if (
                value is None
                and not field.null
                and field.get_internal_type()
                in ("CharField", "TextField", "SlugField", "EmailField")
            ):
                value = ""
            defaults.append(
                field.get_db_prep_save(value, connection) if value is not None else None
            )
        self.defaults = defaults
        self.rows: list[tuple] = []

    def add(self, **values) -> None:
        row = list(self.defaults)
        for name, value in values.items():
            row[self.position[name]] = value
        self.rows.append(tuple(row))


def load(connection, office, count: int, seed: int, *, sample_size: int) -> list[dict]:
    """Load `count` people; return a sample of them to make queries from."""
    from django.utils import timezone

    from civicdesk.constituents import search
    from civicdesk.constituents.models import (
        Address,
        EmailAddress,
        ExternalId,
        Person,
        Phone,
        SearchKey,
    )

    now = timezone.now()
    rng = random.Random(seed + 1)
    sample: list[dict] = []
    vocabulary: set[str] = set()
    ids = {"email": 0, "phone": 0, "address": 0, "external": 0}
    tables = None
    started = time.monotonic()
    for person_id, person, emails, phones, home, voter in generate(count, seed):
        if tables is None or len(tables["person"].rows) >= CHUNK:
            if tables is not None:
                flush(connection, tables)
            tables = {
                "person": Table(Person, connection, now), "email": Table(EmailAddress, connection, now),
                "phone": Table(Phone, connection, now), "address": Table(Address, connection, now),
                "external": Table(ExternalId, connection, now),
            }  # fmt: skip
        line1, postcode, lon, lat = home
        text = search.search_text_for(person, emails=emails, phones=phones,
                                      addresses=[(line1, postcode)], external_ids=[voter] if voter else [])  # fmt: skip
        vocabulary |= search.vocabulary_words(text)
        tables["person"].add(id=person_id, office_id=office.pk, first_name=person.first_name,
                             last_name=person.last_name, sort_name=search.sort_name_for(person),
                             search_text=text)  # fmt: skip
        for n, email in enumerate(emails):
            ids["email"] += 1
            tables["email"].add(
                id=ids["email"],
                office_id=office.pk,
                person_id=person_id,
                email=email,
                is_primary=n == 0,
            )
        for n, number in enumerate(phones):
            ids["phone"] += 1
            tables["phone"].add(
                id=ids["phone"],
                office_id=office.pk,
                person_id=person_id,
                number=number,
                is_primary=n == 0,
            )
        ids["address"] += 1
        tables["address"].add(id=ids["address"], office_id=office.pk, person_id=person_id, line1=line1,
                              city="Washington", region="DC", postcode=postcode, latitude=lat,
                              longitude=lon, is_primary=True)  # fmt: skip
        if voter:
            ids["external"] += 1
            tables["external"].add(
                id=ids["external"],
                office_id=office.pk,
                person_id=person_id,
                system="voter",
                value=voter,
            )
        # Reservoir sample of the people the queries are made from.
        record = {"id": person_id, "first": person.first_name, "last": person.last_name,
                  "emails": emails, "phones": phones, "line1": line1, "postcode": postcode, "voter": voter}  # fmt: skip
        if len(sample) < sample_size:
            sample.append(record)
        elif (at := rng.randint(0, person_id - 1)) < sample_size:
            sample[at] = record
        if person_id % 200_000 == 0:
            print(
                f"  {person_id:,} people generated ({time.monotonic() - started:.0f} s)", flush=True
            )
    flush(connection, tables)
    keys = Table(SearchKey, connection, now)
    pairs = {(key, word) for word in vocabulary for key in search.deletion_keys(word)}
    for n, (key, word) in enumerate(sorted(pairs), start=1):
        keys.add(id=n, office_id=office.pk, key=key, word=word)
    flush(connection, {"keys": keys})
    print(
        f"  {len(vocabulary):,} distinct name and street words, {len(pairs):,} typo keys",
        flush=True,
    )
    return sample


def flush(connection, tables: dict) -> None:
    for table in tables.values():
        if not table.rows:
            continue
        name = table.model._meta.db_table
        columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                    for row in table.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(table.columns))
                cursor.executemany(f"INSERT INTO {name} ({columns}) VALUES ({marks})", table.rows)  # noqa: S608
        table.rows.clear()


# ---------------------------------------------------------------- the queries


def typo(word: str, rng: random.Random) -> str:
    """One edit a hurried person makes: two letters swapped, one dropped, doubled or wrong."""
    word = word.lower()
    if len(word) < 4:
        return word
    at = rng.randint(1, len(word) - 2)
    edit = rng.choice(("swap", "drop", "double", "wrong"))
    if edit == "swap":
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if edit == "drop":
        return word[:at] + word[at + 1 :]
    if edit == "double":
        return word[:at] + word[at] + word[at:]
    return word[:at] + rng.choice(string.ascii_lowercase) + word[at + 1 :]


def phone_formats(e164: str, rng: random.Random) -> str:
    area, exchange, line = e164[2:5], e164[5:8], e164[8:]
    return rng.choice((f"({area}) {exchange}-{line}", f"{area}.{exchange}.{line}",
                       f"+1 {area} {exchange} {line}", f"{area}{exchange}{line}", f"{exchange}-{line}"))  # fmt: skip


def make_queries(sample: list[dict], total: int, seed: int) -> list[tuple[str, str, int]]:
    """(kind, text, id of the person it was made from)."""
    rng = random.Random(seed + 2)
    shares = {"name": 0.22, "name_typo": 0.22, "email": 0.12, "phone": 0.14, "address": 0.1,
              "postcode": 0.08, "external_id": 0.12}  # fmt: skip
    queries = []
    for kind, share in shares.items():
        people = [p for p in sample if kind not in ("email", "phone", "external_id")
                  or (p["emails"] if kind == "email" else p["phones"] if kind == "phone" else p["voter"])]  # fmt: skip
        for person in rng.sample(people, k=min(len(people), max(1, round(total * share)))):
            if kind == "name":
                text = f"{person['first']} {person['last']}"
            elif kind == "name_typo":
                words = [person["first"], person["last"]]
                which = rng.choice((0, 1, 2))
                text = " ".join(typo(w, rng) if which in (i, 2) else w for i, w in enumerate(words))
            elif kind == "email":
                text = person["emails"][0]
            elif kind == "phone":
                text = phone_formats(person["phones"][0], rng)
            elif kind == "address":
                text = person["line1"]
            elif kind == "postcode":
                text = person["postcode"]
            else:
                text = person["voter"]
            queries.append((kind, text, person["id"]))
    rng.shuffle(queries)
    return queries


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    return {"count": len(values), "p50_ms": round(percentile(values, 50), 2),
            "p95_ms": round(percentile(values, 95), 2), "p99_ms": round(percentile(values, 99), 2),
            "mean_ms": round(statistics.fmean(values), 2)}  # fmt: skip


# ---------------------------------------------------------------- one database, in a child process


def build(connection, office, args, *, is_pg: bool, started: float) -> tuple[list, float, float]:
    from django.db import transaction

    if is_pg:
        with connection.cursor() as cursor:  # build the trigram index once, after the load
            cursor.execute("DROP INDEX IF EXISTS person_search_text_trgm")
    print(
        f"  migrated in {time.monotonic() - started:.0f} s; loading {args.people:,} people",
        flush=True,
    )
    load_started = time.monotonic()
    with transaction.atomic():
        sample = load(
            connection, office, args.people, args.seed, sample_size=max(2000, args.queries * 3)
        )
    load_seconds = time.monotonic() - load_started
    index_started = time.monotonic()
    with connection.cursor() as cursor:
        if is_pg:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute(
                "CREATE INDEX person_search_text_trgm ON constituents_person USING gin (search_text gin_trgm_ops)"
            )
            from django.core.management.color import no_style

            from civicdesk.constituents import models

            loaded = [models.Person, models.EmailAddress, models.Phone, models.Address,
                      models.ExternalId, models.SearchKey]  # fmt: skip
            for sql in connection.ops.sequence_reset_sql(no_style(), loaded):
                cursor.execute(sql)
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    index_seconds = time.monotonic() - index_started
    print(
        f"  loaded in {load_seconds:.0f} s, indexed and analyzed in {index_seconds:.0f} s",
        flush=True,
    )
    return sample, load_seconds, index_seconds


def run_child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from civicdesk.accounts.models import Office
    from civicdesk.accounts.services import create_office
    from civicdesk.constituents import queries as constituent_queries

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    is_pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_sample (data text)")
        cursor.execute("SELECT data FROM bench_sample")
        kept = cursor.fetchone()
    office = Office.objects.filter(slug="bench").first()
    if kept and office is not None:  # --reuse: the people are there from an earlier --keep run
        sample = json.loads(kept[0])
        load_seconds = index_seconds = 0.0
        print(f"  reusing the {args.people:,} people loaded before", flush=True)
    else:
        office = create_office(name="Bench Office", slug="bench")
        sample, load_seconds, index_seconds = build(
            connection, office, args, is_pg=is_pg, started=started
        )
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_sample (data) VALUES (%s)", [json.dumps(sample)])

    work = make_queries(sample, args.queries, args.seed)
    for _kind, text, _pid in work[: min(50, len(work))]:  # warm the caches a little
        constituent_queries.search_people(office, text)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    found: dict[str, int] = dict.fromkeys(KINDS, 0)
    for kind, text, person_id in work:
        t0 = time.perf_counter()
        hits = constituent_queries.search_people(office, text)
        timings[kind].append((time.perf_counter() - t0) * 1000)
        if kind == "postcode":  # many people share one: right when every hit lives there
            found[kind] += bool(hits) and all(hit.matched_on == "postcode" for hit in hits)
        else:
            found[kind] += any(hit.person.pk == person_id for hit in hits)
    everything = [t for values in timings.values() for t in values]
    result = {
        "database": connection.vendor,
        "people": args.people,
        "load_seconds": round(load_seconds, 1),
        "index_seconds": round(index_seconds, 1),
        "all": summary(everything),
        "by_kind": {
            kind: {**summary(values), "recall": round(found[kind] / len(values), 3)}
            for kind, values in timings.items()
            if values
        },  # fmt: skip
        "examples": [text for _kind, text, _pid in work[:12]],
    }
    Path(args.child_output).write_text(json.dumps(result))
    connection.close()


# ---------------------------------------------------------------- the parent: one child per database


def scratch_urls(server_url: str) -> tuple[str, str]:
    parts = urlsplit(server_url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit(f"--database-url must be a postgres:// URL, not {server_url!r}.")
    admin_db = parts.path.lstrip("/") or "postgres"
    if admin_db == SCRATCH_DB:
        admin_db = "postgres"
    admin = urlunsplit((parts.scheme, parts.netloc, f"/{admin_db}", parts.query, ""))
    scratch = urlunsplit((parts.scheme, parts.netloc, f"/{SCRATCH_DB}", parts.query, ""))
    return admin, scratch


def postgres_admin(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(statement)


def run_database(args, *, database_url: str, people: int, workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV_PREFIXES)}
    env.update(DJANGO_SETTINGS_MODULE="civicdesk.settings", CIVICDESK_VAR_DIR=str(workdir),
               DATABASE_URL=database_url, EMAIL_URL="memory://", CIVICDESK_GEOCODERS="local")  # fmt: skip
    output = workdir / "result.json"
    command = [sys.executable, __file__, "--child", "--people", str(people), "--queries", str(args.queries),
               "--seed", str(args.seed), "--child-output", str(output)]  # fmt: skip
    subprocess.run(command, env=env, check=True, cwd=REPO)
    return json.loads(output.read_text())


def report(result: dict) -> None:
    print(f"\n{result['database']}: {result['people']:,} people (load {result['load_seconds']} s, "
          f"index {result['index_seconds']} s)")  # fmt: skip
    print(f"  {'queries':<12} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'right':>7}")
    rows = [("all", {**result["all"], "recall": None}), *result["by_kind"].items()]
    for kind, s in rows:
        recall = "" if s["recall"] is None else f"{s['recall']:.0%}"
        print(
            f"  {kind:<12} {s['count']:>5} {s['p50_ms']:>8} {s['p95_ms']:>8} {s['p99_ms']:>8} {recall:>7}"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="PostgreSQL server to make the scratch database on (also BENCH_DATABASE_URL); "
                        "without one, SQLite only.")  # fmt: skip
    parser.add_argument("--people", type=int, default=1_000_000, help="People on PostgreSQL.")
    parser.add_argument("--sqlite-people", type=int, default=100_000, help="People on SQLite.")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="Keep the scratch PostgreSQL database (to --reuse it next time).",
    )
    parser.add_argument("--reuse", action="store_true",
                        help="Reuse the scratch PostgreSQL database of a --keep run.")  # fmt: skip
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    # bench/run.py passes the same extra arguments to every benchmark: ignore the others'.
    args, ignored = parser.parse_known_args()
    if ignored and not args.child:
        print(f"(ignoring arguments meant for other benchmarks: {' '.join(ignored)})")
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
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-search-") as tmp:
        if not args.skip_postgres:
            admin, scratch = scratch_urls(args.database_url)
            try:
                if not args.reuse:
                    postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
                    postgres_admin(admin, f"CREATE DATABASE {SCRATCH_DB}")
            except Exception as exc:  # noqa: BLE001
                print(f"PostgreSQL at {args.database_url} cannot be used ({exc}); skipping it.")
            else:
                try:
                    print(f"PostgreSQL: scratch database {SCRATCH_DB}", flush=True)
                    workdir = Path(tmp) / "pg"
                    workdir.mkdir()
                    results.append(
                        run_database(
                            args, database_url=scratch, people=args.people, workdir=workdir
                        )
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
    out = RESULTS_DIR / f"search-{stamp}.json"
    out.write_text(json.dumps({"at": stamp, "machine": platform.platform(), "cpus": os.cpu_count(),
                               "queries": args.queries, "results": results}, indent=2) + "\n")  # fmt: skip
    print(f"\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
