"""The product page's credit lines: the producer and the sellers of the goods, each linked to its credit page
(``/actor/<USCC>``) with its credit level and its red or black listing.

Sellers are the merchants that listed the batch and whoever dispatched the page's goods to a consumer. Red-listed
sellers come first (the red list's consequence "in ordering" where the portal lists sellers), then the rest in the
order the log met them. A name is bound to the registration of the key that signed the party's production, listing
or dispatch in the page's bundle; levels are not in the bundle, so the page marks them unverified.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.events import ParsedEvent
from ledger.events.schemas import Dispatch
from ledger.rules.views import PARCELS, BatchRow
from ledger.store.credit import CreditRecord, credit_records
from ledger.store.ledger import LogReads
from verify_portal.i18n import Texts
from verify_portal.shown import Shown, entry


@dataclass(frozen=True)
class PartyCredit:
    role: str
    actor_id: str
    name: Shown
    level: Shown
    red: bool
    black: bool


def red_first(actor_ids: Iterable[str], records: dict[str, CreditRecord]) -> list[str]:
    """``actor_ids`` once each, those on the red list now first, otherwise in their order."""
    unique = list(dict.fromkeys(actor_ids))
    return sorted(unique, key=lambda a: not (a in records and records[a].listed("red")))


def _party(role: str, actor_id: str, signed: str | None, records: dict[str, CreditRecord], texts: Texts
           ) -> PartyCredit:  # fmt: skip
    """A party's line; its name bound to the registration of the key that signed ``signed`` (an event of the
    page's bundle), so the browser flags a name the verified registration does not carry."""
    record = records.get(actor_id)
    level = record.file["level"]["level"] if record else "B"
    name = record.name or actor_id if record else actor_id
    return PartyCredit(
        role, actor_id, Shown(name, entry(signed, "data.name", via="signer") if signed else None),
        Shown(texts("credit_level_value", level=level)), bool(record and record.listed("red")),
        bool(record and record.listed("black")),
    )  # fmt: skip


def party_credit(ledger: LogReads, batch: BatchRow, events: Iterable[ParsedEvent], texts: Texts) -> list[PartyCredit]:
    """The producer, then the sellers (red-listed first), with their credit."""
    events = list(events)
    present = {e.event_id for e in events}
    parcels = [e.payload.subject for e in events if isinstance(e.data, Dispatch) and e.data.consignee_key]
    signed_by: dict[str, str] = {}  # a seller → an event of the bundle it signed
    for mark in batch["listings"]:
        signed_by.setdefault(mark["merchant"], mark["event"])
    for row in ledger.view_rows(PARCELS, parcels).values():
        signed_by.setdefault(row["sender"], row["dispatch"])
    records = credit_records(ledger, [batch["producer"], *signed_by], datetime.now(UTC))
    chosen = [s for s in red_first(signed_by, records) if s != batch["producer"]]
    production = batch["production"] if batch["production"] in present else None
    return [
        _party(texts("party_producer"), batch["producer"], production, records, texts),
        *(
            _party(texts("party_seller"), seller, signed_by[seller] if signed_by[seller] in present else None,
                   records, texts)
            for seller in chosen
        ),
    ]  # fmt: skip
