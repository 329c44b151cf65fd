"""Group commit (issue 14): concurrent appends share a transaction and a checkpoint, and each keeps its own answer.

The ledger tests run real threads against a real ledger on SQLite and PostgreSQL. To know which requests form a
group, a test holds the ledger's append lock (as a long commit would) while the requests queue up behind it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from ledger.errors import EventConflict, LedgerError, UnknownKey
from ledger.events import parse_envelope, sign_event
from ledger.events.builders import registration_payload
from ledger.store.ledger import AppendResult
from ledger.store.sequencer import Finish, Request, Sequencer
from signer.keys import SigningKey
from tests.ledger.conftest import LedgerFixture, make_uscc
from tests.ledger.store.test_full_disk import audit_clean

Outcome = list[AppendResult] | LedgerError


def concurrently(fixture: LedgerFixture, batches: Sequence[list[dict[str, Any]]]) -> list[Outcome]:
    """Append each batch from a thread of its own while the append lock is held, so that all of them are waiting
    when it is released: the first thread's batch commits alone, the others together in the next group."""
    ledger = fixture.ledger
    outcomes: list[Outcome | None] = [None] * len(batches)

    def submit(n: int) -> None:
        try:
            outcomes[n] = ledger.append(batches[n])
        except LedgerError as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(len(batches))]
    groups = ledger._sequencer.groups
    with ledger._append_lock:  # held as a slow commit would hold it: a known group forms
        threads[0].start()
        _until(lambda: ledger._sequencer.groups == groups + 1)  # the first took its group and waits for the lock
        for thread in threads[1:]:
            thread.start()
        _until(lambda: ledger._sequencer.waiting == len(batches) - 1)
    for thread in threads:
        thread.join(timeout=60)
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the threads did not queue up"
        time.sleep(0.001)


def event_id_of(envelope: dict[str, Any]) -> str:
    return parse_envelope(envelope).event_id


def checkpoint_sizes(fixture: LedgerFixture) -> list[int]:
    return [checkpoint.size for checkpoint in fixture.ledger.checkpoints()]


def test_concurrent_appends_share_a_checkpoint_and_each_gets_its_own_result(ledger_fixture: LedgerFixture) -> None:
    before = ledger_fixture.ledger.size()
    envelopes = [ledger_fixture.registration(n) for n in range(1, 21)]
    outcomes = concurrently(ledger_fixture, [[e] for e in envelopes])

    results = [outcome[0] for outcome in outcomes if isinstance(outcome, list)]
    assert len(results) == len(envelopes)
    for envelope, result in zip(envelopes, results, strict=True):
        assert result.created
        assert ledger_fixture.ledger.entry(result.leaf_index).event_id == result.event_id
        assert ledger_fixture.ledger.entry_by_event_id(result.event_id).leaf_hash == result.leaf_hash
        assert result.event_id == event_id_of(envelope)
    assert sorted(r.leaf_index for r in results) == list(range(before, before + 20))
    # Two transactions: the first request alone, then the 19 that waited, under one checkpoint of the whole log.
    assert checkpoint_sizes(ledger_fixture)[-2:] == [before + 1, before + 20]
    assert {r.checkpoint_size for r in results[1:]} == {before + 20}
    audit_clean(ledger_fixture)


def test_an_event_the_rules_refuse_fails_only_its_own_request(ledger_fixture: LedgerFixture) -> None:
    before = ledger_fixture.ledger.size()
    good = [ledger_fixture.registration(n) for n in range(1, 11)]
    # A registration signed by a key the log does not know: refused when deciding, as the key might have been
    # registered by an event decided just before it.
    stranger = SigningKey.from_seed(b"stranger".ljust(32, b"\0"))
    payload = registration_payload(stranger, make_uscc(99), "冒名登记", ["merchant"], [stranger.public_key])
    again = sign_event(payload, [stranger]).to_json()
    batches = [[e] for e in good[:5]] + [[again]] + [[e] for e in good[5:]]
    outcomes = concurrently(ledger_fixture, batches)

    refused = outcomes[5]
    assert isinstance(refused, UnknownKey)
    logged = [o[0] for n, o in enumerate(outcomes) if n != 5 and isinstance(o, list)]
    assert len(logged) == 10
    assert all(r.created for r in logged)
    assert ledger_fixture.ledger.size() == before + 10
    assert event_id_of(again) not in {e.event_id for e in ledger_fixture.ledger.entries(0, before + 10)}
    assert checkpoint_sizes(ledger_fixture)[-1] == before + 10
    audit_clean(ledger_fixture)


def test_the_same_envelope_sent_concurrently_is_logged_once_and_answered_twice(ledger_fixture: LedgerFixture) -> None:
    before = ledger_fixture.ledger.size()
    envelope = ledger_fixture.registration(1)
    outcomes = concurrently(ledger_fixture, [[ledger_fixture.registration(2)], [envelope], [envelope]])

    assert isinstance(outcomes[1], list)
    assert isinstance(outcomes[2], list)
    # Which of the two threads queued first is up to the scheduler: one is logged, the other answered as a replay.
    first, second = sorted((outcomes[1], outcomes[2]), key=lambda o: not o[0].created)
    assert first[0].created
    assert not second[0].created
    assert (second[0].leaf_index, second[0].leaf_hash) == (first[0].leaf_index, first[0].leaf_hash)
    assert second[0].checkpoint_size == first[0].checkpoint_size == before + 2
    assert ledger_fixture.ledger.size() == before + 2


