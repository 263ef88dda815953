"""House CMS interchange benchmark: import a generated House CMS export, import it again (which
must change nothing), export the office.

The export (seeded) has, per constituent: 1A, 1B, 1C (a code of the 8A table), 1E (an email),
2A + 2B (a letter with a PRO/CON position) and a 2D text; one constituent in ten has a case
(3A, 3B, 3D) with two transactions (4A, 4D). 20,000 constituents by default (about 180,000
lines); `--quick` makes 2,000. Runs in a throwaway installation: SQLite in a temporary folder,
or a scratch PostgreSQL database `civicdesk_bench_interchange` (created and dropped) with
--database-url.

    .venv/bin/python bench/bench_interchange.py --quick
    .venv/bin/python bench/bench_interchange.py --database-url postgres://root@127.0.0.1:5432/postgres

Prints lines per second of each step and writes bench/results/interchange-*.json. Timings are
printed, never asserted.
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
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(REPO))
SCRATCH_DB = "civicdesk_bench_interchange"
CLEARED_ENV_PREFIXES = ("CIVICDESK_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL")
FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "José",
         "María", "Wei", "Aisha", "Tomás", "Zoë"]  # fmt: skip
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis", "Nguyen",
        "O'Brien", "Kim", "Okafor"]  # fmt: skip
STREETS = ["Oak St", "Pine Rd", "Elm Ave", "Maple St", "Cedar Ln", "Main St"]
CODES = [("COR", f"{n:05d}", f"ISSUE {n}") for n in range(1, 41)]


def write_export(root: Path, constituents: int, seed: int) -> int:
    """A House CMS export of `constituents` people; returns the number of lines."""
    rng = random.Random(seed)
    files: dict[str, list[str]] = {}

    def add(record_type: str, *values: object) -> None:
        files.setdefault(record_type, []).append("\t".join(str(v) for v in (record_type, *values)))

    for code_type, code, description in CODES:
        add("8A", code_type, code, description, "")
    for n in range(1, constituents + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        add(
            "1A",
            n,
            "IN",
            "",
            first,
            "",
            last,
            "",
            "",
            "",
            f"19{rng.randint(30, 99)}0{rng.randint(1, 9)}15",
            "",
            "",
        )
        add("1B", n, f"A{n}", "HO", "Y", "Y", "", "", f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
            "", "", "", "Athens", "GA", f"30{rng.randint(600, 699)}", "C001", "Clarke", "USA", "D10",
            f"P{rng.randint(1, 40)}", "", "")  # fmt: skip
        code = rng.choice(CODES)
        add("1C", n, "CON", code[1])
        plain = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode().lower()
        add("1E", n, "EMAIL", f"{plain}.{n}@example.org")
        add("2A", n, 100000 + n, "EMAIL", "Staffer", "20230301", "20230305", "", "20230305", "EMAIL",
            f"A{n}", "", "", "", "")  # fmt: skip
        add("2B", n, 100000 + n, rng.choice(CODES)[1], rng.choice(["PRO", "CON", "NEU"]))
        add("2D", n, 100000 + n, 1, "CM", "Writes about the issue.")
        if n % 10 == 0:
            add("3A", n, f"C{n}", "Staffer", "20230110", "", "20230301", "20230115",
                "Help with a federal agency", "OPEN", "")  # fmt: skip
            add("3B", n, f"C{n}", rng.choice(CODES)[1])
            add("3D", n, f"C{n}", 1, "DESCRIPTION", "The constituent asked for help.")
            for t in (1, 2):
                add("4A", n, f"C{n}", "CALL", "Staffer", "20230111", "20230111", "", "20230111",
                    "", "", "", "", "")  # fmt: skip
                add("4D", n, f"C{n}", t, 1, "SUBJECT", f"Call {t}")
    root.mkdir(parents=True)
    for record_type, lines in files.items():
        (root / f"{record_type}.out").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "documents").mkdir()
    return sum(len(lines) for lines in files.values())


def run_child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from civicdesk.accounts.services import create_office
    from civicdesk.interchange import services
    from civicdesk.interchange.report import Report

    call_command("migrate", verbosity=0, interactive=False)
    office = create_office(name="Bench Office", slug="bench")
    work = Path(args.workdir)
    lines = write_export(work / "export", args.constituents, args.seed)
    print(f"  {connection.vendor}: an export of {args.constituents:,} constituents, "
          f"{lines:,} lines", flush=True)  # fmt: skip
    result: dict = {"database": connection.vendor, "constituents": args.constituents,
                    "lines": lines}  # fmt: skip
    for step in ("import", "import again", "export"):
        started, cpu = time.perf_counter(), time.process_time()
        if step == "export":
            run = services.export_folder(office, work / "out", by=None)
        else:
            run = services.import_folder(office, work / "export", by=None)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu  # this process only (not PostgreSQL's): load-proof
        report = Report.from_dict(run.report)
        result[step] = {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                        "lines_per_second": round(lines / seconds), "summary": report.summary()}  # fmt: skip
        print(f"  {step:<13} {seconds:8.1f} s ({cpu:6.1f} s CPU here) {lines / seconds:10,.0f} "
              f"lines/s   {report.summary()}", flush=True)  # fmt: skip
    Path(args.child_output).write_text(json.dumps(result))


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="A PostgreSQL server (postgres://...) instead of SQLite.")  # fmt: skip
    parser.add_argument("--constituents", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2,000 constituents.")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args, ignored = parser.parse_known_args()
    if ignored and not args.child:
        print(f"(ignoring arguments meant for other benchmarks: {' '.join(ignored)})")
    if args.child:
        run_child(args)
        return 0
    if args.quick:
        args.constituents = 2_000
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-interchange-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV_PREFIXES)}
        env.update(DJANGO_SETTINGS_MODULE="civicdesk.settings", CIVICDESK_VAR_DIR=tmp,
                   EMAIL_URL="memory://", CIVICDESK_GEOCODERS="local")  # fmt: skip
        admin = None
        if args.database_url:
            admin, scratch = scratch_urls(args.database_url)
            postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
            postgres_admin(admin, f"CREATE DATABASE {SCRATCH_DB}")
            env["DATABASE_URL"] = scratch
        output = Path(tmp) / "result.json"
        try:
            command = [sys.executable, __file__, "--child", "--constituents",
                       str(args.constituents), "--seed", str(args.seed), "--workdir", tmp,
                       "--child-output", str(output)]  # fmt: skip
            subprocess.run(command, env=env, check=True, cwd=REPO)
            result = json.loads(output.read_text())
        finally:
            if admin:
                postgres_admin(admin, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"interchange-{stamp}.json"
    out.write_text(json.dumps({"at": stamp, "machine": platform.platform(), "cpus": os.cpu_count(),
                               "load_average": os.getloadavg(), **result}, indent=2) + "\n")  # fmt: skip
    print(f"wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
