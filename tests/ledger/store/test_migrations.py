"""Schema migrations (Alembic) on SQLite and PostgreSQL: a ledger made by the previous schema is refused until
``migrate`` adopts it, then audits clean and takes appends; a new ledger is at the head; an unknown revision is too
new; the migrations make exactly the schema the tables define; the command line says each in one line."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select, text

from ledger.errors import LedgerStateError, SchemaOutdated, SchemaTooNew
from ledger.store import schema
from ledger.store.engine import make_engine, sqlite_url
from ledger.store.schema import OUTDATED, UNVERSIONED, alembic_config, head
from ledger.store.tables import metadata
from tests.ledger.audit.conftest import Audited, build
from tests.ledger.conftest import PASSPHRASE, LedgerFixture, create_ledger
from tests.servers import free_port
from tests.traceledger.test_cli import run
from traceledger.settings import Home


def previous_schema(path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch) -> LedgerFixture:
    """A new ledger made as before migrations: ``make_engine`` ran ``metadata.create_all`` and nothing recorded a
    revision (so that is ``Home.create``'s schema step here); its open ``Ledger`` appends like any other."""
    with monkeypatch.context() as before:
        before.setattr(schema, "create", metadata.create_all)
        return create_ledger(path, database_url)


def audited(fixture: LedgerFixture) -> Audited:
    home = fixture.home
    return Audited(home, home.database_url(), home.settings()["log_vkey"], {})


@contextmanager
def connected(url: str) -> Iterator[Connection]:
    """A connection to the database at ``url``, in a transaction committed at the end."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def stored(home: Home) -> dict[str, Any]:
    """Every row of every table, and the schema's revision."""
    with connected(home.database_url()) as conn:
        rows: dict[str, Any] = {
            table.name: conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in metadata.sorted_tables
        }
        rows["revision"] = schema.revision(conn)
        return rows


def differences(conn: Connection) -> list[Any]:
    """What Alembic's autogenerate would change to make the database's schema the tables' (server defaults too)."""
    found: list[Any] = compare_metadata(
        MigrationContext.configure(conn, opts={"compare_server_default": True}), metadata
    )
    return found


def test_a_ledger_of_the_previous_schema_is_refused_then_migrated_audited_and_appended_to(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture = previous_schema(tmp_path / "home", database_url, monkeypatch)
    build(fixture)  # every kind, attachments and witness cosignatures
    fixture.ledger.close()
    home = fixture.home
    before = stored(home)
    assert before.pop("revision") == UNVERSIONED
    for passphrase in (None, PASSPHRASE):
        with pytest.raises(SchemaOutdated, match=f"^{re.escape(OUTDATED)}$"):
            home.open(passphrase)

    assert home.migrate() == (UNVERSIONED, head())

    after = stored(home)
    assert after.pop("revision") == head()
    assert after == before  # the log, its views and all beside them as they were
    report = audited(fixture).audit()
    assert report.ok, report.findings
    ledger = home.open(PASSPHRASE)
    try:
        size = ledger.size()
        [result] = ledger.append([LedgerFixture(home, ledger, fixture.registrar).registration(7)])
        assert result.created
        assert (result.leaf_index, result.checkpoint_size) == (size, size + 1)
    finally:
        ledger.close()
    report = audited(fixture).audit()
    assert report.ok, report.findings


def test_a_new_ledger_is_at_the_head_with_its_version_beside_its_tables(
    tmp_path: Path, database_url: str | None
) -> None:
    fixture = create_ledger(tmp_path / "home", database_url)
    fixture.ledger.close()
    with connected(fixture.home.database_url()) as conn:
        assert schema.revision(conn) == head() == "0001"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]
        if database_url is not None:  # in the URL's search_path schema, beside the log
            where = conn.execute(text("SELECT current_schema()")).scalar_one()
            assert where.startswith("traceledger_test_")
            assert set(inspect(conn).get_table_names(schema=where)) == {*metadata.tables, "alembic_version"}
    fixture.home.open().close()


def test_migrating_twice_changes_nothing(tmp_path: Path, database_url: str | None) -> None:
    fixture = create_ledger(tmp_path / "home", database_url)
    fixture.ledger.close()
    before = stored(fixture.home)
    assert fixture.home.migrate() == (head(), head())
    assert fixture.home.migrate() == (head(), head())
    assert stored(fixture.home) == before


def test_a_revision_this_code_does_not_know_is_too_new(tmp_path: Path, database_url: str | None) -> None:
    fixture = create_ledger(tmp_path / "home", database_url)
    fixture.ledger.close()
    with connected(fixture.home.database_url()) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    for attempt in (fixture.home.open, lambda: fixture.home.open(PASSPHRASE), fixture.home.migrate):
        with pytest.raises(SchemaTooNew, match=r"^the ledger's schema \(revision f00d\) is newer than this"):
            attempt()
    with connected(fixture.home.database_url()) as conn:
        assert schema.revision(conn) == "f00d"


@pytest.mark.parametrize("made_by", ["upgrade from empty", "create_all, then migrate"])
def test_the_migrated_schema_is_the_one_the_tables_define(
    made_by: str, tmp_path: Path, database_url: str | None
) -> None:
    """Alembic's autogenerate finds nothing to change, and on SQLite every table and index is created by the same
    statement as ``metadata.create_all``'s (so the WITHOUT ROWID tables are so)."""
    url = database_url or sqlite_url(tmp_path / "migrated.db")
    if made_by == "upgrade from empty":
        with connected(url) as conn:
            command.upgrade(alembic_config(conn), "head")
    else:
        engine = make_engine(url)
        metadata.create_all(engine)
        assert schema.migrate(engine) == (UNVERSIONED, head())
        engine.dispose()
    with connected(url) as conn:
        assert schema.revision(conn) == head()
        assert differences(conn) == []
    if database_url is None:
        reference = sqlite_url(tmp_path / "created.db")
        with connected(reference) as conn:
            metadata.create_all(conn)
        statements = "SELECT type, name, sql FROM sqlite_master WHERE tbl_name != 'alembic_version' ORDER BY name"
        with connected(url) as migrated, connected(reference) as created:
            made = migrated.execute(text(statements)).all()
            assert made == created.execute(text(statements)).all()
            assert sum("WITHOUT ROWID" in sql for _, _, sql in made if sql) == 2


def test_an_unversioned_database_whose_tables_differ_is_not_adopted(tmp_path: Path, database_url: str | None) -> None:
    url = database_url or sqlite_url(tmp_path / "other.db")
    with connected(url) as conn:
        metadata.create_all(conn)
        conn.execute(text("DROP INDEX ix_entries_subject"))
    engine = make_engine(url)
    try:
        with pytest.raises(LedgerStateError, match=r"not those of a ledger made before migrations \(add_index "):
            schema.migrate(engine)
        with engine.connect() as conn:
            assert schema.revision(conn) == UNVERSIONED  # nothing stamped
    finally:
        engine.dispose()


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout
    [line] = result.stderr.splitlines()
    return line


def test_the_command_line_refuses_an_outdated_or_unknown_schema_in_one_line_and_migrates(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture = previous_schema(tmp_path / "home", database_url, monkeypatch)
    fixture.ledger.close()
    home = fixture.home.path
    where = ["--database-url", database_url] if database_url else []
    outdated = f"error: Ledger schema outdated: {OUTDATED}"
    assert one_line(run("checkpoint", *where, home=home, passphrase=PASSPHRASE)) == outdated
    assert one_line(run("serve", "--port", str(free_port()), *where, home=home, passphrase=PASSPHRASE)) == outdated

    migrated = run("migrate", *where, home=home)
    assert (migrated.returncode, migrated.stdout) == (
        0,
        f"migrated the ledger's schema from {UNVERSIONED} to 0001\n",
    )
    again = run("migrate", *where, home=home)
    assert (again.returncode, again.stdout) == (
        0,
        "the ledger's schema is at 0001 already: nothing to migrate\n",
    )

    with connected(fixture.home.database_url()) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    assert one_line(run("migrate", *where, home=home)) == (
        "error: Ledger schema too new: the ledger's schema (revision f00d) is newer than this traceledger: "
        "use the newer one that migrated it"
    )


def test_migrate_needs_a_ledger_and_makes_no_database_without_one(tmp_path: Path) -> None:
    with pytest.raises(LedgerStateError, match=r"^no ledger at .*: run `traceledger init` first$"):
        Home(tmp_path / "nowhere").migrate()
    assert not (tmp_path / "nowhere").exists()
