"""A ledger database as an audit source, opened read-only and read in one snapshot.

SQLite is opened with ``mode=ro`` (the file cannot be written, even by a WAL checkpoint) and must pass
``PRAGMA integrity_check`` (a damaged page or an index that disagrees with its table is refused in one line);
PostgreSQL reads in a read-only repeatable-read transaction. Besides the log, the database keeps derived rows
(views, attachments, the log head, witness cosignatures) which must be exactly what the replay derives, or verify.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, Integer, create_engine, inspect, literal, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from ledger.audit.auditor import COLUMNS as ENTRY_COLUMNS
from ledger.audit.findings import AuditReport, Finding
from ledger.audit.sources import RawEntry, ReplayOutcome, StoredCheckpoint
from ledger.errors import InvalidAttachment, LedgerError, LedgerStateError
from ledger.events import AttachmentRef, open_attachment, parse_time
from ledger.events.payload import DIGEST_RE
from ledger.log.merkle import NodeId
from ledger.rules import check_conservation
from ledger.rules.views import BATCHES, PUBLIC_KEYS
from ledger.store.cosignatures import stored_cosignature
from ledger.store.tables import ATTACHMENTS, CHECKPOINTS, COSIGNATURES, ENTRIES, LOG_HEAD, NODES, VIEWS
from signer.errors import NoteError
from signer.keys import kid_of
from signer.note import parse_note

READ_CHUNK = 1024
STATE = LedgerStateError.slug


@contextmanager
def _reading() -> Iterator[None]:
    """Database failures (a corrupt file, a lost server) as one line, never a traceback."""
    try:
        yield
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise LedgerStateError(f"cannot read the database: {reason}") from None
    except UnicodeDecodeError:  # SQLite hands back text from a damaged page as it finds it
        raise LedgerStateError("cannot read the database: it holds text that is not UTF-8") from None


def read_only_engine(url: str) -> Engine:
    """An engine that cannot write: SQLite opened with ``mode=ro``, PostgreSQL in read-only transactions."""
    with _reading():
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///")).resolve()
            if not path.is_file():
                raise LedgerStateError(f"no database at {path}")
            return create_engine(f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true")
        if url.startswith(("postgresql://", "postgresql+psycopg://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return create_engine(url, isolation_level="REPEATABLE READ").execution_options(postgresql_readonly=True)
    raise LedgerStateError("the database URL must start with sqlite:/// or postgresql://")


class DatabaseSource:
    """A ledger database read for an audit; use as a context manager (it holds one read transaction).

    ``witnesses``, the verifier keys of the witnesses the ledger is configured to submit to, when known: a stored
    cosignature by any other key is then a finding too (a valid cosignature by a witness nobody asked for).
    """

    def __init__(self, url: str, witnesses: Collection[str] | None = None) -> None:
        self.witnesses = None if witnesses is None else frozenset(witnesses)
        self.engine = read_only_engine(url)
        where = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else self.engine.url
        self.description = f"database {where}"  # a URL's password is rendered as ***
        with _reading():
            self.conn: Connection = self.engine.connect()
        try:
            with _reading():
                self.conn.begin()
                if self.engine.dialect.name == "sqlite":
                    problem = self.conn.exec_driver_sql("PRAGMA integrity_check(1)").scalar_one()
                    if problem != "ok":
                        lines = [line for line in str(problem).splitlines() if not line.startswith("***")]
                        raise LedgerStateError(f"the database file is corrupt: {' '.join(lines)}")
        except LedgerStateError:
            self.close()
            raise

    def __enter__(self) -> DatabaseSource:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        with suppress(SQLAlchemyError):  # a connection the database already dropped: nothing was written to lose
            self.conn.close()
        self.engine.dispose()

    # ---- the log -------------------------------------------------------------------------------------------

    def checkpoints(self) -> list[StoredCheckpoint]:
        with _reading():
            columns = (CHECKPOINTS.c.size, CHECKPOINTS.c.root, CHECKPOINTS.c.note, CHECKPOINTS.c.signed_at)
            rows = self.conn.execute(select(*columns))
            return [StoredCheckpoint(size, note, bytes(root), signed_at) for size, root, note, signed_at in rows]

    def entries(self) -> Generator[list[RawEntry], None, None]:
        with _reading():
            columns = [ENTRIES.c[name] for name in ENTRY_COLUMNS]
            result = self.conn.execution_options(yield_per=READ_CHUNK).execute(
                select(ENTRIES.c.leaf_index, ENTRIES.c.data, *columns).order_by(ENTRIES.c.leaf_index)
            )
            try:
                for rows in result.partitions():
                    yield [
                        RawEntry(index, bytes(data), (event_id, bytes(leaf), *rest))
                        for index, data, event_id, leaf, *rest in rows
                    ]
            finally:
                result.close()  # the audit may stop early (a gap): release the server-side cursor

    def key_hints(self) -> Mapping[str, bytes]:
        """The stored ``public_keys`` view, each key checked to be its kid's (a hint, never trusted further)."""
        hints: dict[str, bytes] = {}
        with _reading():
            rows = self.conn.execute(select(VIEWS.c.key, VIEWS.c.value).where(VIEWS.c.view == PUBLIC_KEYS))
            for kid, value in rows:
                try:
                    key = base64.b64decode(json.loads(value)["public_key"], validate=True)
                    if len(key) == 32 and kid_of(key) == kid:
                        hints[kid] = key
                except (ValueError, KeyError, TypeError, binascii.Error):
                    continue  # a damaged row is only a missing hint here; the view comparison names it
        return hints

    def node_checker(self) -> StoredNodes:
        return StoredNodes(self.conn)

    # ---- derived rows --------------------------------------------------------------------------------------

    def check_derived(self, outcome: ReplayOutcome, report: AuditReport) -> None:
        with _reading():
            if outcome.read_all:
                self._log_head(outcome, report)
            if outcome.complete:
                self._views(outcome.view_rows, report)
            self._attachments(outcome, report)
            self._cosignatures(report)

    def _log_head(self, outcome: ReplayOutcome, report: AuditReport) -> None:
        rows = self.conn.execute(select(LOG_HEAD.c.id, LOG_HEAD.c.size, LOG_HEAD.c.logged_at)).all()
        if len(rows) != 1 or rows[0].id != 1:
            reason = f"the log head is {len(rows)} row(s) with ids {[r.id for r in rows]}, not one row with id 1"
            report.add(Finding("log-head", reason, STATE))
            return
        head = rows[0]
        if head.size != outcome.size:
            report.add(Finding("log-head", f"size {head.size}, but the log holds {outcome.size} entries", STATE))
        if head.logged_at != outcome.last_logged_at:
            reason = f"logged_at {head.logged_at}, but the last entry was logged at {outcome.last_logged_at}"
            report.add(Finding("log-head", reason, STATE))

    def _views(self, expected: dict[tuple[str, str], str], report: AuditReport) -> None:
        remaining = dict(expected)
        report.view_rows = 0
        result = self.conn.execution_options(yield_per=READ_CHUNK).execute(
            select(VIEWS.c.view, VIEWS.c.key, VIEWS.c.value).order_by(VIEWS.c.view, VIEWS.c.key)
        )
        for view, key, value in result:
            report.view_rows += 1
            replayed = remaining.pop((view, key), None)
            if replayed is None:
                report.add(Finding("view", "stored, but the replay derives no such row", STATE, kind=view, key=key))
            elif replayed != value:
                reason = _conservation(key, value) if view == BATCHES else None
                reason = reason or "the stored row differs from the row the replay derives"
                report.add(Finding("view", reason, STATE, kind=view, key=key))
        for view, key in sorted(remaining):
            report.add(Finding("view", "missing: the replay derives this row", STATE, kind=view, key=key))

    def _attachments(self, outcome: ReplayOutcome, report: AuditReport) -> None:
        expected = dict(outcome.attachments)
        report.attachments = report.attachment_contents = 0
        result = self.conn.execution_options(yield_per=READ_CHUNK).execute(
            select(ATTACHMENTS).order_by(ATTACHMENTS.c.digest)
        )
        for row in result:
            report.attachments += 1
            where = {"key": row.digest, "index": row.leaf_index}
            if outcome.complete:
                committed = expected.pop(row.digest, None)
                if committed is None:
                    reason = "stored, but no entry commits to this digest"
                    report.add(Finding("attachment", reason, InvalidAttachment.slug, **where))
                elif committed != (row.leaf_index, row.media_type, row.size):
                    reason = (
                        f"stored as entry {row.leaf_index}'s {row.media_type!r} of {row.size} bytes; entry "
                        f"{committed[0]} commits to {committed[1]!r} of {committed[2]} bytes"
                    )
                    report.add(Finding("attachment", reason, InvalidAttachment.slug, **where))
            if not DIGEST_RE.fullmatch(row.digest):
                reason = "the stored digest is not sha256: and 64 lowercase hex digits"
                report.add(Finding("attachment", reason, InvalidAttachment.slug, **where))
            elif row.content is not None:
                report.attachment_contents += 1
                try:
                    open_attachment(bytes(row.content), AttachmentRef(row.digest, row.media_type, row.size))
                except InvalidAttachment as exc:
                    report.add(Finding("attachment", exc.detail, exc.slug, **where))
            if outcome.complete:
                erasure_problem = _erasure_problem(row, outcome.erasures.get(row.digest))
                if erasure_problem is not None:
                    report.add(Finding("attachment", erasure_problem, InvalidAttachment.slug, **where))
            if row.erased_at is not None:
                try:
                    parse_time(row.erased_at, "erased_at")
                except LedgerError as exc:
                    report.add(Finding("attachment", exc.detail, exc.slug, **where))
        for digest, (index, _, _) in sorted(expected.items()):
            reason = "missing: the entry commits to it and the store holds no row"
            report.add(Finding("attachment", reason, InvalidAttachment.slug, index=index, key=digest))

    def _cosignatures(self, report: AuditReport) -> None:
        """Each stored witness cosignature is by a configured witness (when the configuration is known) and
        verifies, under the witness key stored with it, over the note of the checkpoint it cosigns."""
        if not inspect(self.conn).has_table(COSIGNATURES.name):
            report.notes.append("no cosignatures table: no witness cosignatures to check")
            return
        report.cosignatures = 0
        rows = self.conn.execute(
            select(COSIGNATURES.c.size, COSIGNATURES.c.witness, COSIGNATURES.c.signature, CHECKPOINTS.c.note)
            .select_from(COSIGNATURES.outerjoin(CHECKPOINTS, CHECKPOINTS.c.size == COSIGNATURES.c.size))
            .order_by(COSIGNATURES.c.size, COSIGNATURES.c.witness)
        )
        for size, witness, signature, note in rows:
            report.cosignatures += 1
            reason = _cosignature_problem(witness, bytes(signature), note)
            if reason is None and self.witnesses is not None and witness not in self.witnesses:
                reason = f"by {witness}, a witness this ledger is not configured to submit to"
            if reason is not None:
                report.add(Finding("cosignature", reason, NoteError.slug, index=size, key=witness))


