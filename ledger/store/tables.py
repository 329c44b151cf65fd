"""The database tables (SQLModel): the log itself, its Merkle nodes and checkpoints, attachments, derived views.

Log tables (entries, merkle_nodes, checkpoints) are append-only; ``views`` is derived from the entries and can
be dropped and rebuilt (``traceledger reindex``). Constraints make a duplicate index, a duplicate event id or a
second checkpoint of one size impossible even when several processes write.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel


class LogHead(SQLModel, table=True):
    """One row: the sequencing lock (``SELECT ... FOR UPDATE``) and the log's current size."""

    __tablename__ = "log_head"
    id: int = Field(default=1, primary_key=True)
    size: int
    logged_at: str | None = None


class Entry(SQLModel, table=True):
    __tablename__ = "entries"
    leaf_index: int = Field(primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    kind: str = Field(max_length=32)
    subject: str = Field(max_length=200, index=True)  # a subject's history is read by this index
    actor: str = Field(max_length=32)
    time: str = Field(max_length=32)
    logged_at: str = Field(max_length=32)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MerkleNode(SQLModel, table=True):
    """The hash of the complete subtree over leaves [index·2^level, (index+1)·2^level)."""

    __tablename__ = "merkle_nodes"
    __table_args__ = {"sqlite_with_rowid": False}  # keyed by (level, index) alone: one B-tree, not two
    level: int = Field(primary_key=True)
    index: int = Field(primary_key=True)
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class CheckpointRow(SQLModel, table=True):
    __tablename__ = "checkpoints"
    size: int = Field(primary_key=True)
    root: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str
    signed_at: str = Field(max_length=32)


class AttachmentRow(SQLModel, table=True):
    """An attachment an entry committed to; ``content`` (salt || bytes) is absent until uploaded or once erased."""

    __tablename__ = "attachments"
    digest: str = Field(primary_key=True, max_length=71)
    leaf_index: int = Field(index=True)
    media_type: str = Field(max_length=255)
    size: int
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    erased_at: str | None = None


class ViewRowModel(SQLModel, table=True):
    """One row of a derived view: canonical JSON ``value`` under (view, key)."""

    __tablename__ = "views"
    __table_args__ = {"sqlite_with_rowid": False}  # keyed by (view, key) alone: one B-tree, not two
    view: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=200)
    value: str


metadata = SQLModel.metadata

# Core tables, for the bulk statements of the append path.
LOG_HEAD = metadata.tables["log_head"]
ENTRIES = metadata.tables["entries"]
NODES = metadata.tables["merkle_nodes"]
CHECKPOINTS = metadata.tables["checkpoints"]
ATTACHMENTS = metadata.tables["attachments"]
VIEWS = metadata.tables["views"]


class ScanRow(SQLModel, table=True):
    """A view of a product code on the verify portal, kept to spot copied codes; not a log event and not a view.

    Only what a warning needs: when, a coarse place (a city named by the edge, else the client's network), and a
    salted hash of the user agent. No IP address or other personal data; reindex and the audit never touch it.
    """

    __tablename__ = "scans"
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=200, index=True)
    scanned_at: str = Field(max_length=32)
    place: str = Field(max_length=64)
    agent: str = Field(max_length=64)


class CosignatureRow(SQLModel, table=True):
    """A witness's cosignature of the checkpoint of ``size``, stored only once it verified under that witness's key.

    ``witness`` is the witness's vkey (name, key id and public key), so each stored line can be verified again
    before it is served; ``signature`` is the line's bytes after the key id (u64 timestamp || Ed25519 signature).
    """

    __tablename__ = "cosignatures"
    size: int = Field(primary_key=True, foreign_key="checkpoints.size")
    witness: str = Field(primary_key=True, max_length=500)
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


COSIGNATURES = metadata.tables["cosignatures"]
