"""The log's supply-chain events as EPCIS 2.0 events (JSON-LD), each identified by its CBV 2.0 event hash ID.

One ledger event gives one EPCIS event, in log order; ``eventTime`` is what the signer claimed and ``recordTime``
when the log recorded it, and the ``tl:`` extensions name the signed event and its leaf, so each EPCIS event can be
checked against the log:

Production becomes an ObjectEvent ADD of the lot (a TransformationEvent when it has inputs), an inspection or a
recall an ObjectEvent OBSERVE of the lot, a dispatch an AggregationEvent ADD of the parcel with its items and lots,
each handoff and receipt an ObjectEvent OBSERVE of the parcel, loading cases onto a pallet an AggregationEvent
ADD (the pallet the parent, the cases its children) and splitting it an AggregationEvent DELETE; README's table
gives each one's bizStep and disposition.
Listings, reviews, complaints, sanctions, registrations and erasures move no goods: they are not EPCIS events.
Places are the signer's GLN (its first GS1 company prefix with location reference 0), or ``urn:traceledger:actor:``
and its USCC; the free-text place the event names is ``tl:location``. Consumers appear by no identifier at all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ledger.epcis.hashing import document_prefixes, event_hash_id
from ledger.epcis.uris import location_uri, party_uri, subject_uri
from ledger.events import LogEntry, ParsedEvent, parse_time
from ledger.events.schemas import (
    Aggregation,
    Disaggregation,
    Dispatch,
    EventData,
    Handoff,
    Inspection,
    Production,
    Recall,
    Signature,
)
from ledger.history import subject_history
from ledger.identifiers import item_subject, parse_subject
from ledger.rules.views import ACTORS, BATCHES, EVENTS, KEYS, PARCELS, ActorRow, ParcelRow
from ledger.store.ledger import Ledger, StoredEntry
from ledger.store.tables import ENTRIES

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
TRACELEDGER_NAMESPACE = "urn:traceledger:epcis:"
#: The document's own prefixes: ``tl`` for the ledger's extensions, and the EPCIS context's ``cbvmda`` restated
#: (identically, as its protected terms allow) so that every reader resolves the ILMD names the same way.
CONTEXT: list[Any] = [EPCIS_CONTEXT, {"tl": TRACELEDGER_NAMESPACE, "cbvmda": "urn:epcglobal:cbv:mda:"}]
PREFIXES = document_prefixes(CONTEXT)
#: The kinds that become EPCIS events.
EXPORTED_KINDS = ("production", "inspection", "recall", "shipment", "signature")
#: Where the ledger's events happen (DESIGN §1): the offset an EPCIS event states beside its UTC time.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
#: Units counted in instances of the trade item (EPCIS then omits ``uom``), and units of measure as UN/ECE Rec 20
#: codes. Another unit leaves the quantity out of the EPCIS quantity element (the FSMA sheet still shows it).
COUNTED_UNITS = frozenset("件个盒箱袋瓶包只支罐桶套份片条双根台头听")
UNITS_OF_MEASURE = {"kg": "KGM", "千克": "KGM", "公斤": "KGM", "g": "GRM", "克": "GRM", "t": "TNE", "吨": "TNE",
                    "l": "LTR", "L": "LTR", "升": "LTR", "ml": "MLT", "mL": "MLT", "毫升": "MLT"}  # fmt: skip


def quantity_element(batch: str, quantity: int | None, unit: str | None) -> dict[str, Any]:
    """A quantity element of a lot: its class (LGTIN), and the quantity where its unit is one EPCIS can state."""
    element: dict[str, Any] = {"epcClass": subject_uri(batch)}
    if quantity is not None and unit in COUNTED_UNITS:
        element["quantity"] = quantity
    elif quantity is not None and unit in UNITS_OF_MEASURE:
        element.update(quantity=quantity, uom=UNITS_OF_MEASURE[unit])
    return element


@dataclass(frozen=True)
class _Lookups:
    """What the events refer to, read in a few bulk queries: signers' actors, parties, parcels, input batches."""

    actor_of: Mapping[str, str]  # kid → USCC
    actors: Mapping[str, ActorRow]
    parcels: Mapping[str, ParcelRow]  # the parcels the events are about, and the cases of pallets among them
    subjects: Mapping[str, str]  # event id → subject (the input batches of productions)
    units: Mapping[str, str]  # batch path → unit, for the batches dispatched or used by quantity

    def location(self, actor_id: str | None) -> str | None:
        if actor_id is None:
            return None
        actor = self.actors.get(actor_id)
        return location_uri(actor_id, actor["gs1_prefixes"] if actor else [])

    def party(self, actor_id: str) -> str:
        actor = self.actors.get(actor_id)
        return party_uri(actor_id, actor["gs1_prefixes"] if actor else [])