def _erasure_problem(row: Any, erasure: tuple[int, str] | None) -> str | None:
    """Why an attachment row's content and ``erased_at`` disagree with the logged erasure of it (or its absence):
    content is missing only where an erasure was logged, never back after one, and erased when it was logged."""
    if erasure is None:
        if row.content is None:
            return "no content, and no logged attachment.erasure covers it (never uploaded, or removed unlogged)"
        if row.erased_at is not None:
            return f"marked erased at {row.erased_at}, but no logged attachment.erasure covers it"
        return None
    index, logged_at = erasure
    if row.content is not None:
        return f"content stored again after its erasure at entry {index}"
    if row.erased_at != logged_at:
        return f"erased_at {row.erased_at}, but its erasure at entry {index} was logged at {logged_at}"
    return None


def _cosignature_problem(witness: str, signature: bytes, note: str | None) -> str | None:
    if note is None:
        return "it cosigns a checkpoint the log does not store"
    try:
        stored_cosignature(parse_note(note).text, witness, signature)
    except NoteError as exc:
        return exc.detail
    return None


def _conservation(key: str, value: str) -> str | None:
    """Why a stored batch row is impossible, if its quantities do not add up."""
    try:
        check_conservation(key, json.loads(value))
    except LedgerError as exc:
        return exc.detail
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


