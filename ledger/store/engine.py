"""Database engines: SQLite (the embedded default) and PostgreSQL, configured for durable appends.

SQLite runs in WAL mode with ``synchronous=FULL`` so an acknowledged append survives power loss, and write
transactions start with ``BEGIN IMMEDIATE`` so two writers never both read the same log head. A new SQLite file is
created readable by its owner only (its WAL and shared memory files follow its mode).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from ledger.errors import LedgerStateError
from ledger.files import private_file
from ledger.store.tables import metadata

IMMEDIATE = "traceledger_immediate"  # execution option: start the transaction with BEGIN IMMEDIATE


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``) with its tables created."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        if url.startswith("sqlite"):
            database = make_url(url).database
            if database and database != ":memory:" and not Path(database).exists():
                private_file(Path(database))
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            _configure_sqlite(engine)
        elif url.startswith("postgresql+psycopg://"):
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        else:
            raise LedgerStateError("the database URL must start with sqlite:/// or postgresql://")
        metadata.create_all(engine)
    except SQLAlchemyError as exc:
        # First line only: enough to act on, and never the URL (which may hold a password).
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise LedgerStateError(f"cannot open the database: {reason}") from None
    return engine
