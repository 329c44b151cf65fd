"""The ledger: one append transaction that sequences, commits and checkpoints a batch, and the log's reads.

An append parses and verifies the batch first (no lock held), then in one transaction takes the log head lock,
drops events already logged, replays the rules, stores entries, Merkle nodes and view changes, and signs a
checkpoint proved consistent with the previous one. The commit is durable before ``append`` returns.

Small batches (a single event, the API's usual request) are committed in groups (``ledger.store.sequencer``):
concurrent appends share one transaction, one fsync and one checkpoint, and each still gets its own answer.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

from sqlalchemy import Engine, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from ledger.errors import (
    ConflictError,
    EventConflict,
    InsufficientStorage,
    InvalidEventError,
    LedgerError,
    LedgerStateError,
    NotFound,
)
from ledger.events import LogEntry, ParsedEvent, envelope_identity, log_time, parse_time
from ledger.events.schemas import AttachmentErasure
from ledger.log.checkpoint import Checkpoint, CheckpointSigner, open_checkpoint
from ledger.log.merkle import (
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
from ledger.rules import apply_event, authenticate, prefetch
from ledger.rules.state import State, ViewRow
from ledger.rules.views import EVENTS, View
from ledger.store.engine import IMMEDIATE, out_of_space, storing
from ledger.store.high_water import HighWater
from ledger.store.prepare import CHUNK, BatchPreparer, PreparedChunk, Submission
from ledger.store.sequencer import Finish, Request, Sequencer
from ledger.store.tables import ATTACHMENTS, CHECKPOINTS, ENTRIES, NODES, VIEWS
from ledger.store.tables import LOG_HEAD as HEAD
from ledger.store.views import ConnectionViewReader, insert_rows, write_changes
from signer.note import NoteVerifier

MAX_BATCH = 1000
_LOOKUP_CHUNK = 500  # event ids looked up in one query
# Batches below this size are prepared in the caller's thread (BatchPreparer does so) and committed in groups of
# up to MAX_BATCH events, gathered for GROUP_LINGER seconds; larger ones already fill a transaction of their own.
GROUPED_BELOW = 2 * CHUNK
GROUP_LINGER = 0.002
PARSED_ENTRIES = 8192  # parsed entries kept (a few MB): the histories of the codes being scanned
R = TypeVar("R")  # a view's row type


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

    def parsed(self) -> LogEntry:
        """The entry parsed, once per process for each stored entry: its bytes were validated when they were
        logged, and every page and bundle showing it reads it again (the cache is keyed by the bytes, so an
        entry changed in the database is parsed anew). The parsed entry is shared: read it, never change it."""
        return _parsed(self.data)


_parsed = functools.lru_cache(maxsize=PARSED_ENTRIES)(LogEntry.parse)


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


def _failing(error: LedgerError) -> Iterator[PreparedChunk]:
    raise error
    yield  # a generator: the error surfaces when the batch is consumed


_ENTRY_COLUMNS = ("leaf_index", "event_id", "leaf_hash", "kind", "subject", "actor", "time", "logged_at", "data")


class _Prepared:
    """A batch's prepared chunks as they arrive, kept in ``taken`` for a second decision; ``failed`` once
    preparing them raised (a bad envelope or signature, which deciding again cannot change)."""

    def __init__(self, chunks: Iterator[PreparedChunk], taken: list[PreparedChunk]) -> None:
        self._chunks = chunks
        self._taken = taken
        self.failed = False

    def __iter__(self) -> Iterator[PreparedChunk]:
        return self

    def __next__(self) -> PreparedChunk:
        try:
            chunk = next(self._chunks)
        except StopIteration:
            raise
        except BaseException:
            self.failed = True
            raise
        self._taken.append(chunk)
        return chunk


_Batch = Request[list[PreparedChunk], list[AppendResult]]  # a small batch, prepared, waiting in a group


@dataclass(frozen=True)
class _Head:
    """The log as an append transaction finds it, under the head lock."""

    size: int
    frontier: dict[NodeId, bytes]  # the hashes of root_nodes(size)
    logged_at: datetime  # the time this transaction's entries are logged at (never before the last ones)


class _BatchWriter:
    """One append transaction's work: decide each event as its chunk arrives, then write every row at once.

    Rows are written together at the end rather than per chunk: the SQLite driver releases the GIL for each row,
    and while workers' results are arriving that turns into a convoy behind the executor's result thread.
    A transaction may hold several batches (a group commit): each is decided in turn with ``add_batch``.
    """

    def __init__(self, ledger: Ledger, conn: Connection, head: _Head, *, careful: bool) -> None:
        self.ledger = ledger
        self.conn = conn
        self.size = head.size
        self.careful = careful  # look for events already logged before deciding (see Ledger._commit)
        self.logged_at = head.logged_at
        self.stamp = log_time(head.logged_at)
        self.state = State(ConnectionViewReader(conn))
        self.frontier = Frontier(head.size, [head.frontier[node] for node in root_nodes(head.size)])
        # The old frontier and every node this transaction completes: what the checkpoint's proofs are made of.
        self.nodes: dict[NodeId, bytes] = dict(head.frontier)
        self.first_seen: dict[str, int] = {}  # the batch being decided: each event's position in it
        self.results: dict[int, AppendResult] = {}
        self.earlier: dict[str, tuple[bytes, AppendResult]] = {}  # events of batches decided before in this group
        self.entries: list[tuple[Any, ...]] = []  # rows in _ENTRY_COLUMNS order
        self.node_rows: list[tuple[int, int, bytes]] = []
        self.attachments: list[dict[str, Any]] = []
        self.erasures: list[str] = []  # digests whose content an erasure event in this batch removes

    def add(self, chunk: PreparedChunk) -> None:
        prefetch(self.state, chunk.events, chunk.rows)
        existing: dict[str, AppendResult] = {}
        if self.careful:
            self.state.prefetch((EVENTS, e.event_id) for e in chunk.events)
            logged = [e for e in chunk.events if self.state.get(EVENTS, e.event_id) is not None]
            existing = self.ledger._existing(self.conn, chunk, logged, self.size) if logged else {}
        unverified: dict[int, list[int]] = {}
        for position, number in chunk.unverified:
            unverified.setdefault(position, []).append(number)
        for position, event in enumerate(chunk.events, start=chunk.start):
            if self.first_seen.setdefault(event.event_id, position) != position:
                raise InvalidEventError(f"event {event.event_id} appears twice in the batch").at(position)
            if event.event_id in existing:
                self.results[position] = existing[event.event_id]
                continue
            if event.event_id in self.earlier:  # sent concurrently by another client: answered as a replay
                self.results[position] = self._sent_twice(event, position)
                continue
            index = self.frontier.size
            try:
                if position in unverified:  # keys the worker did not know yet: this batch's, or a racing writer's
                    late = unverified[position]
                    authenticate(self.state, event, [n for n in range(len(event.envelope.signatures)) if n not in late])
                apply_event(self.state, event, index, self.logged_at)
            except LedgerError as exc:
                raise exc.at(position) from None
            entry = LogEntry.create(event, self.stamp)
            leaf = leaf_hash(entry.data)
            for (level, node_index), node in self.frontier.append(leaf):
                self.nodes[(level, node_index)] = node
                self.node_rows.append((level, node_index, node))
            payload = event.payload
            self.entries.append((
                index, event.event_id, leaf, payload.kind, payload.subject, payload.actor, payload.time,
                entry.logged_at, entry.data,
            ))  # fmt: skip
            self.attachments.extend(
                {"digest": a.digest, "leaf_index": index, "media_type": a.media_type, "size": a.size}
                for a in payload.attachments
            )
            if isinstance(event.data, AttachmentErasure):
                self.erasures.append(event.data.digest)
            self.results[position] = AppendResult(index, event.event_id, leaf, 0, created=True)

    def _sent_twice(self, event: ParsedEvent, position: int) -> AppendResult:
        envelope, result = self.earlier[event.event_id]
        if envelope != event.envelope_bytes:
            raise EventConflict(
                f"event {event.event_id} is being logged at index {result.leaf_index} with other signatures"
            ).at(position)
        return replace(result, created=False)  # its checkpoint size, like the first's, is this transaction's

    def add_batch(self, batch: _Batch) -> list[AppendResult]:
        """Decide one batch of a group after the ones before it; its results await the checkpoint's size."""
        self.first_seen, self.results = {}, {}
        for chunk in batch.work:
            self.add(chunk)
        results = [self.results[p] for p in range(batch.size)]
        for chunk in batch.work:
            for position, event in enumerate(chunk.events, start=chunk.start):
                if results[position].created:
                    self.earlier[event.event_id] = (event.envelope_bytes, results[position])
        return results

    def write(self) -> None:
        if self.entries:
            insert_rows(self.conn, ENTRIES, _ENTRY_COLUMNS, self.entries)
            insert_rows(self.conn, NODES, ("level", "index", "hash"), self.node_rows)
            self.ledger._write_attachments(self.conn, self.attachments)
            if self.erasures:  # the content goes in the transaction that logs its erasure, stamped with its time
                self.conn.execute(
                    update(ATTACHMENTS)
                    .where(ATTACHMENTS.c.digest.in_(self.erasures))
                    .values(content=None, erased_at=self.stamp)
                )
            write_changes(self.conn, self.state)


