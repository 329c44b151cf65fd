"""The State the rules read and write (ledger.rules.state): a read-through cache that records what changed."""

from __future__ import annotations

from ledger.rules import State
from tests.ledger.rules.memory import CommittedViews


def test_a_state_without_a_reader_starts_empty_and_records_its_changes() -> None:
    state = State()
    assert state.get("batches", "b") is None
    state.put("batches", "b", {"quantity": 1})
    state.put("spends", "s", {"by": "e"})
    state.put("spends", "s", None)
    assert state.get("batches", "b") == {"quantity": 1}
    assert state.get("spends", "s") is None
    assert state.take_changes() == {("batches", "b"): {"quantity": 1}, ("spends", "s"): None}
    assert state.take_changes() == {}


def test_reads_go_through_to_the_reader_once_and_writes_do_not() -> None:
    views = CommittedViews()
    views.commit({("actors", "a"): {"id": "a"}})
    state = State(views)
    state.prefetch([("actors", "a"), ("actors", "missing")])
    views.commit({("actors", "a"): {"id": "changed behind the state's back"}, ("actors", "missing"): {"id": "m"}})
    assert state.get("actors", "a") == {"id": "a"}  # cached by the prefetch
    assert state.get("actors", "missing") is None  # a miss is cached too
    state.put("actors", "a", {"id": "a", "roles": []})
    assert views.rows[("actors", "a")] == {"id": "changed behind the state's back"}
    assert state.take_changes() == {("actors", "a"): {"id": "a", "roles": []}}
