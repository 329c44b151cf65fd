"""The parallel half of an audit: worker processes parse entries, hash them, verify their signatures and the
checkpoints' signatures, while the auditing process replays the rules in order.

A worker verifies a signature only with a key it was handed for that key id. Keys are handed out as hints (from
keys seen earlier in the log, or offered by the source): a key id is the hash of its key, so a signature that
verifies under a hint is the key id's signature whoever offered the key, and whether that key was known and
allowed to sign at that point is for the replay to decide. Signatures without a hint are left to the replay.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from typing import NamedTuple, TypeVar

from ledger.errors import BadEnvelopeSignature, InvalidEventError
from ledger.events import LogEntry, ParsedEvent, log_time, parse_time, verify_signatures
from ledger.log.checkpoint import open_checkpoint
from ledger.log.merkle import leaf_hash
from signer.errors import TraceledgerError
from signer.note import NoteVerifier

# Entries a task, few enough that a task's entries and parsed events stay in a core's cache: measured with
# bench.audit, 64 costs 4-12 % less CPU per entry than 256, in the workers and in the replaying process alike.
CHUNK = 64
NOTES_CHUNK = 128
_KEYID = re.compile(rb'"keyid":"([0-9a-f]{32})"')
_T = TypeVar("_T")


class Problem(NamedTuple):
    slug: str
    reason: str


class CheckedEntry(NamedTuple):
    leaf: bytes  # the leaf hash of the stored bytes, whether or not they parse
    event: ParsedEvent | None
    logged_at: str | None
    verified: frozenset[int]  # signature numbers verified under a hinted key
    problem: Problem | None


class CheckedNote(NamedTuple):
    size: int
    root: bytes
    problem: Problem | None


def referenced_kids(datas: Iterable[bytes]) -> set[str]:
    """The key ids entries' signatures name, found without parsing (a hint: what to hand the worker)."""
    return {match.decode("ascii") for data in datas for match in _KEYID.findall(data)}


def _problem(exc: BaseException) -> Problem:
    if isinstance(exc, TraceledgerError):
        return Problem(exc.slug, exc.detail)
    # Bytes changed behind the program's back can reach a parser path that was never meant for them.
    return Problem(InvalidEventError.slug, f"the entry does not parse ({type(exc).__name__}: {exc})")


@lru_cache(maxsize=16)  # entries of one batch share their log time
def _written_as_logged(stamp: str) -> bool:
    """The stamp is exactly how the log writes a time (a valid time in another form is not)."""
    return stamp == log_time(parse_time(stamp, "logged_at"))


def check_entry(data: bytes, keys: Mapping[str, bytes]) -> CheckedEntry:
    """Parse one stored entry (canonical form, envelope, payload schema) and verify the signatures it can."""
    leaf = leaf_hash(data)
    try:
        entry = LogEntry.parse(data)
        if not _written_as_logged(entry.logged_at):
            raise InvalidEventError(f"logged_at {entry.logged_at!r} is not RFC 3339 UTC with milliseconds")
    except (TraceledgerError, ValueError, TypeError, KeyError, RecursionError) as exc:
        return CheckedEntry(leaf, None, None, frozenset(), _problem(exc))
    try:
        keyless = verify_signatures(entry.event, keys.get)
    except BadEnvelopeSignature as exc:
        return CheckedEntry(leaf, entry.event, entry.logged_at, frozenset(), _problem(exc))
    verified = frozenset(range(len(entry.event.envelope.signatures))).difference(keyless)
    return CheckedEntry(leaf, entry.event, entry.logged_at, verified, None)


def check_entries(datas: Sequence[bytes], keys: Mapping[str, bytes]) -> list[CheckedEntry]:
    return [check_entry(data, keys) for data in datas]


def check_notes(notes: Sequence[str], vkey: str, origin: str) -> list[CheckedNote]:
    """Verify checkpoint notes under the log key and origin."""
    verifier = NoteVerifier.from_vkey(vkey)
    checked: list[CheckedNote] = []
    for note in notes:
        try:
            checkpoint = open_checkpoint(note, verifier, origin)
        except TraceledgerError as exc:
            checked.append(CheckedNote(-1, b"", _problem(exc)))
        else:
            checked.append(CheckedNote(checkpoint.size, checkpoint.root, None))
    return checked


class WorkerPool:
    """Runs checks in worker processes (forked, like the ingest path's), or in this process with none."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = (os.cpu_count() or 1) if processes is None else processes
        self._pool: ProcessPoolExecutor | None = None
        if self.processes > 0:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("fork"))

    @property
    def depth(self) -> int:
        """How many tasks to keep queued so no worker waits."""
        return 2 * self.processes + 1

    def entries(self, datas: Sequence[bytes], keys: Mapping[str, bytes]) -> Future[list[CheckedEntry]]:
        if self._pool is not None:
            return self._pool.submit(check_entries, datas, keys)
        return _done(check_entries(datas, keys))

    def notes(self, notes: Sequence[str], vkey: str, origin: str) -> Future[list[CheckedNote]]:
        if self._pool is not None:
            return self._pool.submit(check_notes, notes, vkey, origin)
        return _done(check_notes(notes, vkey, origin))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _done(value: _T) -> Future[_T]:
    future: Future[_T] = Future()
    future.set_result(value)
    return future
