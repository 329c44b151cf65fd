"""The witness's memory: per log origin, the latest checkpoint it cosigned, in a small SQLite database.

c2sp.org/tlog-witness requires checking the old size against the stored one and storing the new checkpoint
atomically, and persisting it before answering. ``advance`` does both in one ``BEGIN IMMEDIATE`` transaction
(which serialises writers across threads and processes) committed with ``synchronous=FULL``, so a cosignature
is only ever handed out for a state that survives a crash or power loss.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import LedgerStateError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS witnessed (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32),
    timestamp INTEGER NOT NULL CHECK (timestamp > 0),
    note TEXT NOT NULL
) WITHOUT ROWID
"""


@dataclass(frozen=True)
class Witnessed:
    """The latest checkpoint cosigned for ``origin``: its size, root, the cosignature's time and the cosigned note."""

    origin: str
    size: int
    root: bytes
    timestamp: int
    note: str  # the checkpoint with the trusted log signatures and this witness's cosignature


class WitnessState:
    """The latest cosigned checkpoint of each log, in the SQLite file at ``path`` (created if missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connection() as conn:
            conn.execute(_SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                yield conn
        except sqlite3.Error as exc:
            raise LedgerStateError(f"witness state {self.path.name}: {exc}") from None

    def latest(self, origin: str) -> Witnessed | None:
        with self._connection() as conn:
            return _read(conn, origin)

    def advance(self, origin: str, decide: Callable[[Witnessed | None], Witnessed]) -> Witnessed:
        """Store ``decide(latest)`` as the new latest state of ``origin``, atomically.

        ``decide`` runs inside the transaction, so no other request for the log can slip in between its checks
        and the write; if it raises, nothing is stored. The new state is durable when this returns.
        """
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                new = decide(_read(conn, origin))
                if new.origin != origin:
                    raise LedgerStateError(f"a state for {new.origin!r} cannot replace the state of {origin!r}")
                conn.execute(
                    "INSERT INTO witnessed (origin, size, root, timestamp, note) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
                    "timestamp = excluded.timestamp, note = excluded.note",
                    (origin, new.size, new.root, new.timestamp, new.note),
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return new


def _read(conn: sqlite3.Connection, origin: str) -> Witnessed | None:
    row = conn.execute("SELECT size, root, timestamp, note FROM witnessed WHERE origin = ?", (origin,)).fetchone()
    if row is None:
        return None
    size, root, timestamp, note = row
    return Witnessed(origin, int(size), bytes(root), int(timestamp), str(note))
