"""Fast writes of many rows inside the caller's transaction, one way per database.

SQL here is composed only from our own table and column names; values always go as parameters.

PostgreSQL: ids reserved from the table's sequence, new rows sent with COPY, changed rows
COPYed into a temporary table and applied with one UPDATE ... FROM. SQLite: ids taken after
the table's highest (the transaction holds SQLite's write lock from its start, see
settings.py: transaction_mode IMMEDIATE), executemany for inserts and updates.

Values are given as Python values; `Writer.date` and `Writer.now` give the forms each
database takes for dates and timestamps.
"""

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Model

logger = logging.getLogger(__name__)
_sequences: dict[str, str] = {}
_may_skip_triggers: dict[str, bool] = {}
GIN_PENDING_KB = 65536  # a GIN index's pending list during an import (the default is 4 MB)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _table(model: type[Model]) -> str:
    return model._meta.db_table


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(connection.ops.quote_name(column) for column in columns)


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """`count` new primary keys for `model`, never handed out again. Call inside a transaction."""
    if count <= 0:
        return []
    table = _table(model)
    with connection.cursor() as cursor:
        if is_postgresql():
            sequence = _sequences.get(table)
            if sequence is None:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = _sequences[table] = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608  (a model's table name)
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        start = max(highest, found[0] if found else 0) + 1
        return list(range(start, start + count))


def insert_rows(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert rows (values in the order of `columns`, ids included). Returns how many."""
    if not rows:
        return 0
    table = _table(model)
    with connection.cursor() as cursor:
        if is_postgresql():
            with cursor.copy(f"COPY {table} ({_quoted(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({_quoted(columns)}) VALUES ({marks})",  # noqa: S608
                rows,
            )
    return len(rows)


def insert_ignoring(
    model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert rows, skipping those a unique constraint already has."""
    if not rows:
        return
    table = _table(model)
    names = _quoted(columns)
    with connection.cursor() as cursor:
        if is_postgresql():
            temporary = f"import_new_{table}"[:63]
            cursor.execute(f"DROP TABLE IF EXISTS {temporary}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temporary} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {names} FROM {table} WITH NO DATA"
            )
            with cursor.copy(f"COPY {temporary} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {temporary} "  # noqa: S608
                "ON CONFLICT DO NOTHING"
            )
            cursor.execute(f"DROP TABLE {temporary}")
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                rows,
            )


def update_rows(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Set `columns[1:]` of the rows whose id is the first value of each row."""
    if not rows:
        return 0
    if columns[0] != "id":
        raise ValueError("The first column of an update is the id.")
    table = _table(model)
    names = [connection.ops.quote_name(column) for column in columns]
    with connection.cursor() as cursor:
        if is_postgresql():
            temporary = f"import_changes_{table}"[:63]
            cursor.execute(f"DROP TABLE IF EXISTS {temporary}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temporary} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {', '.join(names)} FROM {table} WITH NO DATA"
            )
            with cursor.copy(f"COPY {temporary} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            assignments = ", ".join(f"{name} = changed.{name}" for name in names[1:])
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM {temporary} AS changed "  # noqa: S608
                f"WHERE {table}.id = changed.id"
            )
            cursor.execute(f"DROP TABLE {temporary}")
        else:
            assignments = ", ".join(f"{name} = %s" for name in names[1:])
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608
                [(*row[1:], row[0]) for row in rows],
            )
    return len(rows)


def delete_rows(model: type[Model], column: str, values: Iterable[Any]) -> int:
    """Delete the rows whose `column` is one of `values` (no cascades: for link tables)."""
    values = list(values)
    deleted = 0
    for start in range(0, len(values), 5000):
        chunk = values[start : start + 5000]
        deleted += model._base_manager.filter(**{f"{column}__in": chunk}).delete()[0]
    return deleted


class Writer:
    """The value forms of the current database: a date, the chunk's timestamp, JSON."""

    def __init__(self, now: dt.datetime):
        self.is_postgresql = is_postgresql()
        self.now = now if self.is_postgresql else connection.ops.adapt_datetimefield_value(now)

    def date(self, value: dt.date | None) -> Any:
        if value is None or self.is_postgresql:
            return value
        return value.isoformat()


def any_of(column: str) -> str:
    """SQL saying `column` is one of a list given as one parameter (see `listed`): no query
    with thousands of placeholders, nor the ORM's work on each of them."""
    if is_postgresql():
        return f"{column} = ANY(%s)"
    return f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608


def listed(values: Iterable[Any]) -> Any:
    """The parameter for `any_of`: an array on PostgreSQL, a JSON list on SQLite."""
    values = list(values)
    return values if is_postgresql() else json.dumps(values)


def fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def as_date(value: Any) -> dt.date | None:
    """A date column read with raw SQL (SQLite gives text)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def as_json(value: Any) -> Any:
    """A JSON column read with raw SQL (SQLite gives text)."""
    return json.loads(value) if isinstance(value, str) else value


def tune_transaction() -> bool:
    """Settings of the chunk's transaction on PostgreSQL (SET LOCAL: they end with it).

    - A larger pending list for GIN indexes (the people search's trigram index): new entries
      go in bulk rather than every 4 MB.
    - synchronous_commit off: a chunk's commit does not wait for the disk.
    - The row-by-row foreign key triggers off (session_replication_role = replica), when the
      database role may do so (a superuser, or `GRANT SET ON PARAMETER
      session_replication_role TO ...`) and settings.IMPORT_SET_BASED_CHECKS is not False: the
      chunk then checks and locks what its rows refer to itself, one query per table
      (chunks.Importer.lock_references). True when the triggers are off.
    """
    if not is_postgresql():
        return False
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL gin_pending_list_limit = %s", [GIN_PENDING_KB])
        # The commit does not wait for its WAL to reach the disk: a crash of the database
        # server may lose the last chunks, whole, checkpoint included; the import redoes them.
        cursor.execute("SET LOCAL synchronous_commit = off")
    if not getattr(settings, "IMPORT_SET_BASED_CHECKS", True):
        return False
    name = connection.settings_dict["NAME"]
    if _may_skip_triggers.get(name) is False:
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        _may_skip_triggers[name] = False
        logger.info(
            "imports: the database role may not set session_replication_role; foreign keys "
            "are checked row by row (slower; see docs/imports-admin.md)"
        )
        return False
    _may_skip_triggers[name] = True
    return True


def clean_gin_pending_lists(model: type[Model]) -> None:
    """Move what an import left in the GIN pending lists of the table's indexes into the
    indexes (searches read the pending list row by row). Needs the index's owner; otherwise
    autovacuum does it later."""
    if not is_postgresql():
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT gin_clean_pending_list(indexrelid::regclass) FROM pg_index "
                "JOIN pg_class ON pg_class.oid = pg_index.indexrelid "
                "JOIN pg_am ON pg_am.oid = pg_class.relam "
                "WHERE pg_index.indrelid = %s::regclass AND pg_am.amname = 'gin'",
                [_table(model)],
            )
    except DatabaseError:
        logger.info("imports: GIN pending lists left to autovacuum (not the index owner)")


def lock_key_share(table: str, ids: Iterable[int]) -> set[int]:
    """The ids among `ids` that `table` has, locked against deletion until the transaction
    ends (FOR KEY SHARE, as foreign key checks lock; SQLite's write transaction already keeps
    every other writer out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    lock = " FOR KEY SHARE" if is_postgresql() else ""
    rows = fetch(
        f"SELECT id FROM {table} WHERE {any_of('id')}{lock}",  # noqa: S608
        [listed(wanted)],
    )
    return {row[0] for row in rows}


LOOKED_UP = (
    "constituents_person", "constituents_externalid", "constituents_emailaddress",
    "constituents_address", "constituents_addressdistrict", "constituents_persontag",
)  # fmt: skip


def refresh_statistics() -> None:
    """PostgreSQL: ANALYZE the tables an import looks people up in. A large import grows them
    faster than autovacuum notices; with statistics of a nearly empty table the planner turns
    a chunk's indexed lookups into scans of the whole table. Needs the tables' owner (or the
    MAINTAIN privilege); otherwise autovacuum's statistics are used."""
    if not is_postgresql():
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(LOOKED_UP)}")
    except DatabaseError:
        logger.info("imports: may not ANALYZE the people tables; autovacuum will")