def _lookups(ledger: Ledger, events: Sequence[ParsedEvent]) -> _Lookups:
    keys = ledger.view_rows(KEYS, {e.payload.actor for e in events})
    actor_of = {kid: row["actor"] for kid, row in keys.items()}
    parcels = ledger.view_rows(
        PARCELS, {e.payload.subject for e in events if e.payload.kind in ("shipment", "signature")}
    )
    parcels.update(ledger.view_rows(PARCELS, {case for row in list(parcels.values()) for case in row.get("cases", [])}))
    parties = set(actor_of.values()) | {row["sender"] for row in parcels.values()}
    for event in events:
        if isinstance(event.data, Dispatch) and event.data.to is not None:
            parties.add(event.data.to)
        elif isinstance(event.data, Handoff):
            parties.add(event.data.from_)
    inputs = {p for e in events if e.payload.kind == "production" for p in e.payload.parents}
    subjects = {eid: row["subject"] for eid, row in ledger.view_rows(EVENTS, inputs).items()}
    counted = {c.batch for e in events if isinstance(e.data, Dispatch) for c in e.data.contents}
    counted |= {i.batch for e in events if isinstance(e.data, Production) for i in e.data.inputs or ()}
    units = {path: row["unit"] for path, row in ledger.view_rows(BATCHES, counted).items()}
    return _Lookups(actor_of, ledger.view_rows(ACTORS, parties), parcels, subjects, units)


def _base(entry: StoredEntry, event: ParsedEvent, epcis_type: str) -> dict[str, Any]:
    moment = parse_time(event.payload.time, "time")
    offset = moment.astimezone(LOCAL_ZONE).strftime("%z")
    return {
        "type": epcis_type,
        "eventTime": event.payload.time,
        "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}",
        "recordTime": entry.logged_at,
    }


def _where(found: dict[str, Any], read_point: str | None, biz_location: str | None = None) -> None:
    if read_point is not None:
        found["readPoint"] = {"id": read_point}
    if biz_location is not None:
        found["bizLocation"] = {"id": biz_location}


def _production(entry: StoredEntry, event: ParsedEvent, data: Production, look: _Lookups) -> dict[str, Any]:
    batch = parse_subject(event.payload.subject)
    output = [quantity_element(batch.path, data.quantity, data.unit)]
    inputs = sorted({look.subjects[p] for p in event.payload.parents if p in look.subjects})
    used = {i.batch: i.quantity for i in data.inputs or ()}
    if inputs:
        found = _base(entry, event, "TransformationEvent")
        found.update(
            inputQuantityList=[quantity_element(b, used.get(b), look.units.get(b)) for b in inputs],
            outputQuantityList=output,
        )
    else:
        found = _base(entry, event, "ObjectEvent")
        found.update(quantityList=output, action="ADD")
    found.update(bizStep="commissioning", disposition="active")
    producer = look.location(look.actor_of.get(event.payload.actor))
    _where(found, producer, producer)
    ilmd: dict[str, Any] = {"cbvmda:lotNumber": batch.lot, "tl:product": data.product, "tl:category": data.category}
    if data.expiry is not None:
        ilmd["cbvmda:itemExpirationDate"] = data.expiry
    found["ilmd"] = ilmd
    found["tl:location"] = data.place
    return found


def _lot_observation(entry: StoredEntry, event: ParsedEvent, look: _Lookups) -> dict[str, Any]:
    found = _base(entry, event, "ObjectEvent")
    found.update(quantityList=[quantity_element(event.payload.subject, None, None)], action="OBSERVE")
    return found


def _inspection(entry: StoredEntry, event: ParsedEvent, data: Inspection, look: _Lookups) -> dict[str, Any]:
    found = _lot_observation(entry, event, look)
    found.update(bizStep="inspecting", disposition="conformant" if data.result == "pass" else "non_conformant")
    _where(found, look.location(look.actor_of.get(event.payload.actor)))
    found["tl:standard"] = data.standard
    return found