class StoredNodes:
    """Compares rebuilt nodes with the ``merkle_nodes`` table, a few thousand at a time, by key range."""

    FLUSH = 4096

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pending: list[tuple[NodeId, bytes]] = []
        self.compared = 0

    def add(self, completed: Sequence[tuple[NodeId, bytes]]) -> list[Finding]:
        self.pending.extend(completed)
        return self._flush() if len(self.pending) >= self.FLUSH else []

    def _flush(self) -> list[Finding]:
        by_level: dict[int, dict[int, bytes]] = {}
        for (level, index), node in self.pending:
            by_level.setdefault(level, {})[index] = node
        self.pending = []
        findings: list[Finding] = []
        with _reading():
            for level, expected in by_level.items():
                rows = self.conn.execute(
                    select(NODES.c.index, NODES.c.hash).where(
                        NODES.c.level == level, NODES.c.index >= min(expected), NODES.c.index <= max(expected)
                    )
                )
                stored = {index: bytes(node) for index, node in rows}
                for index, node in expected.items():
                    self.compared += 1
                    found = stored.get(index)
                    if found != node:
                        reason = (
                            "missing from the store" if found is None else "stored hash differs from the rebuilt tree"
                        )
                        at = _last_leaf(level, index)
                        findings.append(
                            Finding("merkle-node", reason, STATE, index=index, kind=f"level {level}", at=at)
                        )
        return findings

    def finish(self, size: int) -> list[Finding]:
        """The last comparisons, then any stored node that is no node of a tree of ``size`` entries."""
        findings = self._flush()
        with _reading():
            extra = self.conn.execute(
                select(NODES.c.level, NODES.c.index)
                .where(
                    or_(
                        NODES.c.level < 0,
                        NODES.c.level > 63,
                        NODES.c.index < 0,
                        NODES.c.index >= literal(size, Integer).op(">>")(NODES.c.level),
                    )
                )
                .order_by(NODES.c.level, NODES.c.index)
            ).all()
        reason = f"stored, but a tree of {size} entries has no such node"
        findings.extend(
            Finding("merkle-node", reason, STATE, index=index, kind=f"level {level}", at=_last_leaf(level, index))
            for level, index in extra
        )
        return findings


def _last_leaf(level: int, index: int) -> int:
    """The last leaf under node (level, index): where in the log a finding about it belongs."""
    return ((index + 1) << min(max(level, 0), 63)) - 1
