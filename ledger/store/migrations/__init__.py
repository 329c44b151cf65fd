"""The ledger database's migrations (Alembic), run by ``ledger.store.schema`` on the ledger's own connection.

``versions/0001_baseline.py`` is the schema of every ledger made before migrations existed. A later change to
``ledger/store/tables.py`` comes with the next revision in ``versions/``, written from ``script.py.mako``, e.g. by
``alembic.command.revision(schema.alembic_config(conn), "what changed", autogenerate=True)`` over a database at the
previous head. Revisions only upgrade: the log is kept forever, and no step of it is undone.
tests/ledger/store/test_migrations.py checks that the migrated schema is the one the tables define.
"""
