"""Crash safety with real processes: `civicdesk import run-batch` is killed with SIGKILL at
several points of an import (before its first chunk commits, after one chunk, after several),
then the batch is resumed (`civicdesk import resume` and a `civicdesk worker --batch`), and the
office's people must equal those of a clean run of the same file in another office.

The processes share a database that this test builds: a temporary SQLite file, or, when
DATABASE_URL names PostgreSQL, a scratch database on that server (created and dropped here).
pytest-django's own test database is not used (a subprocess cannot see an in-memory one).
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

REPO = Path(__file__).resolve().parents[3]
CIVICDESK = [sys.executable, "-m", "civicdesk"]
CHUNK = 100
ROWS = 2500
SCRATCH_DB = "cd_imports_resume"

SETUP = """
import json
from pathlib import Path
from civicdesk.accounts.services import create_office
from civicdesk.geo.geocoding import normalize_address
from civicdesk.geo.models import AddressPoint
from civicdesk.imports import services
from civicdesk.imports.tests.helpers import make_layer, prepared_batch, square
from civicdesk.imports.tests.test_pipeline import GENERIC
from civicdesk.jobs.models import Job
from civicdesk.jobs.services import claim_job, run_claimed_job

batches = {}
for slug in ("killed", "clean"):
    office = create_office(name=slug.title(), slug=slug)
    make_layer(office, "Ward", [("Ward 1", "1", square(-77.1, 38.8, 0.05)),
                                ("Ward 2", "2", square(-77.05, 38.8, 0.05))])
    make_layer(office, "Council", [("West", "W", square(-77.1, 38.8, 0.05)),
                                   ("East", "E", square(-77.05, 38.8, 0.05))])
    AddressPoint.objects.bulk_create([
        AddressPoint(office=office, normalized=normalize_address(f"{n} Main Street"),
                     label=f"{n} Main St", latitude=38.81 + n / 1e5, longitude=-77.09 + n / 2e4)
        for n in range(1, 1000, 3)
    ])
    # The maps' own jobs (districts for the addresses already there) run now, not in the
    # middle of the import: they re-district by position only.
    for job in Job.objects.filter(office=office, state="queued"):
        run_claimed_job(claim_job(job.pk))
    batch = prepared_batch(office, Path(FILE), mapping=GENERIC, tag_name="Resume test")
    services.start_import(batch, by=None)
    batches[slug] = batch.pk
print("BATCHES=" + json.dumps(batches))
"""

DUMP = """
import json
from civicdesk.accounts.models import Office
from civicdesk.imports.models import ImportBatch
from civicdesk.imports.tests.helpers import dump
office = Office.objects.get(slug=SLUG)
batch = ImportBatch.objects.get(office=office)
counts = [batch.state, batch.rows_done, batch.created, batch.updated, batch.unchanged,
          batch.failed, batch.failures.count()]
