"""Where an audit reads a log from: the protocol a database or a remote tiles reader implements.

The auditor needs the log's entries in order, its checkpoints, a way to compare the nodes it rebuilt with the
nodes (or tiles) the source stores, and, where the source keeps them, the derived rows the replay must reproduce.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ledger.audit.findings import AuditReport, Finding
from ledger.log.merkle import NodeId


@dataclass(frozen=True)
class RawEntry:
    """An entry's bytes at its index, with the columns a database derived from them (to compare), if any: event
    id, leaf hash (bytes), kind, subject, actor, time and logged_at, in that order."""

    index: int
    data: bytes
    columns: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint note as stored; ``size``, ``root`` and ``signed_at`` are the stored columns (for a remote log,
    the note's own size and no other)."""

    size: int
    note: str
    root: bytes | None = None
    signed_at: str | None = None


@dataclass
class ReplayOutcome:
    """What the replay derived from the entries, for the source to compare with what it stores."""

    complete: bool  # the rules accepted every entry, so the derived rows are the log's
    read_all: bool  # every stored entry was read in order (no gap)
    size: int  # entries read
    last_logged_at: str | None  # the last entry's
    view_rows: dict[tuple[str, str], str] = field(default_factory=dict)  # (view, key) → stored form
    attachments: dict[str, tuple[int, str, int]] = field(default_factory=dict)  # digest → (index, media type, size)
    erasures: dict[str, tuple[int, str]] = field(default_factory=dict)  # digest → (erasure's index, its logged_at)


class NodeChecker(Protocol):
    """Compares the nodes the auditor rebuilds with the source's stored nodes or tiles, as they complete."""

    compared: int

    def add(self, completed: Sequence[tuple[NodeId, bytes]]) -> Iterable[Finding]: ...

    def finish(self, size: int) -> Iterable[Finding]: ...


class LogSource(Protocol):
    description: str

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every stored checkpoint by size (a remote log publishes only its latest)."""
        ...

    def entries(self) -> Generator[list[RawEntry], None, None]:
        """Every stored entry in index order, in chunks (a gap in the indices is for the auditor to find)."""
        ...

    def key_hints(self) -> Mapping[str, bytes]:
        """Public keys by kid the source offers to speed verification up: never trusted, only tried."""
        ...

    def node_checker(self) -> NodeChecker: ...

    def check_derived(self, outcome: ReplayOutcome, report: AuditReport) -> None:
        """Compare stored derived rows (views, attachments, the log head, cosignatures) with the replay's."""
        ...
