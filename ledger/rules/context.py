"""What every rule needs: the event being decided, the state, and the checks on who signed it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TypeVar

from ledger.errors import (
    BlackListed,
    KeyExpired,
    KeyRevoked,
    LicenceMissing,
    NotAuthorized,
    UnknownActor,
    UnknownKey,
    WrongParents,
)
from ledger.events import ParsedEvent, format_time, parse_time
from ledger.events.schemas import EventData
from ledger.rules.state import State
from ledger.rules.views import ACTORS, KEYS, SANCTIONS, ActorRow, KeyRow, SanctionsRow

D = TypeVar("D", bound=EventData)


def black_listed(sanctions: SanctionsRow | None, at: datetime) -> bool:
    """Whether a ``sanctions`` row holds a black-list sanction in force at ``at``."""
    return sanctions is not None and any(
        s["list"] == "black" and (s.get("until") is None or parse_time(s["until"], "until") > at)
        for s in sanctions["active"]
    )


@lru_cache(maxsize=4)  # one log time per batch, asked for by many rows
def _stamp(moment: datetime) -> str:
    return format_time(moment)


@dataclass(frozen=True)
class Context:
    """One event being decided at log position ``index``, logged at ``logged_at``."""

    state: State
    event: ParsedEvent
    index: int
    logged_at: datetime

    def data(self, model: type[D]) -> D:
        """The event's data as ``model``, the schema of the kind the rule decides."""
        return self.event.data_as(model)

    @property
    def subject(self) -> str:
        return self.event.payload.subject

    @property
    def event_id(self) -> str:
        return self.event.event_id

    @property
    def signer_kid(self) -> str:
        return self.event.payload.actor

    @property
    def stamp(self) -> str:
        """The log time as stored in view rows (RFC 3339, seconds)."""
        return _stamp(self.logged_at)

    def at_or_before_now(self, stamp: str | None) -> bool:
        """True when ``stamp`` (an RFC 3339 time) is not after the log time."""
        return stamp is not None and parse_time(stamp, "stored time") <= self.logged_at

    def parents(self, count: int | None = None) -> tuple[str, ...]:
        parents = self.event.payload.parents
        if count is not None and len(parents) != count:
            raise WrongParents(f"a {self.event.payload.kind} event has {count} parent(s), not {len(parents)}")
        return parents

    # ---- signers -------------------------------------------------------------------------------------------

    def key_row(self, kid: str) -> KeyRow:
        """A registered key that is valid now: not revoked, not expired."""
        key = self.state.get(KEYS, kid)
        if key is None:
            raise UnknownKey(f"key {kid} is not registered to any actor")
        if self.at_or_before_now(key.get("revoked_at")):
            raise KeyRevoked(f"key {kid} was revoked at {key['revoked_at']}")
        until = key.get("valid_until")
        if until is not None and not parse_time(until, "valid_until") > self.logged_at:
            raise KeyExpired(f"key {kid} was valid until {until}")
        return key

    def registered_signer(self, *roles: str) -> ActorRow:
        """The actor whose valid registered key signed, holding one of ``roles`` (any role when none given)."""
        actor = self.actor_row(self.key_row(self.signer_kid)["actor"])
        if roles and not set(roles) & set(actor["roles"]):
            raise NotAuthorized(f"actor {actor['id']} is not a {' or '.join(roles)}")
        return actor

    def actor_row(self, actor_id: str) -> ActorRow:
        actor = self.state.get(ACTORS, actor_id)
        if actor is None:
            raise UnknownActor(f"actor {actor_id} is not registered")
        return actor

    def only_signed_by_actor(self) -> None:
        """Most kinds carry exactly one signature: the actor's."""
        extra = [s.keyid for s in self.event.envelope.signatures if s.keyid != self.signer_kid]
        if extra:
            raise NotAuthorized(f"unexpected co-signature by key {extra[0]}")

    def not_black_listed(self, actor: ActorRow) -> None:
        if black_listed(self.state.get(SANCTIONS, actor["id"]), self.logged_at):
            raise BlackListed(f"actor {actor['id']} is on the black list")

    def holds_licence(self, actor: ActorRow, licence_type: str | None) -> None:
        if licence_type is None:
            return
        for licence in actor["licences"]:
            if licence["type"] == licence_type and not self.at_or_before_now(licence["valid_until"]):
                return
        raise LicenceMissing(f"actor {actor['id']} holds no valid {licence_type} licence")
