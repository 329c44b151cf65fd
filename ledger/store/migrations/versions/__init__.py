"""The revisions, oldest first: Alembic reads each file's ``revision`` and ``down_revision``."""
