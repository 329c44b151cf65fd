"""The database schema's revision (Alembic): a new ledger is made at the head revision, an existing one is opened
only at the head, and ``traceledger migrate`` brings an older one there.

A ledger made before migrations existed has the baseline's tables and no version table: it is adopted by checking
that its tables are the baseline's, then stamping it. Each step runs in one transaction on the ledger's own engine
(BEGIN IMMEDIATE on SQLite), so the version table lives beside the log, in a PostgreSQL URL's ``search_path`` too.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, inspect
from sqlalchemy.engine import Connection

from ledger.errors import LedgerStateError, SchemaOutdated, SchemaTooNew
from ledger.store.engine import IMMEDIATE, opening
from ledger.store.tables import metadata

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE_REVISION = "0001"  # versions/0001_baseline.py: the tables of every ledger made before migrations
UNVERSIONED = "unversioned (made before migrations)"  # the revision of a ledger with the baseline's tables, unstamped
OUTDATED = "the ledger's schema is older than this traceledger: run `traceledger migrate`"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for our migrations, without an ini file; ``connection`` is what env.py migrates."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision this traceledger makes and opens ledgers at."""
    found = _scripts().get_current_head()
    assert found is not None, f"no revision in {MIGRATIONS}"
    return found


def _known(revision: str) -> bool:
    return any(script.revision == revision for script in _scripts().walk_revisions())


def revision(conn: Connection) -> str | None:
    """The schema revision of the database on ``conn``: its stamped one, ``UNVERSIONED`` for a ledger made before
    migrations existed, None when it holds none of the ledger's tables (whatever its version table says)."""
    if not set(inspect(conn).get_table_names()) & set(metadata.tables):
        return None
    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(heads) if heads else UNVERSIONED


def _require_known(found: str | None) -> str:
    if found is None:
        raise LedgerStateError("the database holds no ledger: run `traceledger init` first")
    if found != UNVERSIONED and not _known(found):
        raise SchemaTooNew(
            f"the ledger's schema (revision {found}) is newer than this traceledger: use the newer one that migrated it"
        )
    return found


def _require_head(found: str | None) -> None:
    if _require_known(found) != head():
        raise SchemaOutdated(OUTDATED)


def check(engine: Engine) -> None:
    """Refuse a database whose schema is not this traceledger's: older (``SchemaOutdated``) or unknown
    (``SchemaTooNew``)."""
    with opening(), engine.connect() as conn:
        found = revision(conn)
    _require_head(found)


def create(engine: Engine) -> None:
    """Make the tables of a new ledger at the head revision (``create_all`` and a stamp, as Alembic's cookbook builds
    a database from scratch); a database that holds the ledger's tables already must be at the head."""
    with opening(), engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
        found = revision(conn)
        if found is None:
            metadata.create_all(conn)
            command.stamp(alembic_config(conn), "head", purge=True)  # a version row left by dropped tables goes
        else:
            _require_head(found)  # and the caller refuses to start a second log in them


def migrate(engine: Engine) -> tuple[str, str]:
    """Upgrade the ledger's schema to the head revision; returns (from, to), equal when there was nothing to do."""
    with opening(), engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
        found = _require_known(revision(conn))
        config = alembic_config(conn)
        if found == UNVERSIONED:
            _require_baseline(conn)
            command.stamp(config, BASELINE_REVISION)
        command.upgrade(config, "head")
    return found, head()


def _require_baseline(conn: Connection) -> None:
    """Refuse to adopt an unversioned database whose ledger tables are not the baseline's (other tables may share
    the database: they are not compared)."""
    baseline: MetaData = _scripts().get_revision(BASELINE_REVISION).module.BASELINE
    options = {
        "compare_server_default": True,
        "include_name": lambda name, kind, _parent: kind != "table" or name in baseline.tables,
    }
    differences = compare_metadata(MigrationContext.configure(conn, opts=options), baseline)
    if differences:
        raise LedgerStateError(
            f"the database's tables are not those of a ledger made before migrations ({_named(differences[0])}, "
            f"{len(differences)} difference(s) in all): it cannot be migrated"
        )


def _named(difference: Any) -> str:
    """One difference Alembic found, e.g. ``add_column entries kind`` (a column's changes come as a list)."""
    step = difference[0] if isinstance(difference, list) else difference
    parts = [part if isinstance(part, str) else getattr(part, "name", None) for part in step[:4]]
    return " ".join(str(part) for part in parts if part)
