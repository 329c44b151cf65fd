"""The credit documents the API answers with: an actor's credit record, and the public lists of sanctions.

The file's sections and levels are answered as the ledger stores them (``ledger.rules.views``); what depends on
the time of the request (a sanction's status, a licence's validity, the level now) is computed at that time.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from ledger.events import format_time
from ledger.rules.views import CreditLevel, CreditSections, LiftMark
from ledger.store.credit import CreditRecord, Disclosed, SanctionStatus


class LicenceNow(msgspec.Struct):
    type: str
    number: str
    valid_until: str
    valid: bool  # at the time of the request


class SanctionNow(msgspec.Struct):
    event: str  # the sanction event
    list_: str = msgspec.field(name="list")  # black or red
    by: str  # the regulator's USCC
    since: str  # when it was logged
    until: str | None
    reason: str
    finding: str | None  # the risk finding it acts on
    lifted: LiftMark | None
    status: str  # in_force, expired or lifted, at the time of the request


class CreditRecordResponse(msgspec.Struct):
    """``GET /v1/actors/{id}/record``: an actor's credit file, its level as stored and as of now."""

    actor: str  # USCC
    name: str | None  # None: the log names the actor but never registered it
    registered_by: str | None  # the registrar of its latest registration (None: named by the genesis entry)
    roles: list[str]
    licences: list[LicenceNow]
    as_of: str  # the logged_at of the latest entry that touched the file
    touched_by: str  # that entry's event id
    level: CreditLevel  # as stored, judged as of as_of
    now: str  # the time of the request
    level_now: CreditLevel  # the same rule judged now
    red_listed: bool  # now
    black_listed: bool  # now
    sanctions: list[SanctionNow]  # newest first
    sections: CreditSections  # every fact of the file, each with its event


class DisclosedSanction(msgspec.Struct):
    actor: str
    name: str | None
    sanction: SanctionNow


class SanctionList(msgspec.Struct):
    """``GET /v1/sanctions``: sanctions ever filed, newest first, lifted and expired ones too."""

    now: str
    sanctions: list[DisclosedSanction]


def _sanction(status: SanctionStatus) -> SanctionNow:
    fact = status.fact
    return SanctionNow(
        fact["event"], fact["list"], fact["by"], fact["at"], fact["until"], fact["reason"], fact["finding"],
        fact["lifted"], status.status,
    )  # fmt: skip


def credit_record_response(record: CreditRecord) -> CreditRecordResponse:
    registration = record.registration
    return CreditRecordResponse(
        actor=record.actor_id, name=record.name, registered_by=registration["by"] if registration else None,
        roles=list(record.actor["roles"]) if record.actor else [],
        licences=[LicenceNow(lc.licence["type"], lc.licence["number"], lc.licence["valid_until"], lc.valid)
                  for lc in record.licences],
        as_of=record.file["as_of"], touched_by=record.file["touched_by"], level=record.file["level"],
        now=format_time(record.at), level_now=record.level_now, red_listed=bool(record.listed("red")),
        black_listed=bool(record.listed("black")), sanctions=[_sanction(s) for s in record.sanctions],
        sections=record.file["sections"],
    )  # fmt: skip


def sanction_list(disclosed: list[Disclosed], at: datetime) -> SanctionList:
    return SanctionList(
        format_time(at), [DisclosedSanction(d.actor_id, d.name, _sanction(d.sanction)) for d in disclosed]
    )
