"""Derived views in the database: reading rows for the rules, and writing the rows they changed.

Reads are the hottest statement of an append (a few per event), so they go to the driver as plain SQL rather
than through statement construction each time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from ledger.rules.state import State, ViewRow
from ledger.rules.views import EVENTS, IN_ENTRIES, WRITE_ONCE
from ledger.store.tables import ENTRIES, VIEWS

_ROW_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)  # built once, not per row


def encode_row(value: dict[str, Any]) -> str:
    """The stored form of a view row: sorted-key compact JSON, so equal rows are equal strings."""
    return _ROW_ENCODER.encode(value)


def _marker(conn: Connection) -> str:
    """The driver's parameter marker: SQLite's ``?`` or psycopg's ``%s``."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows through the driver: statement construction per row costs more than the insert itself."""
    if not rows:
        return
    marker = _marker(conn)
    names = ", ".join(conn.dialect.identifier_preparer.quote(column) for column in columns)
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([marker] * len(columns))})"  # noqa: S608 -- names only
    conn.connection.cursor().executemany(sql, rows)


class ConnectionViewReader:
    """Reads view rows through one connection (inside the append transaction, or a read-only one).

    Rows of the ``events`` view are not stored twice: they are read from the entries table (see ``IN_ENTRIES``).
    """

    def __init__(self, conn: Connection) -> None:
        self._cursor = conn.connection.cursor()  # the transaction's own DBAPI connection
        self._marker = _marker(conn)

    def load(self, view: str, key: str) -> dict[str, Any] | None:
        return self.load_many([(view, key)]).get((view, key))

    def load_many(self, rows: Iterable[ViewRow]) -> dict[ViewRow, dict[str, Any]]:
        """Present rows among ``rows``: one query per view and 500 keys, served by the primary key."""
        by_view: dict[str, list[str]] = {}
        for view, key in rows:
            by_view.setdefault(view, []).append(key)
        found: dict[ViewRow, dict[str, Any]] = {}
        for view, keys in by_view.items():
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                markers = ", ".join([self._marker] * len(chunk))
                if view == EVENTS:
                    self._cursor.execute(f"{_EVENT_ROWS} WHERE event_id IN ({markers})", chunk)
                    found.update(
                        {
                            (view, e): {"kind": k, "subject": s, "actor": a, "index": i}
                            for e, k, s, a, i in self._cursor.fetchall()
                        }
                    )
                    continue
                sql = f"SELECT key, value FROM {VIEWS.name} WHERE view = {self._marker} AND key IN ({markers})"  # noqa: S608 -- markers only
                self._cursor.execute(sql, (view, *chunk))
                found.update({(view, key): dict(json.loads(value)) for key, value in self._cursor.fetchall()})
        return found


_EVENT_ROWS = f"SELECT event_id, kind, subject, actor, leaf_index FROM {ENTRIES.name}"  # noqa: S608 -- constants only


def stored_rows(changes: Mapping[ViewRow, dict[str, Any] | None]) -> dict[ViewRow, str | None]:
    """What the views table keeps of changed rows: their stored form (None: deleted), leaving out the rows the
    entries table already holds (``IN_ENTRIES``). A replay compares its rows with the table through this too."""
    return {
        row: None if value is None else encode_row(value) for row, value in changes.items() if row[0] not in IN_ENTRIES
    }


def write_changes(conn: Connection, state: State) -> None:
    """Write the rows the rules changed since the last call (driver-level: this runs for every view row)."""
    changes = stored_rows(state.take_changes())
    marker = _marker(conn)
    cursor = conn.connection.cursor()
    rows = [(view, key, value) for (view, key), value in changes.items() if value is not None]
    deletes = [(view, key) for (view, key), value in changes.items() if value is None]
    insert = f"INSERT INTO {VIEWS.name} (view, key, value) VALUES ({marker}, {marker}, {marker})"  # noqa: S608
    once = sorted(row for row in rows if row[0] in WRITE_ONCE)
    if once:  # a duplicate key here is an integrity error, never an update
        cursor.executemany(insert, once)
    upserts = sorted(row for row in rows if row[0] not in WRITE_ONCE)
    if upserts:  # SQLite and PostgreSQL share this upsert syntax
        cursor.executemany(insert + " ON CONFLICT (view, key) DO UPDATE SET value = excluded.value", upserts)
    if deletes:
        cursor.executemany(f"DELETE FROM {VIEWS.name} WHERE view = {marker} AND key = {marker}", sorted(deletes))  # noqa: S608