print("DUMP=" + json.dumps({"people": dump(office.pk), "counts": counts}, default=str))
"""


def people_file(folder: Path) -> Path:
    """A few thousand people with repeats (the same voter twice), changes, bad rows, emails,
    addresses of which a third are in the address points."""
    rng = random.Random(8)
    firsts = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John"]
    lasts = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus"]
    lines = ["voter_id,first,last,dob,email,street,zip,ward,party"]
    for n in range(ROWS):
        voter = rng.randrange(int(ROWS * 0.8))  # about one row in five repeats a voter
        first, last = rng.choice(firsts), f"{rng.choice(lasts)}{voter % 97}"
        email = f"{first.lower()}.{voter}@example.org" if voter % 3 else ""
        street = f"{voter % 1000} Main Street" if voter % 4 else ""
        ward = str(voter % 3) if voter % 5 else ""
        dob = f"19{50 + voter % 50}-0{1 + voter % 9}-1{voter % 10}"
        if n % 97 == 0:
            email = "not-an-email"  # a failed row
        if n % 41 == 0:
            first = first.upper()  # same person, other capitals: unchanged
        if n % 53 == 0:
            street = f"{voter % 1000 + 1} Main Street"  # a move
        lines.append(f"V{voter},{first},{last},{dob},{email},{street},20001,{ward},P{voter % 4}")
    path = folder / "people.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


class Installation:
    """A database both this test and the subprocesses see."""

    def __init__(self, folder: Path):
        self.folder = folder
        given = os.environ.get("DATABASE_URL", "")
        self.postgres = given.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            parts = urlparse(given)
            self.admin_url = urlunparse(parts._replace(path="/postgres"))
            self.url = urlunparse(parts._replace(path=f"/{SCRATCH_DB}"))
        else:
            self.url = f"sqlite:///{folder / 'civicdesk.sqlite3'}"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CIVICDESK_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))
        }
        self.env.update(DATABASE_URL=self.url, CIVICDESK_VAR_DIR=str(folder), PYTHONPATH=str(REPO))

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql)

    def create(self) -> None:
        if self.postgres:
            self.admin(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
            self.admin(f"CREATE DATABASE {SCRATCH_DB}")
        self.run("migrate", "-v0")

    def drop(self) -> None:
        if self.postgres:
            self.admin(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")

    def run(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [*CIVICDESK, *args], env=self.env, cwd=self.folder, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [*CIVICDESK, *args], env=self.env, cwd=self.folder,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def shell(self, code: str, marker: str) -> dict:
        out = self.run("shell", "-c", code)
        line = next(line for line in out.splitlines() if line.startswith(marker + "="))
        return json.loads(line[len(marker) + 1 :])

    def batch_row(self, batch_id: int) -> tuple[str, int]:
        query = "SELECT state, rows_done FROM imports_importbatch WHERE id = %s"
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url) as connection:
                return connection.execute(query, [batch_id]).fetchone()
        with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=20) as connection:
            return connection.execute(query.replace("%s", "?"), [batch_id]).fetchone()


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resume")
    installed = Installation(folder)
    installed.create()
    yield installed
    installed.drop()


def kill_when(installation: Installation, batch_id: int, *, chunks: int) -> int:
    """Start a worker on the batch and SIGKILL it once `chunks` chunks are committed (0: while
    it writes its first one). Returns the checkpoint it left."""
    _state, before = installation.batch_row(batch_id)
    worker = installation.start("import", "run-batch", str(batch_id), "--chunk-size", str(CHUNK),
                                "--pause", "0.04")  # fmt: skip
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            state, done = installation.batch_row(batch_id)
            if state == "running" and done >= before + chunks * CHUNK:
                if chunks == 0:
                    time.sleep(0.02)  # inside the first chunk's transaction (it pauses 0.04 s)
                break
            assert worker.poll() is None, worker.stderr.read()[-3000:]
            time.sleep(0.005)
        else:
            pytest.fail("the worker never got there")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    state, done = installation.batch_row(batch_id)
    assert state == "running"  # nobody said it stopped: it died
    assert done % CHUNK == 0  # a chunk is all there or not at all
    return done


def test_a_killed_import_resumes_and_ends_as_a_clean_run(installation):
    data = people_file(installation.folder)
    batches = installation.shell(f"FILE = {str(data)!r}\n{SETUP}", "BATCHES")
    killed, clean = batches["killed"], batches["clean"]

    checkpoints = [
        kill_when(installation, killed, chunks=0),
        kill_when(installation, killed, chunks=1),
        kill_when(installation, killed, chunks=4),
    ]
    assert checkpoints[0] == 0
    assert checkpoints[1] >= CHUNK
    assert checkpoints[2] >= checkpoints[1] + 4 * CHUNK
    assert checkpoints[2] < ROWS

    # The worker takes the resumed job, goes on after the checkpoint and finishes.
    out = installation.run("import", "resume", str(killed), "--force")
    assert f"it goes on after row {checkpoints[2]:,}" in out
    installation.run("worker", "--batch", "--no-scheduler", timeout=180)
    installation.run("import", "run-batch", str(clean), "--chunk-size", str(CHUNK))

    resumed = installation.shell(f"SLUG = 'killed'\n{DUMP}", "DUMP")
    reference = installation.shell(f"SLUG = 'clean'\n{DUMP}", "DUMP")
    assert resumed["counts"] == reference["counts"]
    state, rows, created, updated, unchanged, failed, failures = reference["counts"]
    assert (state, rows, failed, failures) == ("finished", ROWS, failures, failed)
    assert created + updated + unchanged + failed == ROWS
    assert created < ROWS
    assert updated
    assert unchanged
    assert failed
    assert len(resumed["people"]) == len(reference["people"]) == created
    by_id = {json.dumps(p["ids"]): p for p in reference["people"]}
    differ = [(p, by_id.get(json.dumps(p["ids"]))) for p in resumed["people"]]
    differ = [
        {key: (a[key], (b or {}).get(key)) for key in a if a[key] != (b or {}).get(key)}
        | {"ids": a["ids"]}
        for a, b in differ
        if a != b
    ]
    assert not differ, f"{len(differ)} people differ; the first: {differ[0]}"
    located = [p for p in reference["people"] if any(a[7] is not None for a in p["addresses"])]
    assert located
    assert all(a[10] for p in located for a in p["addresses"])  # districts
    assert resumed["people"] == reference["people"]
