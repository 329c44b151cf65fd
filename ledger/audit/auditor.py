"""The auditor: entries checked in worker processes, then the rules replayed in order from an empty state, the
tree rebuilt leaf by leaf and compared with what the source stores, each checkpoint checked as the tree passes
its size, and finally the derived rows compared with the replay's.

The replay runs the ingest path's own code: ``apply_event`` on a ``State``, and the same authentication (every
signature by a key known at that point of the log, or declared by the event itself). After the first entry the
rules refuse, the replay stops (what follows would only repeat it); the tree is still rebuilt from the bytes, so
stored nodes and checkpoints are checked to the end.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Mapping
from concurrent.futures import Future
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from ledger.audit.findings import AuditReport, Finding
from ledger.audit.sources import LogSource, RawEntry, ReplayOutcome, StoredCheckpoint
from ledger.audit.tree import TreeRebuild
from ledger.audit.workers import CHUNK, NOTES_CHUNK, CheckedEntry, CheckedNote, WorkerPool, referenced_kids
from ledger.errors import (
    CheckpointError,
    ConsistencyProofError,
    EventConflict,
    InvalidEventError,
    LedgerError,
    LedgerStateError,
)
from ledger.events import ParsedEvent, parse_time
from ledger.events.schemas import AttachmentErasure
from ledger.log.checkpoint import Checkpoint, open_checkpoint
from ledger.log.merkle import verify_consistency
from ledger.rules import State, apply_event, authenticate, check_conservation, introduced_keys
from ledger.rules.views import BATCHES, EVENTS, LOG, PUBLIC_KEYS
from ledger.store.views import stored_rows
from signer.note import NoteVerifier

Progress = Callable[[int, int], None]  # (entries done, entries expected)
COLUMNS = ("event_id", "leaf_hash", "kind", "subject", "actor", "time", "logged_at")


def _known(state: State, kid: str, own: Mapping[str, bytes]) -> bool:
    """The key is declared by the event itself, or by an entry before it."""
    return kid in own or state.get(PUBLIC_KEYS, kid) is not None


@lru_cache(maxsize=16)  # entries of one batch share their log time
def _logged_moment(stamp: str) -> datetime:
    return parse_time(stamp, "logged_at")


@dataclass
class _Mark:
    """A checkpoint to check when the rebuilt tree reaches its size: a stored one, the auditor's saved one, or the
    home's high-water checkpoint (``ledger.store.high_water``), which the log must extend just as well."""

    size: int
    where: str  # "checkpoint", "saved-checkpoint" or "high-water-checkpoint"
    stored: StoredCheckpoint | None = None
    note: Future[list[CheckedNote]] | None = None
    position: int = 0  # in its notes task
    saved: Checkpoint | None = None


@dataclass
class _Replay:
    state: State = field(default_factory=State)
    active: bool = True  # False once an entry failed: the rest would only repeat it
    stopped_at: int | None = None
    last_logged: datetime | None = None
    attachments: dict[str, tuple[int, str, int]] = field(default_factory=dict)
    erasures: dict[str, tuple[int, str]] = field(default_factory=dict)


