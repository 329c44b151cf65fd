"""Storage: tables, engines (SQLite, PostgreSQL), batch preparation in workers, the append transaction, views."""
