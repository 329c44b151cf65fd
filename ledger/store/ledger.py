"""The ledger: one append transaction that sequences, commits and checkpoints a batch, and the log's reads.

An append parses and verifies the batch first (no lock held), then in one transaction takes the log head lock,
drops events already logged, replays the rules, stores entries, Merkle nodes and view changes, and signs a
checkpoint proved consistent with the previous one. The commit is durable before ``append`` returns.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ledger.errors import (
    ConflictError,
    EventConflict,
    InvalidEventError,
    LedgerError,
    LedgerStateError,
    NotFound,
)
from ledger.events import LogEntry, ParsedEvent, canonical_json, check_clock, format_time, parse_envelope, parse_time
from ledger.log.checkpoint import Checkpoint, CheckpointSigner, open_checkpoint
from ledger.log.merkle import (
    EMPTY_ROOT,
    Frontier,
    NodeId,
    consistency_ranges,
    hash_ranges,
    inclusion_ranges,
    leaf_hash,
    nodes_for,
    root_from_nodes,
    root_nodes,
)
from ledger.rules import apply_event, introduced_keys, public_key_of
from ledger.rules.state import State
from ledger.store.engine import IMMEDIATE
from ledger.store.tables import AttachmentRow, CheckpointRow, Entry, LogHead, MerkleNode, ViewRowModel
from ledger.store.verify import BatchVerifier
from signer.note import NoteVerifier

ENTRIES = Entry.__table__
NODES = MerkleNode.__table__
CHECKPOINTS = CheckpointRow.__table__
HEAD = LogHead.__table__
VIEWS = ViewRowModel.__table__
ATTACHMENTS = AttachmentRow.__table__
MAX_BATCH = 1000


@dataclass(frozen=True)
class AppendResult:
    leaf_index: int
    event_id: str
    leaf_hash: bytes
    checkpoint_size: int
    created: bool  # False when the envelope was already in the log


@dataclass(frozen=True)
class StoredEntry:
    leaf_index: int
    event_id: str
    leaf_hash: bytes
    kind: str
    subject: str
    logged_at: str
    data: bytes


class _ViewReader:
    """Reads view rows through the connection of the current transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def load(self, view: str, key: str) -> dict[str, Any] | None:
        value = self._conn.execute(
            select(VIEWS.c.value).where(VIEWS.c.view == view, VIEWS.c.key == key)
        ).scalar_one_or_none()
        return None if value is None else dict(json.loads(value))