def _recall(entry: StoredEntry, event: ParsedEvent, data: Recall, look: _Lookups) -> dict[str, Any]:
    found = _lot_observation(entry, event, look)
    found["disposition"] = "recalled"
    _where(found, look.location(look.actor_of.get(event.payload.actor)))
    found.update({"tl:reason": data.reason, "tl:level": data.level})
    return found


def _dispatch(entry: StoredEntry, event: ParsedEvent, data: Dispatch, look: _Lookups) -> dict[str, Any]:
    found = _base(entry, event, "AggregationEvent")
    found["parentID"] = subject_uri(event.payload.subject)
    items = [
        subject_uri(item_subject(batch.gtin or "", batch.lot or "", serial).path)
        for content in data.contents
        if content.serials
        for batch in [parse_subject(content.batch)]
        for serial in content.serials
    ]
    lots = [quantity_element(c.batch, c.quantity, look.units.get(c.batch)) for c in data.contents if not c.serials]
    if items:
        found["childEPCs"] = items
    if lots:
        found["childQuantityList"] = lots
    found.update(action="ADD", bizStep="shipping", disposition="in_transit")
    _where(found, look.location(look.actor_of.get(event.payload.actor)))
    if data.to is not None:
        found["destinationList"] = [{"type": "owning_party", "destination": look.party(data.to)}]
    found["tl:location"] = data.location
    return found


def _handoff(entry: StoredEntry, event: ParsedEvent, data: Handoff, look: _Lookups) -> dict[str, Any]:
    found = _base(entry, event, "ObjectEvent")
    found.update(epcList=[subject_uri(event.payload.subject)], action="OBSERVE")
    holder = look.actor_of.get(event.payload.actor)
    parcel = look.parcels.get(event.payload.subject)
    here = look.location(holder)
    destinations = {parcel["to"], *(look.parcels[c]["to"] for c in parcel.get("cases", []))} if parcel else set()
    if parcel is not None and holder in destinations - {None}:
        found.update(bizStep="receiving", disposition="in_progress")
        found["sourceList"] = [{"type": "owning_party", "source": look.party(parcel["sender"])}]
        _where(found, here, here)
    elif parcel is not None and holder == parcel["sender"]:
        found.update(bizStep="receiving", disposition="returned")
        _where(found, here, here)
    else:
        found.update(bizStep="accepting", disposition="in_transit")
        found["sourceList"] = [{"type": "possessing_party", "source": look.party(data.from_)}]
        _where(found, here)
    found["tl:location"] = data.location
    return found


def _aggregation(entry: StoredEntry, event: ParsedEvent, data: Aggregation, look: _Lookups) -> dict[str, Any]:
    found = _base(entry, event, "AggregationEvent")
    found.update(parentID=subject_uri(event.payload.subject), childEPCs=[subject_uri(p) for p in data.parcels])
    found.update(action="ADD", bizStep="packing", disposition="in_progress")
    _where(found, look.location(look.actor_of.get(event.payload.actor)))
    found["tl:location"] = data.location
    return found


def _disaggregation(entry: StoredEntry, event: ParsedEvent, data: Disaggregation, look: _Lookups
                    ) -> dict[str, Any]:  # fmt: skip
    """A DELETE without childEPCs: every child still aboard leaves the parent (EPCIS 2.0 §7.4.3)."""
    found = _base(entry, event, "AggregationEvent")
    found.update(parentID=subject_uri(event.payload.subject), action="DELETE", bizStep="unpacking")
    found["disposition"] = "in_transit"
    _where(found, look.location(look.actor_of.get(event.payload.actor)))
    found["tl:location"] = data.location
    return found


_RECEIPT_DISPOSITIONS = {"intact": "retail_sold", "damaged": "damaged", "refused": "in_transit"}


def _receipt(entry: StoredEntry, event: ParsedEvent, data: Signature, look: _Lookups) -> dict[str, Any]:
    found = _base(entry, event, "ObjectEvent")
    found.update(epcList=[subject_uri(event.payload.subject)], action="OBSERVE", bizStep="receiving")
    found["disposition"] = _RECEIPT_DISPOSITIONS[data.condition]
    return found