class Auditor:
    def __init__(
        self,
        source: LogSource,
        verifier: NoteVerifier,
        origin: str,
        *,
        since: str | None = None,
        high_water: str | None = None,
        processes: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.source = source
        self.verifier = verifier
        self.origin = origin
        self.saved = open_checkpoint(since, verifier, origin) if since is not None else None
        self.high_water = open_checkpoint(high_water, verifier, origin) if high_water is not None else None
        self.processes = processes
        self.progress = progress
        self.report = AuditReport(source.description, origin)
        self.tree = TreeRebuild()
        self.nodes = source.node_checker()
        self.replay = _Replay()
        self.keys: dict[str, bytes] = {}  # kid → key hints for the workers
        self.previous: tuple[int, bytes] | None = None  # the last checkpoint passed with a valid note: size, root
        self.latest_stored: int | None = None
        self.last_logged_at: str | None = None
        self.last_good: int | None = None  # the index of the last entry read without a problem

    def finding(
        self, where: str, reason: str, problem: str, *, index: int | None = None, kind: str | None = None,
        key: str | None = None,
    ) -> None:  # fmt: skip
        self.report.add(Finding(where, reason, problem, index=index, kind=kind, key=key))

    # ---- the run -------------------------------------------------------------------------------------------

    def run(self) -> AuditReport:
        pool = WorkerPool(self.processes)
        try:
            marks = self._marks(pool)
            total = max((m.size for m in marks), default=0)
            self.keys.update(self.source.key_hints())
            complete = self._stream(pool, marks, total)
        finally:
            pool.close()
        self._finish(marks, complete)
        self.report.sort()
        return self.report

    def _marks(self, pool: WorkerPool) -> deque[_Mark]:
        """Stored checkpoints (their notes sent to the workers now) and the saved one, by size."""
        stored = sorted(self.source.checkpoints(), key=lambda c: c.size)
        marks: list[_Mark] = []
        for start in range(0, len(stored), NOTES_CHUNK):
            group = stored[start : start + NOTES_CHUNK]
            future = pool.notes([c.note for c in group], self.verifier.vkey, self.origin)
            marks.extend(_Mark(c.size, "checkpoint", c, future, i) for i, c in enumerate(group))
        if self.saved is not None:
            self.report.since_size = self.saved.size
            marks.append(_Mark(self.saved.size, "saved-checkpoint", saved=self.saved))
        if self.high_water is not None:
            marks.append(_Mark(self.high_water.size, "high-water-checkpoint", saved=self.high_water))
        self.latest_stored = stored[-1].size if stored else None
        if not stored:
            self.finding("checkpoint", "the log holds no signed checkpoint", CheckpointError.slug)
        marks.sort(key=lambda m: (m.size, m.where != "checkpoint"))
        return deque(marks)

    def _stream(self, pool: WorkerPool, marks: deque[_Mark], total: int) -> bool:
        """Check every entry in order; False when a gap in the indices made the rest meaningless."""
        with closing(self._chunks()) as chunks:
            return self._consume(pool, marks, total, chunks)

    def _consume(
        self, pool: WorkerPool, marks: deque[_Mark], total: int, chunks: Generator[list[RawEntry], None, None]
    ) -> bool:
        """Keep the workers a few chunks ahead while the results are replayed in order."""
        pending: deque[tuple[list[RawEntry], Future[list[CheckedEntry]]]] = deque()
        while marks and marks[0].size <= 0:  # only a tampered size column puts one here
            self._checkpoint(marks.popleft())
        while True:
            while len(pending) < pool.depth:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                datas = [raw.data for raw in chunk]
                hints = {kid: self.keys[kid] for kid in referenced_kids(datas) if kid in self.keys}
                pending.append((chunk, pool.entries(datas, hints)))
            if not pending:
                return True
            chunk, future = pending.popleft()
            for raw, checked in zip(chunk, future.result(), strict=True):
                if raw.index != self.tree.size:
                    self._gap(raw.index)
                    return False
                self._entry(raw, checked)
                for finding in self.nodes.add(self.tree.append(checked.leaf)):
                    self.report.add(finding)
                self.report.entries += 1
                while marks and marks[0].size == self.tree.size:
                    self._checkpoint(marks.popleft())
            if self.progress is not None:
                self.progress(self.tree.size, total)

    def _chunks(self) -> Generator[list[RawEntry], None, None]:
        with closing(self.source.entries()) as entries:
            for chunk in entries:
                for start in range(0, len(chunk), CHUNK):
                    yield chunk[start : start + CHUNK]

    def _gap(self, found: int) -> None:
        expected = self.tree.size
        if found < expected:
            reason = f"stored again after entry {expected - 1}: the stored indices are out of order"
            self.finding("entry", reason, LedgerStateError.slug, index=found)
        else:
            reason = f"missing: the stored entries jump from {expected - 1} to {found}"
            self.finding("entry", reason, LedgerStateError.slug, index=expected)
        self.report.notes.append(f"stopped at entry {expected}: the entries after a gap cannot be placed in the tree")

    # ---- one entry -----------------------------------------------------------------------------------------

    def _entry(self, raw: RawEntry, checked: CheckedEntry) -> None:
        index, event = raw.index, checked.event
        kind = event.payload.kind if event is not None else None
        if checked.problem is not None:
            self.finding("entry", checked.problem.reason, checked.problem.slug, index=index, kind=kind)
            self._stop(index)
            return
        assert event is not None
        assert checked.logged_at is not None
        self.last_logged_at, self.last_good = checked.logged_at, index
        self.report.signatures += len(event.envelope.signatures)
        if raw.columns is not None:
            self._columns(raw, checked, event)
        own = introduced_keys(event)
        self.keys.update(own)
        if not self.replay.active:
            return
        try:
            self._decide(index, event, own, checked)
        except LedgerError as exc:
            self.finding("entry", exc.detail, exc.slug, index=index, kind=kind)
            self._stop(index)

    def _columns(self, raw: RawEntry, checked: CheckedEntry, event: ParsedEvent) -> None:
        """The columns a database derived from the entry must be what the entry says."""
        assert raw.columns is not None
        payload = event.payload
        actual = (
            event.event_id,
            checked.leaf,
            payload.kind,
            payload.subject,
            payload.actor,
            payload.time,
            checked.logged_at,
        )  # in the order of COLUMNS
        if raw.columns != actual:
            wrong = [name for name, a, b in zip(COLUMNS, raw.columns, actual, strict=True) if a != b]
            reason = f"stored {', '.join(wrong)} {'does' if len(wrong) == 1 else 'do'} not match the entry's bytes"
            self.finding("entry", reason, LedgerStateError.slug, index=raw.index, kind=payload.kind)

    def _decide(self, index: int, event: ParsedEvent, own: Mapping[str, bytes], checked: CheckedEntry) -> None:
        """What ingest decides for an entry, in its order: authentication, the log's own rules, the kind's rules."""
        replay = self.replay
        assert checked.logged_at is not None
        logged = _logged_moment(checked.logged_at)
        # A worker verified under the key its id names; whether that key was known at this point is decided here.
        known = [n for n in checked.verified if _known(replay.state, event.envelope.signatures[n].keyid, own)]
        authenticate(replay.state, event, known)
        earlier = replay.state.get(EVENTS, event.event_id)
        if earlier is not None:
            raise EventConflict(f"event {event.event_id} is already logged at index {earlier['index']}")
        if replay.last_logged is not None and logged < replay.last_logged:
            raise InvalidEventError(f"logged_at {checked.logged_at} is before the previous entry's")
        apply_event(replay.state, event, index, logged)
        if index == 0:
            self._genesis()
        replay.last_logged = logged
        for attachment in event.payload.attachments:
            replay.attachments.setdefault(attachment.digest, (index, attachment.media_type, attachment.size))
        if isinstance(event.data, AttachmentErasure):  # the rules let a digest be erased once
            replay.erasures[event.data.digest] = (index, checked.logged_at)

    def _genesis(self) -> None:
        """The genesis entry names the log it starts: it must be the audited log's origin and key."""
        named = self.replay.state.get(LOG, "genesis")
        assert named is not None
        if named["origin"] != self.origin or named["log_vkey"] != self.verifier.vkey:
            raise InvalidEventError(
                f"genesis names the log {named['origin']} with key {named['log_vkey']}, not the audited log"
            )

    def _stop(self, index: int) -> None:
        if self.replay.active:
            self.replay.active = False
            self.replay.stopped_at = index

    # ---- checkpoints ---------------------------------------------------------------------------------------

    def _checkpoint(self, mark: _Mark) -> None:
        """Check a checkpoint of the current tree size: its signature, its stored columns, its root, and its
        consistency (an RFC 9162 proof from the rebuilt tree) with the previous checkpoint."""
        if mark.saved is not None:
            size, root = mark.saved.size, mark.saved.root
        else:
            assert mark.note is not None
            assert mark.stored is not None
            checked = mark.note.result()[mark.position]
            self.report.checkpoints += 1
            if checked.problem is not None:
                self.finding("checkpoint", checked.problem.reason, checked.problem.slug, index=mark.size)
                return
            size, root = checked.size, checked.root
            if size != mark.stored.size:
                reason = f"stored as size {mark.stored.size} but its note is of size {size}"
                self.finding("checkpoint", reason, CheckpointError.slug, index=mark.size)
                return
            if mark.stored.root is not None and mark.stored.root != root:
                self.finding("checkpoint", "the stored root is not its note's root", CheckpointError.slug, index=size)
            self._signed_at(mark.stored)
            if size >= self.report.size:
                self.report.size, self.report.root, self.report.latest_note = size, root, mark.stored.note
        if root != self.tree.root():
            reason = "its root is not the root of the tree rebuilt from the entries"
            if mark.saved is not None:
                reason += ": the log's history was rewritten since this checkpoint was saved"
            self.finding(mark.where, reason, CheckpointError.slug, index=size)
        elif self.previous is not None and self.previous[0] < size:
            # This one heads the rebuilt tree: a failing proof convicts the previous signed checkpoint, and the
            # two notes together prove the log key signed two histories.
            previous_size, previous_root = self.previous
            try:
                verify_consistency(previous_size, size, previous_root, root, self.tree.proof_from_mark())
            except ConsistencyProofError as exc:
                reason = f"not consistent with checkpoint {previous_size}: {exc.detail}"
                self.finding(mark.where, reason, ConsistencyProofError.slug, index=size)
        if self.tree.mark != size:
            self.tree.set_mark()
        self.previous = (size, root)

    def _signed_at(self, stored: StoredCheckpoint) -> None:
        """A checkpoint is stored as signed when its newest entries were logged (``Ledger._sign_checkpoint``)."""
        if stored.signed_at is None or self.last_good != stored.size - 1:
            return  # a remote log's, or one past a damaged entry, whose finding says more
        if stored.signed_at != self.last_logged_at:
            reason = f"stored as signed at {stored.signed_at}, but its newest entry was logged at {self.last_logged_at}"
            self.finding("checkpoint", reason, CheckpointError.slug, index=stored.size)

    # ---- the end -------------------------------------------------------------------------------------------

    def _finish(self, marks: deque[_Mark], complete: bool) -> None:
        size = self.tree.size
        if complete:
            for finding in self.nodes.finish(size):
                self.report.add(finding)
            self._beyond(marks, size)
        self.report.nodes = self.nodes.compared
        rows = self.replay.state.take_changes()
        for (view, key), row in rows.items():
            if view == BATCHES and row is not None:
                try:
                    check_conservation(key, row)
                except LedgerError as exc:
                    self.finding("view", exc.detail, exc.slug, kind=BATCHES, key=key)
        outcome = ReplayOutcome(complete and self.replay.active, complete, size, self.last_logged_at)
        if outcome.complete:
            outcome.view_rows = {row: value for row, value in stored_rows(rows).items() if value is not None}
            outcome.attachments = self.replay.attachments
            outcome.erasures = self.replay.erasures
        elif self.replay.stopped_at is not None:
            self.report.notes.append(f"derived rows not compared: the replay stopped at entry {self.replay.stopped_at}")
        self.source.check_derived(outcome, self.report)

    def _beyond(self, marks: deque[_Mark], size: int) -> None:
        """Checkpoints past the last entry mean entries are missing; entries past the last checkpoint are unsigned."""
        beyond = [m.size for m in marks if m.where == "checkpoint"]
        if beyond:
            reason = f"missing: checkpoint {max(beyond)} covers {max(beyond)} entries and the log holds {size}"
            self.finding("entry", reason, LedgerStateError.slug, index=size)
            self.report.checkpoints += len(beyond)
        elif self.latest_stored is not None and size > self.latest_stored:
            reason = f"no checkpoint covers it: the latest is of size {self.latest_stored}"
            self.finding("entry", reason, CheckpointError.slug, index=self.latest_stored)
        for mark in marks:
            if mark.saved is not None:
                reason = f"covers {mark.size} entries and the log now holds {size}: the log was truncated since"
                self.finding(mark.where, reason, CheckpointError.slug, index=mark.size)


def audit_log(
    source: LogSource,
    verifier: NoteVerifier,
    origin: str,
    *,
    since: str | None = None,
    high_water: str | None = None,
    processes: int | None = None,
    progress: Progress | None = None,
) -> AuditReport:
    """Audit ``source`` as the log ``origin`` signed by ``verifier``'s key (and, with ``since`` and ``high_water``,
    an extension of the checkpoint note the auditor saved earlier and of the home's high-water checkpoint)."""
    return Auditor(
        source, verifier, origin, since=since, high_water=high_water, processes=processes, progress=progress
    ).run()
