"""Database engines: SQLite (the embedded default) and PostgreSQL, configured for durable appends.

SQLite runs in WAL mode with ``synchronous=FULL`` so an acknowledged append survives power loss, and write
transactions start with ``BEGIN IMMEDIATE`` so two writers never both read the same log head. A new SQLite file is
created readable by its owner only (its WAL and shared memory files follow its mode).

A full disk is told apart from other database failures (``out_of_space``) because it is the user's to fix and safe
to retry: the transaction rolled back, so the problem says so instead of a generic failure.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from ledger.errors import InsufficientStorage, LedgerStateError
from ledger.files import private_file

IMMEDIATE = "traceledger_immediate"  # execution option: start the transaction with BEGIN IMMEDIATE

_SQLITE_FULL = 13  # "database or disk is full"
_SQLITE_IOERR_SHMSIZE = 10 | (19 << 8)  # the WAL index could not grow: its disk is full
_PG_DISK_FULL = "53100"  # SQLSTATE disk_full
_FULL_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def out_of_space(exc: BaseException) -> bool:
    """Whether ``exc`` (or the driver or OS error it wraps) says the disk or quota is full."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _FULL_DISK_ERRNOS:
            return True
        if isinstance(seen, sqlite3.Error):
            code = getattr(seen, "sqlite_errorcode", None)
            if code is not None and (code & 0xFF == _SQLITE_FULL or code == _SQLITE_IOERR_SHMSIZE):
                return True
        if getattr(seen, "sqlstate", None) == _PG_DISK_FULL:  # psycopg's errors carry their SQLSTATE
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False


@contextmanager
def storing(what: str) -> Iterator[None]:
    """Turn a full disk while ``what`` is written into ``InsufficientStorage``; other errors pass unchanged."""
    try:
        yield
    except Exception as exc:
        if out_of_space(exc):
            raise InsufficientStorage(
                f"{what} was not stored: the ledger's database or disk is full; free space and send it again"
            ) from None
        raise


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


@contextmanager
def opening() -> Iterator[None]:
    """Failures while a database is opened (or its schema read) as one line: a full disk, else the driver's reason."""
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        if out_of_space(exc):
            raise InsufficientStorage("cannot open the database: its disk is full; free space and try again") from None
        # First line only: enough to act on, and never the URL (which may hold a password).
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise LedgerStateError(f"cannot open the database: {reason}") from None


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``); ``ledger.store.schema`` creates
    or checks the tables in it."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    with opening():
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
    return engine
