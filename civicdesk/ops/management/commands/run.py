"""`civicdesk run`: the embedded all-in-one. Migrates, makes sure an office and an admin
exist (printing the admin's one-time password the first time), then runs the web server and
a worker until Ctrl-C stops both."""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from civicdesk.accounts.models import Office, User
from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import add_member, create_office
from civicdesk.ops.processes import child_env, civicdesk_command, granian_command

ADMIN_EMAIL = "admin@civicdesk.localhost"


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt  # the same clean stop as Ctrl-C


class Command(BaseCommand):
    help = "Run CivicDesk on this machine: web server and worker, with demo data the first time."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-demo",
            action="store_true",
            help="Start with an empty office instead of demo data.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed of the demo data.")

    def handle(self, *, host: str, port: int, no_demo: bool, seed: int, **options):
        call_command("migrate", verbosity=0, interactive=False)
        password = self.first_run(no_demo=no_demo, seed=seed)
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\nCivicDesk is starting at {url}"))
        if password:
            self.stdout.write(f"  Sign in as {ADMIN_EMAIL} with the one-time password: {password}")
            self.stdout.write(
                "  (shown only now: at first sign-in you set up two-factor sign-in, then choose your own password)"
            )
        self.stdout.write("  Press Ctrl-C to stop.\n")
        self.stdout.flush()
        self.run_children(host, port)

    def first_run(self, *, no_demo: bool, seed: int) -> str | None:
        """Create the first office and its admin when the installation is empty."""
        if User.objects.exists():
            return None
        if no_demo:
            office = create_office(name="My Office", slug="my-office")
        else:
            call_command("demo", seed=seed, verbosity=0)
            office = Office.objects.order_by("pk").first()
        password = secrets.token_urlsafe(12)
        admin = add_member(
            office,
            email=ADMIN_EMAIL,
            role=Role.ADMIN,
            by=None,
            full_name="Office Admin",
            password=password,
        )
        admin.user.password_change_required = True  # we chose it: they must pick their own
        admin.user.save(update_fields=["password_change_required"])
        return password

    def run_children(self, host: str, port: int) -> None:
        local = host in {"127.0.0.1", "localhost", "::1"}
        env = child_env(
            CIVICDESK_SECURE="false" if local else "true",
            CIVICDESK_WEBAUTHN_INSECURE_ORIGIN="true" if local else "false",
            CIVICDESK_SITE_URL=f"http://{host}:{port}",
        )
        if not local:
            env.setdefault("CIVICDESK_ALLOWED_HOSTS", f"{host},localhost,127.0.0.1")
        # Each child leads its own process group: a terminal's Ctrl-C reaches only us, and we
        # stop each group whole (granian's worker processes too) instead of orphaning them.
        children = [
            subprocess.Popen(  # noqa: S603
                granian_command(host=host, port=port, workers=1, threads=4),
                env=env,
                start_new_session=True,
            ),
            subprocess.Popen(civicdesk_command("worker"), env=env, start_new_session=True),  # noqa: S603
        ]
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A CivicDesk process stopped unexpectedly; stopping the other.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping CivicDesk…")
        finally:
            for child in children:
                _signal_group(child, signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    _signal_group(child, signal.SIGKILL)
                    child.wait()
        sys.exit(0)


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    """Signal a child's whole process group (it was started in a session of its own)."""
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(child.pid, sig)
