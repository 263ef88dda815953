import sys
from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command

from civicdesk.accounts.models import Membership, Office, User
from civicdesk.demo.management.commands import demo
from civicdesk.demo.services import build_demo_office
from civicdesk.ops.management.commands import serve
from civicdesk.ops.management.commands.run import ADMIN_EMAIL
from civicdesk.ops.management.commands.run import Command as Run
from civicdesk.ops.processes import child_env, civicdesk_command, granian_command


def test_granian_serves_the_wsgi_app_with_bounded_threads():
    assert granian_command(host="192.0.2.10", port=8080, workers=3, threads=6) == [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "192.0.2.10",
        "--port", "8080", "--workers", "3", "--blocking-threads", "6", "--no-ws",
        "--log-level", "warning", "civicdesk.wsgi:application",
    ]  # fmt: skip


def test_serve_replaces_itself_with_granian(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(serve.os, "execvpe", lambda *args: calls.append(args))

    call_command("serve", "--port", "9000", "--workers", "2", "--threads", "3")

    [(program, argv, env)] = calls
    assert program == sys.executable
    assert argv == granian_command(host="127.0.0.1", port=9000, workers=2, threads=3)
    assert env["DJANGO_SETTINGS_MODULE"] == "civicdesk.settings"
    assert (
        capsys.readouterr().out == "Serving CivicDesk on http://127.0.0.1:9000/ with 2 worker(s).\n"
    )


def test_child_env_keeps_what_the_operator_set(monkeypatch):
    monkeypatch.setenv("CIVICDESK_SECURE", "true")

    env = child_env(CIVICDESK_SECURE="false", CIVICDESK_SITE_URL="http://127.0.0.1:8000")

    assert (env["CIVICDESK_SECURE"], env["CIVICDESK_SITE_URL"]) == ("true", "http://127.0.0.1:8000")


def test_the_worker_runs_as_a_civicdesk_command():
    assert civicdesk_command("worker") == [sys.executable, "-m", "civicdesk", "worker"]


def test_the_first_run_creates_an_office_and_its_admin(db):
    password = Run().first_run(no_demo=True, seed=1)

    admin = Membership.objects.select_related("office", "user").get()
    assert (admin.office.slug, admin.office.name, admin.role) == ("my-office", "My Office", "admin")
    assert admin.user.email == ADMIN_EMAIL == "admin@civicdesk.localhost"
    assert admin.user.check_password(password)
    assert admin.user.password_change_required is True


def test_the_password_is_shown_only_the_first_time(db):
    assert Run().first_run(no_demo=True, seed=1)

    assert Run().first_run(no_demo=True, seed=1) is None
    assert (Office.objects.count(), User.objects.count()) == (1, 1)


def test_the_first_run_with_demo_data_makes_the_admin_an_admin_of_the_demo(db, monkeypatch):
    # A small demo city: the command's 20,000 people take minutes.
    monkeypatch.setattr(demo, "build_demo_office", partial(build_demo_office, people=10))

    Run().first_run(no_demo=False, seed=2)

    admin = Membership.objects.get(user__email=ADMIN_EMAIL)
    assert (admin.office.slug, admin.role) == ("demo-2", "admin")


@pytest.mark.parametrize("no_demo", [True, False])
def test_an_installation_with_people_is_left_alone(alice, no_demo):
    assert Run().first_run(no_demo=no_demo, seed=1) is None
    assert list(Office.objects.values_list("slug", flat=True)) == ["ward-1"]


def test_run_prints_the_one_time_password_only_the_first_time(db, monkeypatch):
    started = []
    monkeypatch.setattr(Run, "run_children", lambda self, host, port: started.append((host, port)))

    first, second = StringIO(), StringIO()
    call_command("run", "--no-demo", "--port", "8123", stdout=first)
    call_command("run", "--no-demo", "--port", "8123", stdout=second)

    password = first.getvalue().split("one-time password: ")[1].split()[0]
    assert User.objects.get(email=ADMIN_EMAIL).check_password(password)
    assert "CivicDesk is starting at http://127.0.0.1:8123/" in second.getvalue()
    assert "password" not in second.getvalue()
    assert started == [("127.0.0.1", 8123), ("127.0.0.1", 8123)]