class LogReads:
    """The log's reads, each through ``reading()``: on the ``Ledger`` a connection of its own per read, on a
    ``Snapshot`` the one read transaction of a request, so that everything a page shows is of one state."""

    origin: str
    log_verifier: NoteVerifier

    def reading(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def size(self) -> int:
        with self.reading() as conn:
            return int(conn.execute(select(func.coalesce(func.max(CHECKPOINTS.c.size), 0))).scalar_one())

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        """The latest checkpoint (or the one of ``size``), verified under the log key before it is returned."""
        query = select(CHECKPOINTS.c.note)
        query = (
            query.where(CHECKPOINTS.c.size == size)
            if size is not None
            else query.order_by(CHECKPOINTS.c.size.desc()).limit(1)
        )
        with self.reading() as conn:
            note = conn.execute(query).scalar_one_or_none()
        if note is None:
            raise NotFound("no checkpoint has been signed" if size is None else f"no checkpoint of size {size}")
        return open_checkpoint(note, self.log_verifier, self.origin)

    def checkpoints(self) -> list[Checkpoint]:
        with self.reading() as conn:
            notes = conn.execute(select(CHECKPOINTS.c.note).order_by(CHECKPOINTS.c.size)).scalars().all()
        return [open_checkpoint(note, self.log_verifier, self.origin) for note in notes]

    def entry(self, leaf_index: int) -> StoredEntry:
        with self.reading() as conn:
            row = conn.execute(select(ENTRIES).where(ENTRIES.c.leaf_index == leaf_index)).one_or_none()
        if row is None:
            raise NotFound(f"no entry at index {leaf_index}")
        return _row_to_entry(row)

    def entry_by_event_id(self, event_id: str) -> StoredEntry:
        with self.reading() as conn:
            row = conn.execute(select(ENTRIES).where(ENTRIES.c.event_id == event_id)).one_or_none()
        if row is None:
            raise NotFound(f"no event with id {event_id}")
        return _row_to_entry(row)

    def entries(self, start: int, end: int) -> list[StoredEntry]:
        with self.reading() as conn:
            rows = conn.execute(
                select(ENTRIES)
                .where(ENTRIES.c.leaf_index >= start, ENTRIES.c.leaf_index < end)
                .order_by(ENTRIES.c.leaf_index)
            ).all()
        return [_row_to_entry(row) for row in rows]

    def entries_about(self, subjects: Sequence[str], under: str | None = None) -> list[StoredEntry]:
        """Entries whose subject is one of ``subjects`` or, with ``under``, starts with ``under`` (in log order)."""
        condition: ColumnElement[bool] = ENTRIES.c.subject.in_(list(subjects))
        if under is not None:
            condition = or_(condition, ENTRIES.c.subject.startswith(under, autoescape=True))
        with self.reading() as conn:
            rows = conn.execute(select(ENTRIES).where(condition).order_by(ENTRIES.c.leaf_index)).all()
        return [_row_to_entry(row) for row in rows]

    def node_hashes(self, level: int, start: int, end: int) -> list[bytes]:
        """Hashes of the complete subtrees at ``level`` with indices [start, end), all of which must exist."""
        with self.reading() as conn:
            rows = conn.execute(
                select(NODES.c.index, NODES.c.hash)
                .where(NODES.c.level == level, NODES.c.index >= start, NODES.c.index < end)
                .order_by(NODES.c.index)
            ).all()
        if [index for index, _ in rows] != list(range(start, end)):
            raise NotFound(f"the tree has no complete nodes {start}..{end - 1} at level {level}")
        return [bytes(h) for _, h in rows]

    # A View is also its name: a typed view gives its row type, a name given as a plain string a plain dict.
    @overload
    def view(self, name: View[R], key: str) -> R | None: ...  # type: ignore[overload-overlap]

    @overload
    def view(self, name: str, key: str) -> dict[str, Any] | None: ...

    def view(self, name: str, key: str) -> Any:
        """One row of a derived view (see ``ledger.rules.views``), or None."""
        with self.reading() as conn:
            return ConnectionViewReader(conn).load(name, key)

    def view_rows(self, view: View[R], keys: Iterable[str]) -> dict[str, R]:
        """Many rows of one view at once, by key (absent ones are left out), in one query per 500 keys."""
        with self.reading() as conn:
            found: dict[ViewRow, Any] = ConnectionViewReader(conn).load_many((view, key) for key in keys)
        return {key: row for (_, key), row in found.items()}

    def entries_by_event_ids(self, event_ids: Iterable[str]) -> list[StoredEntry]:
        """The entries of these events, in log order (unknown ids are left out)."""
        ids = sorted(set(event_ids))
        with self.reading() as conn:
            rows = [
                row
                for start in range(0, len(ids), 500)
                for row in conn.execute(select(ENTRIES).where(ENTRIES.c.event_id.in_(ids[start : start + 500])))
            ]
        return sorted((_row_to_entry(row) for row in rows), key=lambda e: e.leaf_index)

    def _checked_size(self, size: int | None) -> int:
        current = self.size()
        if size is None:
            return current
        if not 0 <= size <= current:
            raise NotFound(f"tree size {size} is beyond the latest checkpoint ({current})")
        return size

    def root(self, size: int | None = None) -> bytes:
        size = self._checked_size(size)
        with self.reading() as conn:
            return root_from_nodes(size, _fetch_nodes(conn, root_nodes(size)))

    def inclusion_proof(self, leaf_index: int, size: int | None = None) -> list[bytes]:
        return self.inclusion_proofs([leaf_index], size)[leaf_index]

    def inclusion_proofs(self, leaf_indices: Iterable[int], size: int | None = None) -> dict[int, list[bytes]]:
        """Inclusion proofs of several entries in one tree, from one fetch of all the nodes they need."""
        size = self._checked_size(size)
        ranges: dict[int, list[tuple[int, int]]] = {}
        for leaf_index in leaf_indices:
            if not 0 <= leaf_index < size:
                raise NotFound(f"no entry {leaf_index} in a tree of size {size}")
            ranges[leaf_index] = inclusion_ranges(leaf_index, size)
        with self.reading() as conn:
            nodes = _fetch_nodes(conn, nodes_for(r for each in ranges.values() for r in each))
        return {leaf_index: hash_ranges(each, nodes) for leaf_index, each in ranges.items()}

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self._checked_size(new_size)
        if not 0 <= old_size <= new_size:
            raise NotFound(f"no consistency proof from size {old_size} to size {new_size}")
        ranges = consistency_ranges(old_size, new_size)
        with self.reading() as conn:
            return hash_ranges(ranges, _fetch_nodes(conn, nodes_for(ranges)))

    def views(self) -> dict[tuple[str, str], str]:
        """Every derived view row, as stored (canonical JSON), for comparisons."""
        with self.reading() as conn:
            return {(v, k): value for v, k, value in conn.execute(select(VIEWS.c.view, VIEWS.c.key, VIEWS.c.value))}


class Snapshot(LogReads):
    """One read-only transaction of the log (SQLite WAL's snapshot, PostgreSQL's REPEATABLE READ): every read sees
    the state the first one saw, whatever is appended meanwhile. Made by ``Ledger.snapshot``.

    Since that state cannot change, what a snapshot has read it keeps: the size, view rows (absent ones too) and
    entries by event id, so a page and its bundle asking for the same key, the same actor, read it once.
    """

    def __init__(self, ledger: Ledger, conn: Connection) -> None:
        self.ledger = ledger
        self.origin = ledger.origin
        self.log_verifier = ledger.log_verifier
        self._conn = conn
        self._size: int | None = None
        self._rows: dict[ViewRow, Any] = {}  # None for a row known to be absent
        self._entries: dict[str, StoredEntry | None] = {}

    def reading(self) -> AbstractContextManager[Connection]:
        return nullcontext(self._conn)

    def size(self) -> int:
        if self._size is None:
            self._size = super().size()
        return self._size

    def view(self, name: str, key: str) -> Any:
        return self.view_rows(View(name), [key]).get(key)

    def view_rows(self, view: View[R], keys: Iterable[str]) -> dict[str, R]:
        keys = list(keys)
        missing = [key for key in dict.fromkeys(keys) if (view, key) not in self._rows]
        if missing:
            found = super().view_rows(view, missing)
            self._rows.update(((view, key), found.get(key)) for key in missing)
        return {key: row for key in keys if (row := self._rows[(view, key)]) is not None}

    def entries_by_event_ids(self, event_ids: Iterable[str]) -> list[StoredEntry]:
        ids = set(event_ids)
        missing = ids - self._entries.keys()
        if missing:
            found = {entry.event_id: entry for entry in super().entries_by_event_ids(missing)}
            self._entries.update((event_id, found.get(event_id)) for event_id in missing)
        entries = (entry for event_id in ids if (entry := self._entries[event_id]) is not None)
        return sorted(entries, key=lambda e: e.leaf_index)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger(LogReads):
    """A transparency log of signed events over one database."""

    def __init__(
        self,
        engine: Engine,
        origin: str,
        log_verifier: NoteVerifier,
        checkpoint_signer: CheckpointSigner | None = None,
        preparer: BatchPreparer | None = None,
        high_water: HighWater | None = None,
    ) -> None:
        self.engine = engine
        self.origin = origin
        self.log_verifier = log_verifier
        self._signer = checkpoint_signer
        self._preparer = preparer or BatchPreparer(engine)
        self._high_water = high_water  # every new checkpoint must extend it (see ledger.store.high_water)
        self.clock: Callable[[], datetime] = _utc_now  # what "now" is when entries are logged (tests move it on)
        self._append_lock = threading.Lock()  # one writer per process; the database serialises processes
        self._sequencer = Sequencer(self._commit_group, linger=GROUP_LINGER, max_events=MAX_BATCH)

    def close(self) -> None:
        self._preparer.close()
        self.engine.dispose()

    def reading(self) -> AbstractContextManager[Connection]:
        return self.engine.connect()

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """A read-only snapshot of the log for the block (see ``Snapshot``)."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":  # SQLite's read transaction is a snapshot already (WAL)
                conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield Snapshot(self, conn)

    # ---- derived views ---------------------------------------------------------------------------------

    def reindex(self) -> int:
        """Drop the derived views and rebuild them by replaying every entry through the rules; returns the count."""
        with self._append_lock, self.engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
            conn.execute(select(HEAD).where(HEAD.c.id == 1).with_for_update())
            conn.execute(delete(VIEWS))
            state = State()
            size = int(conn.execute(select(func.count()).select_from(ENTRIES)).scalar_one())
            for start in range(0, size, 1000):
                rows = conn.execute(
                    select(ENTRIES.c.leaf_index, ENTRIES.c.data)
                    .where(ENTRIES.c.leaf_index >= start, ENTRIES.c.leaf_index < start + 1000)
                    .order_by(ENTRIES.c.leaf_index)
                ).all()
                for index, data in rows:
                    entry = LogEntry.parse(bytes(data))
                    try:
                        apply_event(state, entry.event, index, entry.logged_moment)
                    except LedgerError as exc:
                        raise LedgerStateError(f"entry {index} no longer passes the rules: {exc.detail}") from None
            write_changes(conn, state)
        return size

    # ---- the append transaction ---------------------------------------------------------------------------

    def check_high_water(self) -> None:
        """Refuse a database whose tree does not extend the high-water checkpoint; record its latest checkpoint."""
        if self._high_water is None:
            return
        with self.engine.connect() as conn:
            head = conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one_or_none() or 0
            root = root_from_nodes(head, _fetch_nodes(conn, root_nodes(head)))
            self._high_water.require_extended(head, root, lambda old: self._proof(conn, old, head, {}))
        if head:
            self._high_water.record(self.checkpoint())

    def append(self, submissions: Sequence[Submission]) -> list[AppendResult]:
        """Append a batch atomically: every event is logged, or none is and the error names the first bad one.

        A small batch waits a moment for concurrent ones and is committed with them (see the module docstring).
        """
        self._require_signer()
        started = self._start(submissions)
        if isinstance(started, list):
            return started  # logged before: nothing to prepare or commit
        if len(submissions) >= GROUPED_BELOW:
            return self._commit_alone(started, len(submissions))
        chunks = list(started)  # prepared already: a bad envelope or signature fails here, alone
        return self._sequencer.run(Request(chunks, len(submissions)))

    def append_batches(self, batches: Iterable[Sequence[Submission]]) -> Iterator[list[AppendResult]]:
        """Append batches one transaction each, preparing the next batch while the current one commits.

        Each batch is atomic on its own; an error in one stops the stream after the batches before it.
        """
        self._require_signer()
        pending = iter(batches)
        current = next(pending, None)
        upcoming = self._start(current) if current is not None else None
        while current is not None and upcoming is not None:
            started = upcoming
            following = next(pending, None)
            upcoming = self._start(following) if following is not None else None
            yield started if isinstance(started, list) else self._commit_alone(started, len(current))
            current = following

    def _require_signer(self) -> None:
        if self._signer is None:
            raise LedgerStateError("this ledger was opened without the log key and cannot append")

    def _commit_alone(self, chunks: Iterator[PreparedChunk], count: int) -> list[AppendResult]:
        """Commit one batch in a transaction of its own."""
        with self._append_lock, storing("the batch"):
            return self._commit_or_conflict(chunks, count)

    def _commit_or_conflict(self, chunks: Iterator[PreparedChunk], count: int) -> list[AppendResult]:
        try:
            return self._commit(chunks, count)
        except (IntegrityError, self.engine.dialect.loaded_dbapi.IntegrityError):
            # A constraint refused the batch (another writer logged the same event, index or custody spend
            # first); the transaction rolled back, so nothing was stored.
            raise ConflictError("the database refused this batch as conflicting with the log") from None

    def _commit_group(self, group: Sequence[_Batch]) -> Finish:
        """The sequencer's commit: the group in one transaction; a batch its rules refuse is decided again on its
        own afterwards (to be answered from the log if it was logged before, or refused with its own error). The
        group's high-water record and answers are left to the returned step, which runs beside the next group."""
        logged: list[tuple[_Batch, list[AppendResult]]] = []
        checkpoint: Checkpoint | None = None
        with self._append_lock, storing("the batch"):
            try:
                refused, logged, checkpoint = self._commit_together(group)
            except (IntegrityError, self.engine.dialect.loaded_dbapi.IntegrityError):
                refused = list(group)  # rolled back: each batch alone says which one conflicts
            for batch in refused:
                try:
                    batch.settle(self._commit_or_conflict(iter(batch.work), batch.size))
                except LedgerError as exc:
                    batch.settle(error=exc)

        def finish() -> None:
            if checkpoint is not None:
                self._after_commit(checkpoint)
            for batch, results in logged:
                batch.settle(results)

        return finish

    def _commit_together(
        self, group: Sequence[_Batch]
    ) -> tuple[list[_Batch], list[tuple[_Batch, list[AppendResult]]], Checkpoint | None]:
        """Decide and commit the group's batches in one transaction: returns those the rules refused, the others
        with their results, and the checkpoint signed (None when every batch was refused)."""
        refused: list[_Batch] = []
        admitted = list(group)
        with self.engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
            head = self._head(conn)
            while True:  # decide them all; again, without it, when the rules refuse one
                writer = _BatchWriter(self, conn, head, careful=False)
                results: list[list[AppendResult]] = []
                for batch in admitted:
                    try:
                        results.append(writer.add_batch(batch))
                    except LedgerError:
                        admitted.remove(batch)
                        refused.append(batch)
                        break
                else:
                    break
            if not admitted:
                return refused, [], None
            checkpoint = self._seal(conn, writer)
        answers = [self._logged_in(r, checkpoint) for r in results]
        return refused, list(zip(admitted, answers, strict=True)), checkpoint

    def _start(self, submissions: Sequence[Submission]) -> Iterator[PreparedChunk] | list[AppendResult]:
        """Start preparing a batch, or answer it at once when it was logged before; a batch of the wrong size
        fails when its turn to commit comes."""
        if not 0 < len(submissions) <= MAX_BATCH:
            return _failing(InvalidEventError(f"a batch holds 1 to {MAX_BATCH} envelopes, not {len(submissions)}"))
        replayed = self._replayed(submissions)
        if replayed is not None:
            return replayed
        return self._preparer.prepare(submissions)

    def _replayed(self, submissions: Sequence[Submission]) -> list[AppendResult] | None:
        """The entries of a batch logged before envelope for envelope (a client retrying), or None.

        Batches are atomic, so a retried batch was logged whole or not at all. Recognising it takes a hash of each
        payload (its event id) and a look at the entries, never a signature check: the log verified these very
        envelope bytes when it stored them. The first envelope is looked up alone, so that a new batch, the usual
        case, costs one lookup. Anything else (a new, changed, repeated or malformed envelope) is prepared and
        decided as usual, and answered as usual.
        """
        count = len(submissions)
        parts = [(0, 1), *((start, min(start + _LOOKUP_CHUNK, count)) for start in range(1, count, _LOOKUP_CHUNK))]
        found: list[tuple[int, str, bytes]] = []
        with self.engine.connect() as conn:
            for start, end in parts:
                logged = self._logged_envelopes(conn, submissions[start:end])
                if logged is None:
                    return None
                found.extend(logged)
            size = int(conn.execute(select(func.max(CHECKPOINTS.c.size))).scalar_one())
        if len({event_id for _, event_id, _ in found}) != count:
            return None  # an envelope given twice: the usual path says which
        return [AppendResult(index, event_id, leaf, size, created=False) for index, event_id, leaf in found]

    @staticmethod
    def _logged_envelopes(conn: Connection, submissions: Sequence[Submission]) -> list[tuple[int, str, bytes]] | None:
        """(index, event id, leaf hash) of the entries holding exactly these envelopes, or None unless all do."""
        try:
            identities = [envelope_identity(s) for s in submissions]
        except LedgerError:
            return None
        columns = (ENTRIES.c.event_id, ENTRIES.c.leaf_index, ENTRIES.c.leaf_hash, ENTRIES.c.data)
        query = select(*columns).where(ENTRIES.c.event_id.in_([event_id for event_id, _ in identities]))
        rows = {row.event_id: row for row in conn.execute(query)}
        logged: list[tuple[int, str, bytes]] = []
        for event_id, prefix in identities:
            row = rows.get(event_id)
            if row is None or not bytes(row.data).startswith(prefix):  # new, or the same event otherwise signed
                return None
            logged.append((row.leaf_index, event_id, bytes(row.leaf_hash)))
        return logged

    def _commit(self, chunks: Iterator[PreparedChunk], count: int) -> list[AppendResult]:
        """Sequence and store the batch as its chunks arrive parsed and verified; commit once at the end.

        Events submitted again are rare, so a batch is first decided without looking each event up among the logged
        ones: an event logged before then fails its rules (its custody head is spent, its batch exists...) or the
        entries' unique event id. Only then is the batch decided again, carefully, answering such events with their
        entries. A batch that fails in preparation (parsing, signatures) fails at once.
        """
        taken: list[PreparedChunk] = []
        prepared = _Prepared(chunks, taken)
        try:
            return self._commit_once(prepared, count, careful=False)
        except (LedgerError, IntegrityError, self.engine.dialect.loaded_dbapi.IntegrityError):
            if prepared.failed:
                raise
        return self._commit_once(itertools.chain(taken, prepared), count, careful=True)

    def _commit_once(self, chunks: Iterable[PreparedChunk], count: int, *, careful: bool) -> list[AppendResult]:
        with self.engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
            writer = _BatchWriter(self, conn, self._head(conn), careful=careful)
            for chunk in chunks:
                writer.add(chunk)
            results = [writer.results[p] for p in range(count)]
            if writer.frontier.size == writer.size:
                return results  # every event was already logged
            checkpoint = self._seal(conn, writer)
        self._after_commit(checkpoint)
        return self._logged_in(results, checkpoint)

    def _head(self, conn: Connection) -> _Head:
        """Take the log head lock (creating the head of an empty log) and read the tree's right edge."""
        head = conn.execute(select(HEAD).where(HEAD.c.id == 1).with_for_update()).one_or_none()
        if head is None:
            conn.execute(insert(HEAD).values(id=1, size=0, logged_at=None))
        size, last_logged = (head.size, head.logged_at) if head else (0, None)
        now = self.clock()
        logged_at = max(now, parse_time(last_logged, "logged_at")) if last_logged else now
        return _Head(size, _fetch_nodes(conn, root_nodes(size)), logged_at)

    def _seal(self, conn: Connection, writer: _BatchWriter) -> Checkpoint:
        """Write the transaction's rows, sign its checkpoint and move the head; the caller's block commits."""
        writer.write()
        checkpoint = self._sign_checkpoint(conn, writer, writer.frontier.root())
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(size=writer.frontier.size, logged_at=writer.stamp))
        return checkpoint

    def _after_commit(self, checkpoint: Checkpoint) -> None:
        if self._high_water is not None:  # after the commit, before any caller hears of it (see high_water)
            self._record_high_water(checkpoint)

    @staticmethod
    def _logged_in(results: Sequence[AppendResult], checkpoint: Checkpoint) -> list[AppendResult]:
        """The results of events this transaction logged (or answered as sent twice), with its checkpoint's size."""
        return [replace(r, checkpoint_size=checkpoint.size) if r.checkpoint_size == 0 else r for r in results]

    def _record_high_water(self, checkpoint: Checkpoint) -> None:
        """Record a committed checkpoint as the mark; a failure says the batch is logged, so a retry is answered."""
        assert self._high_water is not None
        try:
            self._high_water.record(checkpoint)
        except OSError as exc:
            kind = InsufficientStorage if out_of_space(exc) else LedgerStateError
            raise kind(
                "the batch was logged (sent again, it is answered from the log), but the home's high-water "
                f"checkpoint could not be written: {exc.strerror}"
            ) from None

    @staticmethod
    def _proof(conn: Connection, old_size: int, size: int, new_nodes: Mapping[NodeId, bytes]) -> list[bytes]:
        """The consistency proof from ``old_size`` to ``size``, from this batch's new nodes and the stored ones."""
        ranges = consistency_ranges(old_size, size)
        nodes = dict(new_nodes)
        nodes.update(_fetch_nodes(conn, nodes_for(ranges) - set(new_nodes)))
        return hash_ranges(ranges, nodes)

    @staticmethod
    def _existing(
        conn: Connection, chunk: PreparedChunk, logged: Sequence[ParsedEvent], size: int
    ) -> dict[str, AppendResult]:
        """Events already logged: the same envelope is answered with its entry; a different one is a conflict."""
        rows = conn.execute(select(ENTRIES).where(ENTRIES.c.event_id.in_([e.event_id for e in logged]))).all()
        by_id = {row.event_id: row for row in rows}
        found: dict[str, AppendResult] = {}
        for position, event in enumerate(chunk.events, start=chunk.start):
            row = by_id.get(event.event_id)
            if row is None:
                continue
            if LogEntry.parse(bytes(row.data)).event.envelope_bytes != event.envelope_bytes:
                raise EventConflict(
                    f"event {event.event_id} is already logged at index {row.leaf_index} with other signatures"
                ).at(position)
            found[event.event_id] = AppendResult(row.leaf_index, row.event_id, bytes(row.leaf_hash), size, False)
        return found

    @staticmethod
    def _write_attachments(conn: Connection, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        known = set(
            conn.execute(
                select(ATTACHMENTS.c.digest).where(ATTACHMENTS.c.digest.in_([r["digest"] for r in rows]))
            ).scalars()
        )
        fresh = {r["digest"]: r for r in rows if r["digest"] not in known}
        if fresh:
            conn.execute(insert(ATTACHMENTS), list(fresh.values()))

    def _sign_checkpoint(self, conn: Connection, batch: _BatchWriter, root: bytes) -> Checkpoint:
        """Sign (size, root) once it is proved consistent with the latest stored checkpoint.

        It is stored as signed at its newest entries' ``logged_at``, a time the log commits to, so that the audit can
        tell a changed one (a clock read here would be covered by nothing)."""
        assert self._signer is not None
        size, new_nodes = batch.frontier.size, batch.nodes
        note = conn.execute(
            select(CHECKPOINTS.c.note).order_by(CHECKPOINTS.c.size.desc()).limit(1)
        ).scalar_one_or_none()
        self._signer.last = open_checkpoint(note, self.log_verifier, self.origin) if note else None
        if self._high_water is not None:
            self._high_water.require_extended(size, root, lambda old: self._proof(conn, old, size, new_nodes))
        old_size = self._signer.last.size if self._signer.last else 0
        checkpoint = self._signer.sign(size, root, self._proof(conn, old_size, size, new_nodes) if old_size else [])
        conn.execute(insert(CHECKPOINTS).values(size=size, root=root, note=checkpoint.note, signed_at=batch.stamp))
        return checkpoint
