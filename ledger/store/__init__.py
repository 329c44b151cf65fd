"""Storage: tables, engines (SQLite, PostgreSQL), the schema's revision and its migrations (Alembic), batch
preparation in workers, the append transaction, views."""
