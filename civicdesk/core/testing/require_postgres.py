"""`python -m civicdesk.core.testing.require_postgres URL`: fail clearly when PostgreSQL is not there.

`make test` runs the whole suite on PostgreSQL too; a missing server is a failure, never a skip.
"""

import sys

import psycopg


def main(url: str) -> int:
    try:
        psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL is not reachable at {url}: {exc}".strip(), file=sys.stderr)  # noqa: T201
        print("Start it (see docs/admin-guide.md) or set TEST_POSTGRES_URL.", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
