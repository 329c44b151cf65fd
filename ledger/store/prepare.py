"""Preparing a batch for the log: parsing and Ed25519 verification, spread over worker processes.

Parsing and verifying are pure CPU work and by far the largest part of an append, so large batches are cut into
chunks that worker processes parse and verify while the appending process sequences the chunks already done.
A worker resolves keyids through its own read-only connection (a kid names one public key forever, so lookups
are cached); a signature by a key the batch itself introduces is left for the appending process to verify.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from ledger.errors import LedgerError
from ledger.events import KeyLookup, ParsedEvent, parse_envelope, verify_signatures
from ledger.rules import public_key_of, rows_read_by
from ledger.rules.state import State, ViewRow
from ledger.store.engine import make_engine
from ledger.store.views import ConnectionViewReader

Submission = bytes | Mapping[str, Any]
CHUNK = 100
FIRST_CHUNKS = (25, 50)  # small first chunks, so the appending process starts sequencing early


def chunk_bounds(count: int) -> list[tuple[int, int]]:
    """[start, end) of each chunk of a batch of ``count`` events."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for size in (*FIRST_CHUNKS, *[CHUNK] * (count // CHUNK + 1)):
        if start >= count:
            break
        bounds.append((start, min(count, start + size)))
        start += size
    return bounds


@dataclass(frozen=True)
class PreparedChunk:
    start: int  # batch position of the first event
    events: list[ParsedEvent]
    unverified: list[tuple[int, int]]  # (batch position, signature number) whose key was not yet known
    rows: set[ViewRow]  # the view rows deciding these events will read (``rows_read_by``), for one bulk load


def lookup_public_key(engine: Engine, kid: str) -> bytes | None:
    with engine.connect() as conn:
        return public_key_of(State(ConnectionViewReader(conn)), kid)


def prepare_chunk(start: int, submissions: Sequence[Submission], lookup: KeyLookup) -> PreparedChunk:
    """Parse and verify one chunk; raises the first error, marked with its batch position."""
    events: list[ParsedEvent] = []
    unverified: list[tuple[int, int]] = []
    for offset, submission in enumerate(submissions):
        position = start + offset
        try:
            event = parse_envelope(submission)
            unverified.extend((position, number) for number in verify_signatures(event, lookup))
        except LedgerError as exc:
            raise exc.at(position) from None
        events.append(event)
    return PreparedChunk(start, events, unverified, rows_read_by(events))


class _CachedLookup:
    """kid → public key through a database, cached: the binding of a kid to its key never changes."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._cache: dict[str, bytes] = {}

    def __call__(self, kid: str) -> bytes | None:
        key = self._cache.get(kid)
        if key is None:
            key = lookup_public_key(self._engine, kid)
            if key is not None:
                self._cache[kid] = key
        return key


_worker_lookup: _CachedLookup | None = None


def _init_worker(database_url: str) -> None:
    global _worker_lookup
    _worker_lookup = _CachedLookup(make_engine(database_url))


def _prepare_in_worker(start: int, submissions: Sequence[Submission]) -> PreparedChunk:
    assert _worker_lookup is not None
    return prepare_chunk(start, submissions, _worker_lookup)


def _results(futures: list[Future[PreparedChunk]]) -> Iterator[PreparedChunk]:
    try:
        for future in futures:
            yield future.result()
    finally:
        for future in futures:
            future.cancel()


class BatchPreparer:
    """Yields a batch's chunks in order, parsed and verified, using worker processes for large batches."""

    def __init__(self, engine: Engine, processes: int | None = None) -> None:
        self._engine = engine
        self._lookup = _CachedLookup(engine)
        self.processes = processes if processes is not None else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def prepare(self, submissions: Sequence[Submission]) -> Iterator[PreparedChunk]:
        """Start preparing a batch now (workers begin at once) and yield its chunks in order as they are ready."""
        if self.processes < 1 or len(submissions) < 2 * CHUNK:
            return iter([prepare_chunk(0, submissions, self._lookup)])
        pool = self._start_pool()
        futures: list[Future[PreparedChunk]] = [
            pool.submit(_prepare_in_worker, start, list(submissions[start:end]))
            for start, end in chunk_bounds(len(submissions))
        ]
        return _results(futures)

    def _start_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            url = self._engine.url.render_as_string(hide_password=False)
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker,
                initargs=(url,),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
