"""Starting the web server and the worker as child processes."""

import os
import sys


def granian_command(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    """granian serving the WSGI app. Blocking threads stay at or under the database pool size:
    granian's default of up to 256 would open a connection per thread (STACK.md)."""
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--no-ws",
        "--log-level",
        "warning",
        "civicdesk.wsgi:application",
    ]


def civicdesk_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "civicdesk", *args]


def child_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "civicdesk.settings")
    for key, value in overrides.items():
        env.setdefault(key, value)
    return env
