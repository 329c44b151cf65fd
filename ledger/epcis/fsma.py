"""The FSMA 204 electronic sortable spreadsheet (21 CFR 1.1455(c)(3)(ii)): one row per critical tracking event
(CTE) of a lot, with its key data elements (KDEs), and the KDEs the log does not hold named in ``missing_kdes``.

The CTEs the ledger records: a production is the lot's *Transformation* (a new traceability lot code assigned; the
input lots are its parents), or its *Initial packing* when an agricultural product is made from no recorded input;
a production stating the quantity it used of an input lot is also a *Transformation* row of that input lot (its
quantity the quantity used, ``new_traceability_lot_code`` the lot made of it);
a dispatch is *Shipping*, and the arrival of a parcel at the actor it was sent to (or a refused one back at its
sender; for a case on a pallet, the pallet's arrival there) *Receiving*. Courier handoffs are not CTEs
(transporters are excluded), nor are a consumer's receipt and the shipment to a consumer's key (sales to consumers
are outside the rule), but the latter is listed as Shipping to "consumer", so that the lot's whole quantity is
accounted for. The traceability lot code is the GS1 lot (AI 10),
its source the producer; the reference document is the signed log entry itself (its event id).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from ledger.epcis.uris import company_gln
from ledger.events import LogEntry, ParsedEvent
from ledger.events.schemas import Dispatch, Handoff, Production
from ledger.identifiers import parse_subject
from ledger.rules.views import ACTORS, BATCHES, KEYS, PARCELS, ActorRow, BatchRow, ParcelRow
from ledger.store.ledger import Ledger, StoredEntry

COLUMNS = (
    "cte", "event_time", "traceability_lot_code", "gtin", "product_description", "quantity", "unit_of_measure",
    "location", "traceability_lot_code_source", "immediate_previous_source", "immediate_subsequent_recipient",
    "input_traceability_lot_codes", "new_traceability_lot_code", "reference_document_type", "reference_document_number",
    "missing_kdes",
)  # fmt: skip
_COMMON = ("traceability_lot_code", "product_description", "quantity", "unit_of_measure", "location", "event_time",
           "reference_document_type", "reference_document_number")  # fmt: skip
#: The KDEs each CTE must have (21 CFR 1.1330, 1.1340, 1.1345, 1.1350).
REQUIRED_KDES: dict[str, tuple[str, ...]] = {
    "Initial packing": _COMMON,
    "Transformation": (*_COMMON, "input_traceability_lot_codes"),
    "Shipping": (*_COMMON, "traceability_lot_code_source", "immediate_subsequent_recipient"),
    "Receiving": (*_COMMON, "traceability_lot_code_source", "immediate_previous_source"),
}
REFERENCE_DOCUMENT = "traceledger signed log entry"
CONSUMER = "consumer"


class _Parties:
    """Location descriptions of the actors the rows name: business name, USCC, GLN where known, and the place."""

    def __init__(self, actors: Mapping[str, ActorRow]) -> None:
        self._actors = actors

    def describe(self, actor_id: str | None, place: str | None = None) -> str:
        if actor_id is None:
            return ""
        actor = self._actors.get(actor_id)
        parts = [actor["name"] if actor else "", f"USCC {actor_id}"]
        if actor and actor["gs1_prefixes"]:
            parts.append(f"GLN {company_gln(actor['gs1_prefixes'][0])}")
        return ", ".join(p for p in [*parts, place or ""] if p)


def _row(cte: str, entry: StoredEntry, event: ParsedEvent, batch_path: str, batch: BatchRow | None,
         **kdes: str) -> dict[str, str]:  # fmt: skip
    subject = parse_subject(batch_path)
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        cte=cte, event_time=event.payload.time, traceability_lot_code=subject.lot or "", gtin=subject.gtin or "",
        product_description=batch["product"] if batch else "", unit_of_measure=batch["unit"] if batch else "",
        reference_document_type=REFERENCE_DOCUMENT, reference_document_number=entry.event_id, **kdes,
    )  # fmt: skip
    row["missing_kdes"] = ";".join(k for k in REQUIRED_KDES[cte] if not row[k])
    return row


class _Sheet:
    def __init__(self, ledger: Ledger, events: list[tuple[StoredEntry, ParsedEvent]]) -> None:
        kids = {event.payload.actor for _, event in events}
        self.actor_of = {kid: row["actor"] for kid, row in ledger.view_rows(KEYS, kids).items()}
        self.parcels: dict[str, ParcelRow] = ledger.view_rows(PARCELS, {e.payload.subject for _, e in events})
        cases = {case for row in self.parcels.values() for case in row.get("cases", [])}
        self.parcels.update(ledger.view_rows(PARCELS, cases))
        lots = {e.payload.subject for _, e in events if e.payload.kind == "production"}
        lots |= {i.batch for _, e in events if isinstance(e.data, Production) for i in e.data.inputs or ()}
        lots |= {c["batch"] for parcel in self.parcels.values() for c in parcel["contents"]}
        self.batches: dict[str, BatchRow] = ledger.view_rows(BATCHES, lots)
        inputs = {i for b in self.batches.values() for i in b.get("inputs", [])}
        self.input_lots = {e.event_id: e.subject for e in ledger.entries_by_event_ids(inputs)}
        parties = set(self.actor_of.values()) | {b["producer"] for b in self.batches.values()}
        parties |= {p for parcel in self.parcels.values() for p in (parcel["sender"], parcel["to"]) if p}
        self.parties = _Parties(ledger.view_rows(ACTORS, parties))

    def source(self, batch_path: str) -> str:
        """The traceability lot code source: who produced the lot, and where."""
        batch = self.batches.get(batch_path)
        return self.parties.describe(batch["producer"], None) if batch else ""

    def rows(self, entry: StoredEntry, event: ParsedEvent) -> list[dict[str, str]]:
        data = event.data
        signer = self.actor_of.get(event.payload.actor)
        if isinstance(data, Production):
            return self._production(entry, event, data, signer)
        parcel = self.parcels.get(event.payload.subject)
        if parcel is None:
            return []
        if isinstance(data, Dispatch):
            recipient = self.parties.describe(data.to) if data.to else CONSUMER
            return [
                _row("Shipping", entry, event, c.batch, self.batches.get(c.batch), quantity=str(c.quantity),
                     location=self.parties.describe(signer, data.location), traceability_lot_code_source=self.source(
                         c.batch), immediate_subsequent_recipient=recipient)
                for c in data.contents
            ]  # fmt: skip
        if not isinstance(data, Handoff) or signer is None:
            return []
        if "cases" in parcel:  # a pallet's arrival is the receiving of each case it delivered
            arrived = [self.parcels[c] for c in parcel["cases"] if self._delivered_by(c, entry.event_id)]
            return [row for case in arrived for row in self._receiving(entry, event, data, case, signer)]
        if signer in (parcel["to"], parcel["sender"]):
            return self._receiving(entry, event, data, parcel, signer)
        return []

    def _delivered_by(self, case: str, event_id: str) -> bool:
        row = self.parcels.get(case)
        return row is not None and row["status"] == "delivered" and row["handoffs"][-1:] == [event_id]

    def _receiving(self, entry: StoredEntry, event: ParsedEvent, data: Handoff, parcel: ParcelRow, signer: str
                   ) -> list[dict[str, str]]:  # fmt: skip
        previous = parcel["sender"] if signer == parcel["to"] else data.from_
        return [
            _row("Receiving", entry, event, c["batch"], self.batches.get(c["batch"]), quantity=str(c["quantity"]),
                 location=self.parties.describe(signer, data.location), traceability_lot_code_source=self.source(
                     c["batch"]), immediate_previous_source=self.parties.describe(previous))
            for c in parcel["contents"]
        ]  # fmt: skip

    def _production(self, entry: StoredEntry, event: ParsedEvent, data: Production, signer: str | None
                    ) -> list[dict[str, str]]:  # fmt: skip
        """The new lot's Transformation (or Initial packing) row, and one Transformation row for each input lot
        whose quantity it used, so that each input lot's own sheet shows where that quantity went."""
        lot = event.payload.subject
        new_lot = parse_subject(lot).lot or ""
        inputs = sorted(parse_subject(self.input_lots[p]).lot or "" for p in event.payload.parents
                        if p in self.input_lots)  # fmt: skip
        cte = "Initial packing" if not inputs and data.category == "agricultural_product" else "Transformation"
        here = self.parties.describe(signer, data.place)
        made = _row(cte, entry, event, lot, self.batches.get(lot), quantity=str(data.quantity), location=here,
                    traceability_lot_code_source=here, input_traceability_lot_codes=";".join(inputs),
                    new_traceability_lot_code=new_lot if inputs else "")  # fmt: skip
        used = [
            _row("Transformation", entry, event, i.batch, self.batches.get(i.batch), quantity=str(i.quantity),
                 location=here, traceability_lot_code_source=self.source(i.batch),
                 input_traceability_lot_codes=parse_subject(i.batch).lot or "", new_traceability_lot_code=new_lot)
            for i in data.inputs or ()
        ]  # fmt: skip
        return [made, *used]


def fsma_rows(ledger: Ledger, entries: Iterable[StoredEntry], lot: str | None = None) -> list[dict[str, str]]:
    """The CTE rows of ``entries`` (in log order), only those of batch path ``lot`` when it is given."""
    kinds = ("production", "shipment")
    events = [(entry, LogEntry.parse(entry.data).event) for entry in entries if entry.kind in kinds]
    sheet = _Sheet(ledger, events)
    rows = [row for entry, event in events for row in sheet.rows(entry, event)]
    if lot is None:
        return rows
    wanted = parse_subject(lot)
    return [r for r in rows if (r["gtin"], r["traceability_lot_code"]) == (wanted.gtin, wanted.lot)]


def fsma_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as CSV (RFC 4180, a header line first), which any spreadsheet sorts by any column."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
