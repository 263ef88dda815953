"""`civicdesk serve`: the production web server (granian, WSGI)."""

import os

from django.core.management.base import BaseCommand

from civicdesk.ops.processes import child_env, granian_command


class Command(BaseCommand):
    help = "Serve CivicDesk with granian. Put it behind a TLS-terminating proxy in production."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        parser.add_argument(
            "--threads",
            type=int,
            default=4,
            help="Blocking threads per worker (≤ the database pool size).",
        )

    def handle(self, *, host: str, port: int, workers: int, threads: int, **options):
        command = granian_command(host=host, port=port, workers=workers, threads=threads)
        self.stdout.write(f"Serving CivicDesk on http://{host}:{port}/ with {workers} worker(s).")
        self.stdout.flush()
        os.execvpe(command[0], command, child_env())  # noqa: S606  (fixed argv, no shell)