def _fetch_nodes(conn: Connection, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
    wanted = sorted(set(ids))
    found: dict[NodeId, bytes] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = conn.execute(
            select(NODES.c.level, NODES.c.index, NODES.c.hash).where(tuple_(NODES.c.level, NODES.c.index).in_(chunk))
        )
        found.update({(level, index): bytes(h) for level, index, h in rows})
    missing = set(wanted) - set(found)
    if missing:
        raise LedgerStateError(f"the Merkle node store lacks {len(missing)} node(s), e.g. {min(missing)}")
    return found


def _row_to_entry(row: Any) -> StoredEntry:
    return StoredEntry(
        row.leaf_index, row.event_id, bytes(row.leaf_hash), row.kind, row.subject, row.logged_at, bytes(row.data)
    )


class Ledger:
    """A transparency log of signed events over one database."""

    def __init__(
        self,
        engine: Engine,
        origin: str,
        log_verifier: NoteVerifier,
        checkpoint_signer: CheckpointSigner | None = None,
        verifier: BatchVerifier | None = None,
    ) -> None:
        self.engine = engine
        self.origin = origin
        self.log_verifier = log_verifier
        self._signer = checkpoint_signer
        self._verifier = verifier or BatchVerifier()
        self._append_lock = threading.Lock()  # one writer per process; the database serialises processes

    def close(self) -> None:
        self._verifier.close()
        self.engine.dispose()

    # ---- reads -------------------------------------------------------------------------------------------

    def size(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(CHECKPOINTS.c.size), 0))).scalar_one())

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        """The latest checkpoint (or the one of ``size``), verified under the log key before it is returned."""
        query = select(CHECKPOINTS.c.note)
        query = query.where(CHECKPOINTS.c.size == size) if size is not None else query.order_by(
            CHECKPOINTS.c.size.desc()
        ).limit(1)
        with self.engine.connect() as conn:
            note = conn.execute(query).scalar_one_or_none()
        if note is None:
            raise NotFound("no checkpoint has been signed" if size is None else f"no checkpoint of size {size}")
        return open_checkpoint(note, self.log_verifier, self.origin)

    def checkpoints(self) -> list[Checkpoint]:
        with self.engine.connect() as conn:
            notes = conn.execute(select(CHECKPOINTS.c.note).order_by(CHECKPOINTS.c.size)).scalars().all()
        return [open_checkpoint(note, self.log_verifier, self.origin) for note in notes]

    def entry(self, leaf_index: int) -> StoredEntry:
        with self.engine.connect() as conn:
            row = conn.execute(select(ENTRIES).where(ENTRIES.c.leaf_index == leaf_index)).one_or_none()
        if row is None:
            raise NotFound(f"no entry at index {leaf_index}")
        return _row_to_entry(row)

    def entry_by_event_id(self, event_id: str) -> StoredEntry:
        with self.engine.connect() as conn:
            row = conn.execute(select(ENTRIES).where(ENTRIES.c.event_id == event_id)).one_or_none()
        if row is None:
            raise NotFound(f"no event with id {event_id}")
        return _row_to_entry(row)

    def entries(self, start: int, end: int) -> list[StoredEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ENTRIES)
                .where(ENTRIES.c.leaf_index >= start, ENTRIES.c.leaf_index < end)
                .order_by(ENTRIES.c.leaf_index)
            ).all()
        return [_row_to_entry(row) for row in rows]

    def _checked_size(self, size: int | None) -> int:
        current = self.size()
        if size is None:
            return current
        if not 0 <= size <= current:
            raise NotFound(f"tree size {size} is beyond the latest checkpoint ({current})")
        return size

    def root(self, size: int | None = None) -> bytes:
        size = self._checked_size(size)
        with self.engine.connect() as conn:
            return root_from_nodes(size, _fetch_nodes(conn, root_nodes(size)))

    def inclusion_proof(self, leaf_index: int, size: int | None = None) -> list[bytes]:
        size = self._checked_size(size)
        if not 0 <= leaf_index < size:
            raise NotFound(f"no entry {leaf_index} in a tree of size {size}")
        ranges = inclusion_ranges(leaf_index, size)
        with self.engine.connect() as conn:
            return hash_ranges(ranges, _fetch_nodes(conn, nodes_for(ranges)))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self._checked_size(new_size)
        if not 0 <= old_size <= new_size:
            raise NotFound(f"no consistency proof from size {old_size} to size {new_size}")
        ranges = consistency_ranges(old_size, new_size)
        with self.engine.connect() as conn:
            return hash_ranges(ranges, _fetch_nodes(conn, nodes_for(ranges)))

    def public_keys(self, kids: Iterable[str]) -> dict[str, bytes]:
        with self.engine.connect() as conn:
            state = State(_ViewReader(conn))
            found = {kid: public_key_of(state, kid) for kid in set(kids)}
        return {kid: key for kid, key in found.items() if key is not None}

    # ---- the append transaction ---------------------------------------------------------------------------

    def append(self, submissions: Sequence[bytes | Mapping[str, Any]]) -> list[AppendResult]:
        """Append a batch atomically: every event is logged, or none is and the error names the first bad one."""
        if self._signer is None:
            raise LedgerStateError("this ledger was opened without the log key and cannot append")
        if not 0 < len(submissions) <= MAX_BATCH:
            raise InvalidEventError(f"a batch holds 1 to {MAX_BATCH} envelopes, not {len(submissions)}")
        events = [self._parse(position, s) for position, s in enumerate(submissions)]
        first_seen: dict[str, int] = {}
        for position, event in enumerate(events):
            if first_seen.setdefault(event.event_id, position) != position:
                raise InvalidEventError(f"event {event.event_id} appears twice in the batch").at(position)
        keys = self.public_keys(s.keyid for e in events for s in e.envelope.signatures)
        for position, event in enumerate(events):
            try:
                keys.update(introduced_keys(event))
            except LedgerError as exc:
                raise exc.at(position) from None
        self._verifier.verify(events, keys)
        with self._append_lock:
            try:
                return self._commit(events)
            except IntegrityError:
                # Another process committed the same event or index between our checks: nothing was stored.
                raise ConflictError("a concurrent append conflicted with this batch; retry it") from None

    @staticmethod
    def _parse(position: int, submission: bytes | Mapping[str, Any]) -> ParsedEvent:
        try:
            return parse_envelope(submission)
        except LedgerError as exc:
            raise exc.at(position) from None

    def _commit(self, events: Sequence[ParsedEvent]) -> list[AppendResult]:
        assert self._signer is not None
        with self.engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
            head = conn.execute(select(HEAD).where(HEAD.c.id == 1).with_for_update()).one_or_none()
            if head is None:
                conn.execute(insert(HEAD).values(id=1, size=0, logged_at=None))
                size, last_logged = 0, None
            else:
                size, last_logged = head.size, head.logged_at
            existing = self._existing(conn, events)
            fresh = [(p, e) for p, e in enumerate(events) if e.event_id not in existing]
            results: dict[int, AppendResult] = {p: existing[e.event_id] for p, e in enumerate(events)
                                                 if e.event_id in existing}
            if not fresh:
                return [results[p] for p in range(len(events))]
            now = datetime.now(UTC)
            logged_at = max(now, parse_time(last_logged, "logged_at")) if last_logged else now
            state = State(_ViewReader(conn))
            frontier = self._frontier(conn, size)
            new_nodes: dict[NodeId, bytes] = {}
            entry_rows: list[dict[str, Any]] = []
            attachment_rows: list[dict[str, Any]] = []
            for offset, (position, event) in enumerate(fresh):
                index = size + offset
                try:
                    check_clock(event.payload, logged_at)
                    apply_event(state, event, index, logged_at)
                except LedgerError as exc:
                    raise exc.at(position) from None
                entry = LogEntry.create(event, logged_at)
                leaf = leaf_hash(entry.data)
                new_nodes.update(frontier.append(leaf))
                entry_rows.append({
                    "leaf_index": index, "event_id": event.event_id, "leaf_hash": leaf,
                    "kind": event.payload.kind, "subject": event.payload.subject, "actor": event.payload.actor,
                    "time": event.payload.time, "logged_at": entry.logged_at, "data": entry.data,
                })
                attachment_rows.extend({"digest": a.digest, "leaf_index": index, "media_type": a.media_type,
                                        "size": a.size} for a in event.payload.attachments)
                results[position] = AppendResult(index, event.event_id, leaf, 0, created=True)
            new_size = frontier.size
            conn.execute(insert(ENTRIES), entry_rows)
            conn.execute(insert(NODES), [{"level": l, "index": i, "hash": h} for (l, i), h in new_nodes.items()])
            self._write_attachments(conn, attachment_rows)
            self._write_views(conn, state)
            checkpoint = self._sign_checkpoint(conn, new_size, frontier.root(), new_nodes)
            conn.execute(update(HEAD).where(HEAD.c.id == 1).values(
                size=new_size, logged_at=format_time(logged_at, milliseconds=True)))
        return [
            AppendResult(r.leaf_index, r.event_id, r.leaf_hash, checkpoint.size if r.created else r.checkpoint_size,
                         r.created)
            for r in (results[p] for p in range(len(events)))
        ]

    @staticmethod
    def _frontier(conn: Connection, size: int) -> Frontier:
        nodes = _fetch_nodes(conn, root_nodes(size))
        return Frontier(size, [nodes[node] for node in root_nodes(size)])

    @staticmethod
    def _existing(conn: Connection, events: Sequence[ParsedEvent]) -> dict[str, AppendResult]:
        """Events already logged: the same envelope is answered with its entry; a different one is a conflict."""
        rows = conn.execute(
            select(ENTRIES).where(ENTRIES.c.event_id.in_([e.event_id for e in events]))
        ).all()
        if not rows:
            return {}
        size = conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one()
        by_id = {row.event_id: row for row in rows}
        found: dict[str, AppendResult] = {}
        for position, event in enumerate(events):
            row = by_id.get(event.event_id)
            if row is None:
                continue
            logged = LogEntry.parse(bytes(row.data)).event.envelope_json
            if canonical_json(logged) != canonical_json(event.envelope_json):
                raise EventConflict(
                    f"event {event.event_id} is already logged at index {row.leaf_index} with other signatures"
                ).at(position)
            found[event.event_id] = AppendResult(row.leaf_index, row.event_id, bytes(row.leaf_hash), size, False)
        return found

    @staticmethod
    def _write_attachments(conn: Connection, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        known = set(conn.execute(
            select(ATTACHMENTS.c.digest).where(ATTACHMENTS.c.digest.in_([r["digest"] for r in rows]))
        ).scalars())
        fresh = {r["digest"]: r for r in rows if r["digest"] not in known}
        if fresh:
            conn.execute(insert(ATTACHMENTS), list(fresh.values()))

    @staticmethod
    def _write_views(conn: Connection, state: State) -> None:
        changes = state.take_changes()
        if not changes:
            return
        rows = sorted(changes)
        for start in range(0, len(rows), 500):
            conn.execute(delete(VIEWS).where(tuple_(VIEWS.c.view, VIEWS.c.key).in_(rows[start : start + 500])))
        values = [{"view": v, "key": k, "value": canonical_json(changes[(v, k)]).decode()}
                  for v, k in rows if changes[(v, k)] is not None]
        if values:
            conn.execute(insert(VIEWS), values)

    def _sign_checkpoint(
        self, conn: Connection, size: int, root: bytes, new_nodes: Mapping[NodeId, bytes]
    ) -> Checkpoint:
        """Sign (size, root) once it is proved consistent with the latest stored checkpoint."""
        assert self._signer is not None
        note = conn.execute(
            select(CHECKPOINTS.c.note).order_by(CHECKPOINTS.c.size.desc()).limit(1)
        ).scalar_one_or_none()
        self._signer.last = open_checkpoint(note, self.log_verifier, self.origin) if note else None
        old_size = self._signer.last.size if self._signer.last else 0
        ranges = consistency_ranges(old_size, size) if old_size else []
        needed = nodes_for(ranges)
        nodes = dict(new_nodes)
        nodes.update(_fetch_nodes(conn, needed - set(new_nodes)))
        checkpoint = self._signer.sign(size, root, hash_ranges(ranges, nodes))
        conn.execute(insert(CHECKPOINTS).values(
            size=size, root=root, note=checkpoint.note, signed_at=format_time(datetime.now(UTC), milliseconds=True)))
        return checkpoint
