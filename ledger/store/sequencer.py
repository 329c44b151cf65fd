"""Group commit: concurrent appends gathered for a moment, then decided, committed and checkpointed together.

Each append transaction pays a commit (an fsync), a checkpoint signature and a high-water write however few events
it holds, so one event per transaction caps a server at a few hundred appends a second. As Sunlight and Tessera
pool their entries, the ``Sequencer`` lets the first caller to arrive lead: it waits up to ``linger`` seconds for
others (or until ``max_events`` are waiting), takes every request waiting, and commits them with one function call
while the others sleep; each request is then settled with its own outcome (a result or an error) and its caller
woken. Requests that arrive during a commit form the next group, led by the first of them.

The sequencer knows nothing about ledgers: ``commit`` decides what each request gets, calling ``settle`` on each,
and returns a ``finish`` step that may settle more. The next group is led as soon as ``commit`` returns, while this
group's ``finish`` runs (the ledger records its high-water checkpoint there: an fsync the next group's transaction
need not wait for); the group's callers are woken once it is done. An exception escaping ``commit`` or ``finish``
(the database went away, say) settles every request of the group not yet settled with it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")  # what a request's caller gets back
W = TypeVar("W")  # what a request carries to the commit
Finish = Callable[[], None]  # what a group's commit leaves to do once the next group may start


class Request(Generic[W, T]):
    """One caller's work in a group, and the outcome the group's commit settles it with."""

    def __init__(self, work: W, size: int) -> None:
        self.work = work
        self.size = size  # events it holds, counted against a group's ``max_events``
        self._outcome: T | None = None
        self._error: BaseException | None = None
        self._settled = False
        self._woken = threading.Event()
        self._leads = False  # woken to lead the next group rather than settled

    def settle(self, outcome: T | None = None, error: BaseException | None = None) -> None:
        """Give the request its outcome, or the error its caller raises; the first settlement stands."""
        if not self._settled:
            self._outcome, self._error, self._settled = outcome, error, True

    def _result(self) -> T:
        if self._error is not None:
            raise self._error
        assert self._settled
        return self._outcome  # type: ignore[return-value]  # settled with an outcome of type T


class Sequencer(Generic[W, T]):
    """Runs requests through ``commit`` in groups; see the module docstring."""

    def __init__(self, commit: Callable[[Sequence[Request[W, T]]], Finish], *, linger: float, max_events: int) -> None:
        self._commit = commit
        self._linger = linger
        self._max_events = max_events
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)  # the leader, lingering, waits on it; nobody else does
        self._waiting: list[Request[W, T]] = []
        self._leading = False  # a leader is lingering or committing
        self._groups = 0

    @property
    def groups(self) -> int:
        """Groups taken for a commit so far."""
        with self._lock:
            return self._groups

    @property
    def waiting(self) -> int:
        """Requests waiting for a group (the one being committed is not counted)."""
        with self._lock:
            return len(self._waiting)

    def run(self, request: Request[W, T]) -> T:
        """Commit ``request`` in the next group and return its outcome (or raise its error)."""
        with self._lock:
            self._waiting.append(request)
            if self._leading:
                self._arrived.notify()
                lead = False
            else:
                self._leading = lead = True
        if not lead:
            request._woken.wait()
            if not request._leads:
                return request._result()
        self._lead()
        return request._result()

    def _lead(self) -> None:
        """Gather a group, commit it, wake its members, and hand the lead to the first request that came since."""
        deadline = time.monotonic() + self._linger
        with self._lock:
            while sum(r.size for r in self._waiting) < self._max_events:
                left = deadline - time.monotonic()
                if left <= 0 or not self._arrived.wait(left):
                    break
            group = self._take()
            self._groups += 1
        finish: Finish | None = None
        try:
            finish = self._commit(group)
        except BaseException as exc:  # every member hears of it, and the caller's own request raises it
            self._fail(group, exc)
        with self._lock:
            successor = self._waiting[0] if self._waiting else None
            self._leading = successor is not None
        if successor is not None:
            successor._leads = True
            successor._woken.set()
        if finish is not None:
            try:
                finish()
            except BaseException as exc:
                self._fail(group, exc)
        self._fail(group, RuntimeError("the group commit gave this request no outcome"))
        for request in group:
            request._woken.set()

    @staticmethod
    def _fail(group: Sequence[Request[W, T]], error: BaseException) -> None:
        """Settle with ``error`` every request of the group not settled yet."""
        for request in group:
            request.settle(error=error)

    def _take(self) -> list[Request[W, T]]:
        """The waiting requests, oldest first, up to ``max_events`` (a request larger than that goes alone)."""
        group: list[Request[W, T]] = []
        events = 0
        while self._waiting and (not group or events + self._waiting[0].size <= self._max_events):
            request = self._waiting.pop(0)
            group.append(request)
            events += request.size
        return group