def test_one_event_signed_two_ways_at_once_is_logged_once_and_the_other_is_a_conflict(
    ledger_fixture: LedgerFixture,
) -> None:
    payload = registration_payload(
        ledger_fixture.registrar, make_uscc(1), "测试商户 1", ["merchant"], [SigningKey.generate().public_key]
    )
    once = sign_event(payload, [ledger_fixture.registrar]).to_json()
    other_signer = SigningKey.from_seed(b"co-signer".ljust(32, b"\0"))
    twice = sign_event(payload, [ledger_fixture.registrar, other_signer]).to_json()
    outcomes = concurrently(ledger_fixture, [[ledger_fixture.registration(2)], [once], [twice]])

    # Whichever queued first is logged (the scheduler decides); the other is a conflict, and nothing else.
    logged = [o for o in outcomes[1:] if isinstance(o, list)]
    assert len(logged) == 1
    assert logged[0][0].created
    assert sum(isinstance(o, EventConflict) for o in outcomes[1:]) == 1
    assert ledger_fixture.ledger.entry_by_event_id(event_id_of(once)).leaf_index == logged[0][0].leaf_index
    audit_clean(ledger_fixture)


# ---- the sequencer alone -----------------------------------------------------------------------------------


def run_group(sequencer: Sequencer[int, int], works: Sequence[int], hold: threading.Lock) -> list[int | BaseException]:
    """Run each work from a thread of its own, all queued behind ``hold`` before the second group is committed."""
    outcomes: list[int | BaseException] = [0] * len(works)

    def submit(n: int) -> None:
        try:
            outcomes[n] = sequencer.run(Request(works[n], 1))
        except BaseException as exc:  # the outcome under test
            outcomes[n] = exc

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(len(works))]
    with hold:
        threads[0].start()
        _until(lambda: sequencer.groups == 1)
        for thread in threads[1:]:
            thread.start()
        _until(lambda: sequencer.waiting == len(works) - 1)
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_each_request_of_a_group_gets_the_outcome_the_commit_gave_it() -> None:
    hold = threading.Lock()
    groups: list[list[int]] = []

    def commit(group: Sequence[Request[int, int]]) -> Finish:
        with hold:
            groups.append([r.work for r in group])
        for request in group:
            if request.work % 3 == 0:
                request.settle(error=ValueError(f"{request.work} is refused"))
            else:
                request.settle(request.work * 10)
        return nothing_more

    sequencer: Sequencer[int, int] = Sequencer(commit, linger=0.0, max_events=100)
    outcomes = run_group(sequencer, list(range(1, 9)), hold)
    assert [len(g) for g in groups] == [1, 7]
    for work, outcome in zip(range(1, 9), outcomes, strict=True):
        if work % 3 == 0:
            assert isinstance(outcome, ValueError)
            assert str(outcome) == f"{work} is refused"
        else:
            assert outcome == work * 10


def test_a_failing_commit_fails_every_request_of_its_group_and_not_the_next() -> None:
    hold = threading.Lock()
    calls: list[int] = []

    def commit(group: Sequence[Request[int, int]]) -> Finish:
        with hold:
            calls.append(len(group))
        if len(calls) == 2:
            raise OSError("the database went away")
        for request in group:
            request.settle(request.work)
        return nothing_more

    sequencer: Sequencer[int, int] = Sequencer(commit, linger=0.0, max_events=100)
    outcomes = run_group(sequencer, [1, 2, 3, 4], hold)
    assert outcomes[0] == 1
    assert all(isinstance(o, OSError) for o in outcomes[1:])
    assert sequencer.run(Request(5, 1)) == 5  # the sequencer goes on


def test_a_group_holds_at_most_max_events() -> None:
    hold = threading.Lock()
    sizes: list[int] = []

    def commit(group: Sequence[Request[int, int]]) -> Finish:
        with hold:
            sizes.append(sum(r.size for r in group))
        for request in group:
            request.settle(request.work)
        return nothing_more

    sequencer: Sequencer[int, int] = Sequencer(commit, linger=0.0, max_events=4)
    outcomes = run_group(sequencer, list(range(11)), hold)
    assert outcomes == list(range(11))
    assert sizes == [1, 4, 4, 2]


def test_the_next_group_commits_while_the_last_one_finishes_and_a_failing_finish_fails_its_group() -> None:
    hold = threading.Lock()
    second_committed = threading.Event()
    commits: list[list[int]] = []

    def commit(group: Sequence[Request[int, int]]) -> Finish:
        with hold:
            commits.append([r.work for r in group])
        if len(commits) == 2:
            second_committed.set()
        if len(commits) == 3:  # the third group's finish fails

            def fail() -> None:
                raise OSError("the high-water file could not be written")

            return fail

        def finish() -> None:
            if len(commits) == 1:  # the first group's finish waits until the next group has committed
                assert second_committed.wait(timeout=30)
            for request in group:
                request.settle(request.work)

        return finish

    sequencer: Sequencer[int, int] = Sequencer(commit, linger=0.0, max_events=100)
    outcomes = run_group(sequencer, [1, 2, 3], hold)
    assert outcomes == [1, 2, 3]
    assert commits == [[1], [2, 3]]
    with pytest.raises(OSError, match="high-water"):
        sequencer.run(Request(4, 1))
    assert sequencer.run(Request(5, 1)) == 5


def nothing_more() -> None:
    """The finish step of a commit that settled every request itself."""


def test_a_request_the_commit_forgot_is_not_left_waiting() -> None:
    sequencer: Sequencer[int, int] = Sequencer(lambda group: nothing_more, linger=0.0, max_events=4)
    with pytest.raises(RuntimeError, match="no outcome"):
        sequencer.run(Request(1, 1))
