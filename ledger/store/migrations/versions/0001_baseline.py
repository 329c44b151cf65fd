"""The baseline: the tables of every ledger made before migrations existed, as ``metadata.create_all`` made them.

``BASELINE`` is a frozen copy of ``ledger/store/tables.py`` at that time (it must not follow later changes there):
the upgrade creates it, and ``traceledger migrate`` compares an unversioned ledger with it before stamping it.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

BASELINE = sa.MetaData()
sa.Table(  # the one row locked to sequence appends, with the log's size
    "log_head",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),  # the one row's id, not a sequence
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("logged_at", sa.String(), nullable=True),
)
sa.Table(  # the log: each entry's exact bytes, by leaf index
    "entries",
    BASELINE,
    sa.Column("leaf_index", sa.Integer(), primary_key=True),
    sa.Column("event_id", sa.String(64), nullable=False, unique=True),
    sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False, index=True),
    sa.Column("actor", sa.String(32), nullable=False),
    sa.Column("time", sa.String(32), nullable=False),
    sa.Column("logged_at", sa.String(32), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
)
sa.Table(  # the hash of each complete subtree, by (level, index)
    "merkle_nodes",
    BASELINE,
    sa.Column("level", sa.Integer(), primary_key=True),
    sa.Column("index", sa.Integer(), primary_key=True),
    sa.Column("hash", sa.LargeBinary(), nullable=False),
    sqlite_with_rowid=False,
)
sa.Table(  # each signed checkpoint, by tree size
    "checkpoints",
    BASELINE,
    sa.Column("size", sa.Integer(), primary_key=True),
    sa.Column("root", sa.LargeBinary(), nullable=False),
    sa.Column("note", sa.String(), nullable=False),
    sa.Column("signed_at", sa.String(32), nullable=False),
)
sa.Table(  # attachments the entries committed to; content absent until uploaded or once erased
    "attachments",
    BASELINE,
    sa.Column("digest", sa.String(71), primary_key=True),
    sa.Column("leaf_index", sa.Integer(), nullable=False, index=True),
    sa.Column("media_type", sa.String(255), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("content", sa.LargeBinary(), nullable=True),
    sa.Column("erased_at", sa.String(), nullable=True),
)
sa.Table(  # the derived views, which reindex rebuilds
    "views",
    BASELINE,
    sa.Column("view", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value", sa.String(), nullable=False),
    sqlite_with_rowid=False,
)
sa.Table(  # views of product codes on the portal (no log data)
    "scans",
    BASELINE,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("subject", sa.String(200), nullable=False, index=True),
    sa.Column("scanned_at", sa.String(32), nullable=False),
    sa.Column("place", sa.String(64), nullable=False),
    sa.Column("agent", sa.String(64), nullable=False),
)
sa.Table(  # witness cosignatures of checkpoints
    "cosignatures",
    BASELINE,
    sa.Column("size", sa.Integer(), sa.ForeignKey("checkpoints.size"), primary_key=True),
    sa.Column("witness", sa.String(500), primary_key=True),
    sa.Column("signature", sa.LargeBinary(), nullable=False),
)


def upgrade() -> None:
    BASELINE.create_all(op.get_bind())
