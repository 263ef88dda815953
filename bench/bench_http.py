"""HTTP benchmark: the health check and the signed-in dashboard, served by `civicdesk serve`.

Builds a throwaway installation (a temporary data folder; SQLite, or a scratch PostgreSQL
database `civicdesk_bench`), the demo office and an admin with TOTP, starts granian as
production does, then drives it with keep-alive connections from Python threads:

    .venv/bin/python bench/bench_http.py
    .venv/bin/python bench/bench_http.py --database-url postgres://root@127.0.0.1:5432/postgres

Measures each endpoint at each concurrency for a few rounds (interleaved, so a noisy neighbour
hits both alike) and prints the median requests/s and p50/p95/p99 latency, and the median
dashboard/health ratios of the same rounds; writes everything to bench/results/http-*.json.
Timings are printed, never asserted: the machine is shared, so compare medians and ratios.
"""

import argparse
import html
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(REPO))  # measure the checkout this file sits in, whatever is installed
SCRATCH_DB = "civicdesk_bench"
ADMIN_EMAIL = "bench-admin@bench.civicdesk.localhost"
# The bench builds its own installation; the operator's settings must not leak into it.
CLEARED_ENV_PREFIXES = ("CIVICDESK_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL")


# ---------------------------------------------------------------- the installation under test


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_postgres(server_url: str) -> tuple[str, str]:
    """(admin URL to create/drop with, URL of the scratch database) on the given server."""
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


