"""The witness's state database: a refused decision stores nothing, and a stored state is durable and per log."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import LedgerStateError
from witness.state import Witnessed, WitnessState

ROOT = bytes(range(32))


def _state(origin: str, size: int) -> Witnessed:
    return Witnessed(origin, size, ROOT, 1_700_000_000 + size, f"{origin}\n{size}\n")


def test_advance_stores_per_origin_and_survives_reopening(tmp_path: Path) -> None:
    state = WitnessState(tmp_path / "w.db")
    assert state.latest("a.example/log") is None
    seen: list[Witnessed | None] = []

    def to(size: int, origin: str = "a.example/log") -> Witnessed:
        def decide(latest: Witnessed | None) -> Witnessed:
            seen.append(latest)
            return _state(origin, size)

        return state.advance(origin, decide)

    to(3)
    to(9)
    to(4, "b.example/log")
    assert seen == [None, _state("a.example/log", 3), None]
    reopened = WitnessState(tmp_path / "w.db")
    assert reopened.latest("a.example/log") == _state("a.example/log", 9)
    assert reopened.latest("b.example/log") == _state("b.example/log", 4)


def test_a_refused_decision_stores_nothing(tmp_path: Path) -> None:
    state = WitnessState(tmp_path / "w.db")
    state.advance("a.example/log", lambda _: _state("a.example/log", 3))

    def refuse(_: Witnessed | None) -> Witnessed:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        state.advance("a.example/log", refuse)
    with pytest.raises(LedgerStateError, match="cannot replace"):
        state.advance("a.example/log", lambda _: _state("b.example/log", 5))
    assert state.latest("a.example/log") == _state("a.example/log", 3)
    assert state.latest("b.example/log") is None


def test_an_unusable_state_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "w.db").write_bytes(b"not a database" * 100)
    with pytest.raises(LedgerStateError, match=r"w\.db"):
        WitnessState(tmp_path / "w.db")
