"""A log kept in memory for testing the rules alone: real signatures, ``apply_event`` over a ``State``, no store.

Each event is decided the way an append transaction decides it: a fresh ``State`` reading the views committed so
far, whose changes are committed only when the event passes. So a refused event leaves the views as they were,
and each accepted event's view changes can be read on their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.errors import LedgerError
from ledger.events import EventPayload, format_time, parse_envelope, sign_event
from ledger.events.builders import Licence, Registrar, genesis_envelope, registration_payload
from ledger.rules import State, apply_event, authenticate
from ledger.rules.state import ViewRow
from signer.keys import SigningKey
from tests.ledger.conftest import ORIGIN, REGISTRAR_ID, make_uscc
from tests.scenarios.world import VALID_UNTIL, Party

Row = dict[str, Any]
Changes = dict[ViewRow, Row | None]


def at_time(payload: EventPayload, moment: datetime) -> EventPayload:
    """``payload`` as signed at ``moment``, for an event logged then (a signer's clock may not be far off)."""
    return dataclasses.replace(payload, time=format_time(moment))


class CommittedViews:
    """The views as the last accepted event left them: what a ``State`` reads through (a ``ViewReader``)."""

    def __init__(self) -> None:
        self.rows: dict[ViewRow, Row] = {}

    def load(self, view: str, key: str) -> Row | None:
        row = self.rows.get((view, key))
        return None if row is None else dict(row)

    def load_many(self, rows: Iterable[ViewRow]) -> dict[ViewRow, Row]:
        return {row: dict(self.rows[row]) for row in rows if row in self.rows}

    def commit(self, changes: Changes) -> None:
        for row, value in changes.items():
            if value is None:
                self.rows.pop(row, None)
            else:
                self.rows[row] = value


class MemoryLog:
    """A log (by default started by a genesis naming one registrar) deciding each event at the time it is given."""

    def __init__(self, *, genesis: bool = True) -> None:
        self.views = CommittedViews()
        self.size = 0
        self.registrar = Party(REGISTRAR_ID, "测试市场监督管理局", SigningKey.from_seed(b"registrar".ljust(32, b"\0")))
        self.log_key = SigningKey.from_seed(b"log".ljust(32, b"\0"))
        self._serial = 100
        if genesis:
            self.decide(self.genesis_payload(), self.log_key)

    def genesis_payload(self, *registrars: Registrar) -> EventPayload:
        """Entry 0 by the log key, naming ``registrars`` (default: the registrar of this log)."""
        named = registrars or (Registrar(REGISTRAR_ID, self.registrar.name, (self.registrar.key.public_key,)),)
        return parse_envelope(genesis_envelope(ORIGIN, self.log_key, named).to_json()).payload

    def decide(self, payload: EventPayload, *keys: SigningKey, at: datetime | None = None) -> str:
        """Sign ``payload`` with ``keys`` (the actor's first) and decide it; its event id."""
        return self.changes(payload, *keys, at=at)[0]

    def changes(self, payload: EventPayload, *keys: SigningKey, at: datetime | None = None) -> tuple[str, Changes]:
        """Sign, authenticate and decide ``payload`` as the next entry, logged ``at`` (default now), and commit it:
        its event id and the view rows it changed."""
        event = parse_envelope(sign_event(payload, list(keys)).to_json())
        state = State(self.views)
        authenticate(state, event)
        apply_event(state, event, self.size, at or datetime.now(UTC))
        changes = state.take_changes()
        self.views.commit(changes)
        self.size += 1
        return event.event_id, changes

    def refuse(self, error: type[LedgerError], payload: EventPayload, *keys: SigningKey, **kw: Any) -> str:
        """Expect exactly ``error`` (not a subclass or a parent) and the views unchanged; the error's detail."""
        before = dict(self.views.rows)
        with pytest.raises(error) as info:
            self.decide(payload, *keys, **kw)
        assert type(info.value) is error, f"expected {error.__name__}, got {type(info.value).__name__}"
        assert self.views.rows == before
        return info.value.detail

    def row(self, view: str, key: str) -> Row:
        row = self.views.load(view, key)
        assert row is not None, f"no {view} row {key}"
        return row

    def absent(self, view: str, key: str) -> bool:
        return self.views.load(view, key) is None

    def register(
        self,
        name: str,
        *roles: str,
        licences: tuple[str, ...] = (),
        prefixes: tuple[str, ...] = (),
        valid_until: str = VALID_UNTIL,
    ) -> Party:
        """A new actor with one key, registered by the genesis registrar, its licences valid until ``valid_until``."""
        self._serial += 1
        party = Party(make_uscc(self._serial), name, SigningKey.from_seed(self._serial.to_bytes(32, "big")))
        licensed = [Licence(kind, f"{kind.upper()}-{self._serial}", valid_until) for kind in licences]
        payload = registration_payload(
            self.registrar.key, party.id, name, roles, [party.key.public_key], licences=licensed, gs1_prefixes=prefixes
        )
        self.decide(payload, self.registrar.key)
        return party