def civicdesk(*args: str, env: dict[str, str]) -> float:
    """Run a `civicdesk` command as an operator would; returns the seconds it took."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "civicdesk", *args], env=env, check=True, cwd=REPO)
    return time.monotonic() - started


@dataclass
class Installation:
    office_name: str
    session_keys: list[str]


def build_admin_and_sessions(count: int) -> Installation:
    """An admin with TOTP (admins must have MFA) and `count` signed-in sessions for them,
    written straight to the session store the server reads (same database, same SECRET_KEY)."""
    import django

    django.setup()
    from importlib import import_module

    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from civicdesk.accounts.middleware import SESSION_OFFICE_KEY
    from civicdesk.accounts.models import Office
    from civicdesk.accounts.permissions import Role
    from civicdesk.accounts.services import add_member

    office = Office.objects.get(slug="demo-1")
    admin = add_member(
        office, email=ADMIN_EMAIL, role=Role.ADMIN, by=None, full_name="Bench Admin", password=None
    )
    TOTP.activate(admin.user, generate_totp_secret())
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = []
    for _ in range(count):  # one session per connection, as real people would have
        session = store()
        session[SESSION_KEY] = str(admin.user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = admin.user.get_session_auth_hash()
        session[SESSION_OFFICE_KEY] = office.pk
        session.create()
        keys.append(session.session_key)
    from django.db import connections

    connections.close_all()  # the scratch PostgreSQL database is dropped at the end
    return Installation(office_name=office.name, session_keys=keys)


class Server:
    """`civicdesk serve` (granian) as a child process in its own process group."""

    def __init__(self, *, port: int, workers: int, threads: int, env: dict[str, str], log: Path):
        self.port = port
        self.log_path = log
        self.log = log.open("wb")
        command = [sys.executable, "-m", "civicdesk", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", str(workers), "--threads", str(threads)]
        self.process = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_healthy(self, timeout: float = 60) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                status, _body = fetch(self.port, "/healthz")
                if status == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"/healthz did not answer 200 within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# ---------------------------------------------------------------- the load generator


@dataclass
class Phase:
    endpoint: str
    path: str
    concurrency: int
    round: int
    seconds: float
    requests: int
    errors: int
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    client_cpu_percent: float  # of one core; near 100 × threads' share means the client limits
    statuses: dict[str, int] = field(default_factory=dict)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def drive(
    port: int, path: str, headers: list[dict[str, str]], seconds: float, expect: bytes | None
) -> tuple[list[float], int, dict[str, int], float]:
    """Each thread holds one keep-alive connection and sends GETs back to back for `seconds`.
    Returns (latencies in s of requests started before the deadline, errors, statuses, elapsed)."""
    barrier = threading.Barrier(len(headers) + 1)
    results: list[tuple[list[float], int, dict[str, int], float]] = [None] * len(headers)  # type: ignore[list-item]
    deadline_box: list[float] = []

    def worker(index: int) -> None:
        latencies: list[float] = []
        errors = 0
        statuses: dict[str, int] = {}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        deadline = deadline_box[0]
        last_end = time.perf_counter()
        while True:
            started = time.perf_counter()
            if started >= deadline:
                break
            try:
                conn.request("GET", path, headers=headers[index])
                response = conn.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, body = 0, b""
            last_end = time.perf_counter()
            latencies.append(last_end - started)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status != 200 or (expect is not None and expect not in body):
                errors += 1
        conn.close()
        results[index] = (latencies, errors, statuses, last_end)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(headers))]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    deadline_box.append(start + seconds)
    barrier.wait()
    for thread in threads:
        thread.join()
    latencies = [lat for result in results for lat in result[0]]
    errors = sum(result[1] for result in results)
    statuses: dict[str, int] = {}
    for result in results:
        for status, count in result[2].items():
            statuses[status] = statuses.get(status, 0) + count
    elapsed = max(result[3] for result in results) - start
    return latencies, errors, statuses, elapsed


def measure(
    *,
    port: int,
    round_no: int,
    endpoint: str,
    path: str,
    headers: list[dict[str, str]],
    warmup: float,
    seconds: float,
    expect: bytes | None,
) -> Phase:
    drive(port, path, headers, warmup, expect)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    latencies, errors, statuses, elapsed = drive(port, path, headers, seconds, expect)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    latencies.sort()
    return Phase(
        endpoint=endpoint,
        path=path,
        concurrency=len(headers),
        round=round_no,
        seconds=round(elapsed, 3),
        requests=len(latencies),
        errors=errors,
        requests_per_s=round(len(latencies) / elapsed, 1),
        p50_ms=round(1000 * percentile(latencies, 0.50), 2),
        p95_ms=round(1000 * percentile(latencies, 0.95), 2),
        p99_ms=round(1000 * percentile(latencies, 0.99), 2),
        mean_ms=round(1000 * sum(latencies) / max(1, len(latencies)), 2),
        client_cpu_percent=round(100 * cpu / elapsed, 0),
        statuses=statuses,
    )


# ---------------------------------------------------------------- reporting


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown"
    return f"{rev}{'+dirty' if dirty else ''}" if rev else "unknown"


def summarize(phases: list[Phase], ratios: list[dict]) -> dict:
    """Medians over the rounds, per endpoint and concurrency, and of the per-round ratios."""
    summary: dict = {"endpoints": [], "ratios_dashboard_over_health": []}
    keys = sorted(
        {(p.concurrency, p.endpoint) for p in phases}, key=lambda k: (k[0], k[1] != "healthz")
    )
    for level, endpoint in keys:
        runs = [p for p in phases if (p.concurrency, p.endpoint) == (level, endpoint)]
        rps = [p.requests_per_s for p in runs]
        summary["endpoints"].append(
            {
                "endpoint": endpoint,
                "concurrency": level,
                "rounds": len(runs),
                "requests_per_s": round(statistics.median(rps), 1),
                "requests_per_s_min": min(rps),
                "requests_per_s_max": max(rps),
                "p50_ms": round(statistics.median(p.p50_ms for p in runs), 2),
                "p95_ms": round(statistics.median(p.p95_ms for p in runs), 2),
                "p99_ms": round(statistics.median(p.p99_ms for p in runs), 2),
                "requests": sum(p.requests for p in runs),
                "errors": sum(p.errors for p in runs),
            }
        )
    for level in sorted({r["concurrency"] for r in ratios}):
        per_round = [r for r in ratios if r["concurrency"] == level]
        summary["ratios_dashboard_over_health"].append(
            {
                "concurrency": level,
                "requests_per_s_ratio": round(
                    statistics.median(r["requests_per_s_ratio"] for r in per_round), 3
                ),
                "p50_ratio": round(statistics.median(r["p50_ratio"] for r in per_round), 3),
            }
        )
    return summary


def print_phase(p: Phase) -> None:
    print(
        f"  round {p.round}  {p.endpoint:<10}{p.concurrency:>4} connections: "
        f"{p.requests_per_s:>8.1f} req/s, p50 {p.p50_ms:.2f} ms, p99 {p.p99_ms:.2f} ms, "
        f"{p.errors} errors, client cpu {p.client_cpu_percent:.0f}%",
        flush=True,
    )


def print_summary(summary: dict) -> None:
    rounds = summary["endpoints"][0]["rounds"] if summary["endpoints"] else 0
    print(f"\nmedians over {rounds} round(s):")
    header = f"{'endpoint':<11}{'conc':>5}{'req/s':>9}{'(min-max)':>17}"
    header += f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'requests':>10}{'errors':>8}"
    print(header)
    print("-" * len(header))
    for e in summary["endpoints"]:
        spread = f"({e['requests_per_s_min']:.0f}-{e['requests_per_s_max']:.0f})"
        print(
            f"{e['endpoint']:<11}{e['concurrency']:>5}{e['requests_per_s']:>9.1f}{spread:>17}"
            f"{e['p50_ms']:>9.2f}{e['p95_ms']:>9.2f}{e['p99_ms']:>9.2f}"
            f"{e['requests']:>10}{e['errors']:>8}"
        )
    print()
    for r in summary["ratios_dashboard_over_health"]:
        print(
            f"dashboard/health at {r['concurrency']:>2} connections: "
            f"requests/s ratio {r['requests_per_s_ratio']:.3f}, p50 ratio {r['p50_ratio']:.2f}"
        )


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="PostgreSQL server to use (postgres://user@host:port/db); the bench creates and "
        f"drops a scratch database {SCRATCH_DB!r} there. Default: SQLite in a temporary folder.",
    )
    parser.add_argument(
        "--db-pool",
        choices=["on", "off"],
        default="on",
        help="PostgreSQL only: Django's psycopg pool (CIVICDESK_DB_POOL), as in production.",
    )
    parser.add_argument("--duration", type=float, default=8.0, help="Seconds measured per phase.")
    parser.add_argument("--warmup", type=float, default=2.0, help="Seconds of warm-up per phase.")
    parser.add_argument(
        "--concurrency", default="8,32", help="Comma-separated connection counts (default 8,32)."
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="Times each phase is measured; medians reported."
    )
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes.")
    parser.add_argument("--threads", type=int, default=4, help="granian blocking threads each.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary data folder.")
    # bench/run.py passes the same extra arguments to every benchmark: ignore the others'.
    args, ignored = parser.parse_known_args()
    if ignored:
        print(f"(ignoring arguments meant for other benchmarks: {' '.join(ignored)})")
    return args


def main() -> int:
    args = parse_args()
    levels = [int(n) for n in args.concurrency.split(",") if n.strip()]
    var_dir = Path(tempfile.mkdtemp(prefix="civicdesk-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV_PREFIXES)}
    env.update(
        DJANGO_SETTINGS_MODULE="civicdesk.settings",
        CIVICDESK_VAR_DIR=str(var_dir),
        CIVICDESK_SECURE="false",  # plain http on 127.0.0.1, like `make run`
        CIVICDESK_LOG_LEVEL="WARNING",
        EMAIL_URL="memory://",
    )
    admin_url = None
    if args.database_url:
        admin_url, scratch_url = scratch_postgres(args.database_url)
        postgres_admin(admin_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        postgres_admin(admin_url, f"CREATE DATABASE {SCRATCH_DB}")
        env["DATABASE_URL"] = scratch_url
        env["CIVICDESK_DB_POOL"] = "true" if args.db_pool == "on" else "false"
        database = f"postgresql ({SCRATCH_DB}, pool {args.db_pool})"
    else:
        database = "sqlite (WAL, temporary folder)"
    os.environ.clear()
    os.environ.update(env)  # this process reads the same settings to write the sessions

    wrk = shutil.which("wrk")
    print(f"database: {database}")
    print(f"data folder: {var_dir}")
    print(f"wrk: {wrk or 'not installed'} (not used: the load generator is Python threads)")
    server = None
    try:
        setup = {
            "migrate_s": round(civicdesk("migrate", "--verbosity", "0", env=env), 2),
            "demo_s": round(civicdesk("demo", "--seed", "1", env=env), 2),
        }
        installation = build_admin_and_sessions(max(levels))
        port = free_port()
        server = Server(
            port=port, workers=args.workers, threads=args.threads, env=env,
            log=var_dir / "server.log",
        )  # fmt: skip
        setup["server_start_s"] = round(server.wait_healthy(), 2)
        print(
            f"server: civicdesk serve --port {port} --workers {args.workers} "
            f"--threads {args.threads}; healthy after {setup['server_start_s']} s"
        )

        expect = html.escape(installation.office_name).encode()
        cookies = [{"Cookie": f"sessionid={key}"} for key in installation.session_keys]
        status, body = fetch(port, "/", cookies[0])
        if status != 200 or expect not in body:
            raise RuntimeError(
                f"the dashboard answered {status} without the office name: not signed in?"
            )
        print(f"dashboard check: 200, shows {installation.office_name!r}")
        print(
            f"measuring {args.rounds} round(s) of {args.duration:g} s per phase, "
            f"each after {args.warmup:g} s of warm-up"
        )

        load_before = os.getloadavg()
        phases: list[Phase] = []
        ratios = []
        for round_no in range(1, args.rounds + 1):
            for level in levels:
                health = measure(
                    port=port, round_no=round_no, endpoint="healthz", path="/healthz",
                    headers=[{} for _ in range(level)],
                    warmup=args.warmup, seconds=args.duration, expect=b'"ok"',
                )  # fmt: skip
                print_phase(health)
                dashboard = measure(
                    port=port, round_no=round_no, endpoint="dashboard", path="/",
                    headers=cookies[:level],
                    warmup=args.warmup, seconds=args.duration, expect=expect,
                )  # fmt: skip
                print_phase(dashboard)
                phases += [health, dashboard]
                ratios.append(
                    {
                        "round": round_no,
                        "concurrency": level,
                        "requests_per_s_ratio": round(
                            dashboard.requests_per_s / health.requests_per_s, 3
                        ),
                        "p50_ratio": round(dashboard.p50_ms / health.p50_ms, 3),
                    }
                )
        load_after = os.getloadavg()
        summary = summarize(phases, ratios)
        print_summary(summary)
        print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
        if any(p.errors for p in phases):
            print("WARNING: some responses were errors; see 'statuses' in the JSON.")

        RESULTS_DIR.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS_DIR / f"http-{stamp}.json"
        report = {
            "benchmark": "http",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "git": git_revision(),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "load_average_before": load_before,
                "load_average_after": load_after,
            },
            "database": database,
            "server": {
                "command": "civicdesk serve",
                "workers": args.workers,
                "threads": args.threads,
            },
            "load_generator": "python threads, one keep-alive http.client connection each",
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "setup": setup,
            "summary": summary,
            "phases": [asdict(p) for p in phases],
            "ratios_by_round": ratios,
        }
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"figures written to {out.relative_to(REPO)}")
        return 0
    except Exception as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        if server is not None:
            print(f"last lines of the server log:\n{server.log_tail()}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        if admin_url:
            try:
                postgres_admin(admin_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
            except Exception as exc:
                print(f"could not drop {SCRATCH_DB}: {exc}", file=sys.stderr)
        if args.keep:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
