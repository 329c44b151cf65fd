"""Derived views in the database: reading rows for the rules, and writing the rows they changed."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.engine import Connection

from ledger.events import canonical_json
from ledger.rules.state import State
from ledger.store.tables import VIEWS


class ConnectionViewReader:
    """Reads view rows through one connection (inside the append transaction, or a read-only one)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def load(self, view: str, key: str) -> dict[str, Any] | None:
        value = self._conn.execute(
            select(VIEWS.c.value).where(VIEWS.c.view == view, VIEWS.c.key == key)
        ).scalar_one_or_none()
        return None if value is None else dict(json.loads(value))


def write_changes(conn: Connection, state: State) -> None:
    """Write the rows the rules changed since the last call: delete the old versions, insert the new."""
    changes = state.take_changes()
    rows = sorted(changes)
    for start in range(0, len(rows), 500):
        conn.execute(delete(VIEWS).where(tuple_(VIEWS.c.view, VIEWS.c.key).in_(rows[start : start + 500])))
    values = [
        {"view": view, "key": key, "value": canonical_json(value).decode("utf-8")}
        for (view, key), value in ((row, changes[row]) for row in rows)
        if value is not None
    ]
    if values:
        conn.execute(insert(VIEWS), values)