_Mapper = Callable[[StoredEntry, ParsedEvent, Any, _Lookups], dict[str, Any]]
#: Each exported kind's data model, and how it becomes an EPCIS event.
_MAPPERS: dict[type[EventData], _Mapper] = {
    Production: _production, Inspection: _inspection, Recall: _recall, Dispatch: _dispatch, Handoff: _handoff,
    Signature: _receipt, Aggregation: _aggregation, Disaggregation: _disaggregation,
}  # fmt: skip


def _epcis_event(entry: StoredEntry, event: ParsedEvent, look: _Lookups) -> dict[str, Any] | None:
    mapper = _MAPPERS.get(type(event.data))
    if mapper is None:
        return None
    found = mapper(entry, event, event.data, look)
    found.update({"tl:event": entry.event_id, "tl:leafIndex": entry.leaf_index})
    return {"eventID": event_hash_id(found, PREFIXES), **found}


def epcis_events(ledger: Ledger, entries: Iterable[StoredEntry]) -> list[dict[str, Any]]:
    """The EPCIS events of ``entries`` (those of the kinds that move or judge goods), in their order."""
    parsed = [(entry, LogEntry.parse(entry.data).event) for entry in entries if entry.kind in EXPORTED_KINDS]
    look = _lookups(ledger, [event for _, event in parsed])
    return [found for entry, event in parsed if (found := _epcis_event(entry, event, look)) is not None]


def subject_entries(ledger: Ledger, path: str) -> list[StoredEntry]:
    """A batch, item or parcel's history (``ledger.history``) with every event of the parcels that carried it (and
    of the pallets they travelled on), and
    of a lot the productions that used it as an input: an export of a lot shows where it went, not only what
    happened to the lot itself. NotFound for an unknown subject."""
    history = subject_history(ledger, path)
    entries = {e.leaf_index: e for e in history.entries}
    pallets = {row["pallet"] for row in ledger.view_rows(PARCELS, history.parcels).values() if "pallet" in row}
    entries.update((e.leaf_index, e) for e in ledger.entries_about([*history.parcels, *sorted(pallets)]))
    if history.subject.kind == "batch" and history.batch is not None:  # the productions that used it, too
        used_in = [mark["event"] for mark in history.batch.get("used_in", [])]
        entries.update((e.leaf_index, e) for e in ledger.entries_by_event_ids(used_in))
    return [entries[index] for index in sorted(entries)]


def as_of(ledger: Ledger) -> str:
    """When the log's newest entry was logged: an export's ``creationDate``, so that one state of the log always
    exports as the same bytes (a served answer's length, and so its headers, do not change from one GET to the
    next)."""
    return ledger.entry(ledger.size() - 1).logged_at


def epcis_document(events: list[dict[str, Any]], created: str) -> dict[str, Any]:
    """An EPCIS 2.0 document (JSON-LD) holding ``events``, created at ``created`` (RFC 3339)."""
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": {"eventList": events},
    }


def epcis_query_document(events: list[dict[str, Any]], created: str) -> dict[str, Any]:
    """The answer to an EPCIS query (SimpleEventQuery) holding ``events``."""
    return {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}},
    }


def entries_logged(ledger: Ledger, since: str | None, until: str | None, after: int = -1,
                   limit: int | None = None, subjects: Collection[str] | None = None) -> list[StoredEntry]:  # fmt: skip
    """The entries of exported kinds logged in [since, until) (``logged_at`` strings, as the log writes them),
    past leaf ``after``, in log order (only those about ``subjects``, when given: read by the subject index).
    ``logged_at`` never decreases along the log, so this is a range of it."""
    query = select(ENTRIES).where(ENTRIES.c.kind.in_(EXPORTED_KINDS), ENTRIES.c.leaf_index > after)
    if subjects is not None:
        query = query.where(ENTRIES.c.subject.in_(sorted(subjects)))
    if since is not None:
        query = query.where(ENTRIES.c.logged_at >= since)
    if until is not None:
        query = query.where(ENTRIES.c.logged_at < until)
    query = query.order_by(ENTRIES.c.leaf_index).limit(limit)
    with ledger.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        StoredEntry(r.leaf_index, r.event_id, bytes(r.leaf_hash), r.kind, r.subject, r.logged_at, bytes(r.data))
        for r in rows
    ]
