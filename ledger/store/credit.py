"""Reading credit files: one actor's record as of an instant, and the public lists of red and black sanctions.

The stored file's level is judged as of the file's own ``as_of`` (so a replay derives it again); a reader also
wants it now, since a sanction's ``until`` or a licence's validity may have passed since. Both come from the one
rule, ``ledger.rules.credit``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ledger.errors import NotFound
from ledger.identifiers import validate_uscc
from ledger.rules.credit import credit_level, licence_valid, sanction_status
from ledger.rules.views import (
    ACTORS,
    CREDIT,
    EVENTS,
    ActorRow,
    CreditLevel,
    CreditRow,
    LicenceRow,
    RegistrationFact,
    SanctionFact,
)
from ledger.store.ledger import LogReads
from ledger.store.tables import VIEWS


@dataclass(frozen=True)
class SanctionStatus:
    """A sanction as filed, with its status (``in_force``, ``expired`` or ``lifted``) at the reading's instant."""

    fact: SanctionFact
    status: str


@dataclass(frozen=True)
class LicenceStatus:
    licence: LicenceRow
    valid: bool  # at the reading's instant


@dataclass(frozen=True)
class CreditRecord:
    """An actor's credit file, and what it says at ``at``."""

    actor_id: str
    actor: ActorRow | None  # None: the log names the actor (a complaint about it) but never registered it
    file: CreditRow
    at: datetime
    level_now: CreditLevel
    registration: RegistrationFact | None  # the latest
    licences: list[LicenceStatus]
    sanctions: list[SanctionStatus]  # newest first

    @property
    def name(self) -> str | None:
        return None if self.actor is None else self.actor["name"]

    def listed(self, list_: str) -> list[SanctionStatus]:
        """The sanctions of ``list_`` (red or black) in force at ``at``."""
        return [s for s in self.sanctions if s.fact["list"] == list_ and s.status == "in_force"]


def record_of(actor: ActorRow | None, file: CreditRow, at: datetime) -> CreditRecord:
    sections = file["sections"]
    registrations = sections.get("registrations", [])
    latest = registrations[-1] if registrations else None
    licences = latest["licences"] if latest else []
    return CreditRecord(
        actor_id=file["actor"], actor=actor, file=file, at=at, level_now=credit_level(sections, at),
        registration=latest,
        licences=[LicenceStatus(lc, licence_valid(lc["valid_until"], at)) for lc in licences],
        sanctions=[SanctionStatus(s, sanction_status(s, at)) for s in reversed(sections.get("sanctions", []))],
    )  # fmt: skip


def credit_record(ledger: LogReads, actor_id: str, at: datetime) -> CreditRecord:
    """The credit file of ``actor_id`` (a USCC, else ``InvalidIdentifier``) read at ``at``; ``NotFound`` when the
    log holds nothing about it."""
    actor_id = validate_uscc(actor_id)
    file = ledger.view(CREDIT, actor_id)
    if file is None:
        raise NotFound(f"the log holds no credit file of {actor_id}")
    return record_of(ledger.view(ACTORS, actor_id), file, at)


def credit_records(ledger: LogReads, actor_ids: list[str], at: datetime) -> dict[str, CreditRecord]:
    """The credit records of those of ``actor_ids`` that have one (for a page naming several actors)."""
    files = ledger.view_rows(CREDIT, actor_ids)
    actors = ledger.view_rows(ACTORS, list(files))
    return {key: record_of(actors.get(key), file, at) for key, file in files.items()}


@dataclass(frozen=True)
class Disclosed:
    """One sanction on a public list, with the actor it names."""

    actor_id: str
    name: str | None
    sanction: SanctionStatus


def disclosure(ledger: LogReads, list_: str | None, at: datetime) -> list[Disclosed]:
    """Every sanction ever filed (of ``list_``, red or black, when given), lifted and expired ones too, each with
    its status at ``at``, newest (latest logged) first."""
    with ledger.reading() as conn:
        rows = conn.execute(select(VIEWS.c.key, VIEWS.c.value).where(VIEWS.c.view == CREDIT)).all()
    files: dict[str, CreditRow] = {key: json.loads(value) for key, value in rows}
    sanctioned = [key for key, file in files.items() if file["sections"].get("sanctions")]
    actors = ledger.view_rows(ACTORS, sanctioned)
    found = [
        Disclosed(key, actors[key]["name"] if key in actors else None, status)
        for key in sanctioned
        for status in record_of(actors.get(key), files[key], at).sanctions
        if list_ is None or status.fact["list"] == list_
    ]
    logged = ledger.view_rows(EVENTS, [d.sanction.fact["event"] for d in found])
    return sorted(found, key=lambda d: logged[d.sanction.fact["event"]]["index"], reverse=True)
