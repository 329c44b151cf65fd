"""The EPCIS 2.0 query parameters that fit the ledger (SimpleEventQuery, EPCIS 2.0 §8.2.7.1, as the REST binding
passes them in the query string), run over the exported events in log order, a page at a time. A query naming
parcels by EPC (``MATCH_epc``, ``MATCH_parentID``, ``MATCH_anyEPC``) reads only their entries, by the entries'
subject index.

A parameter's values are repeated or separated by ``|``; an identifier is compared in its constrained canonical
Digital Link form, so an EPC URN and a Digital Link of one thing match alike, and a CBV term bare or as its URI.
An unknown parameter, or a malformed value, is refused (``InvalidQuery``) rather than ignored: a query that
silently matched everything would answer another question than the one asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ledger.epcis.export import entries_logged, epcis_events
from ledger.epcis.hashing import CBV
from ledger.epcis.uris import GS1_RESOLVER, WAYBILL_URN, canonical_gs1_uri
from ledger.errors import InvalidQuery
from ledger.events import log_time
from ledger.rules.views import PARCELS
from ledger.store.ledger import Ledger

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
_CHUNK = 500  # entries converted at a time while filling a page
_EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransformationEvent")
_EPC_FIELDS = {
    "MATCH_epc": ("epcList", "childEPCs", "inputEPCList", "outputEPCList"),
    "MATCH_parentID": ("parentID",),
    "MATCH_anyEPC": ("epcList", "childEPCs", "inputEPCList", "outputEPCList", "parentID"),
}
_CLASS_FIELDS = {
    "MATCH_epcClass": ("quantityList", "childQuantityList"),
    "MATCH_inputEPCClass": ("inputQuantityList",),
    "MATCH_outputEPCClass": ("outputQuantityList",),
    "MATCH_anyEPCClass": ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"),
}
_TERMS = {"EQ_bizStep": ("bizStep", "BizStep-"), "EQ_disposition": ("disposition", "Disp-")}
_LOCATIONS = {"EQ_readPoint": "readPoint", "EQ_bizLocation": "bizLocation"}
_TIMES = {"GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime"}
PARAMETERS = frozenset(
    {"eventType", "EQ_action", "EQ_eventID", "perPage", "nextPageToken"}
    | _EPC_FIELDS.keys() | _CLASS_FIELDS.keys() | _TERMS.keys() | _LOCATIONS.keys() | _TIMES
)  # fmt: skip

Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class EventPage:
    events: list[dict[str, Any]]
    next_page_token: str | None  # where the next page starts, when this one is full


def _identifier(value: str) -> str:
    return canonical_gs1_uri(value) or value


def _matches(found: str, wanted: set[str]) -> bool:
    """An EPC matches a wanted identifier or a pattern one level coarser (a GTIN for its serials)."""
    canonical = _identifier(found)
    return canonical in wanted or any(canonical.startswith(w + "/") for w in wanted)


def _epcs(event: Mapping[str, Any], fields: Sequence[str]) -> list[str]:
    found = [event[f] for f in fields if isinstance(event.get(f), str)]
    return found + [epc for f in fields if isinstance(event.get(f), list) for epc in event[f]]


def _classes(event: Mapping[str, Any], fields: Sequence[str]) -> list[str]:
    return [q["epcClass"] for f in fields for q in event.get(f, [])]


def _term(value: str, vocabulary: str) -> str:
    for urn, web in (("urn:epcglobal:cbv:bizstep:", "BizStep-"), ("urn:epcglobal:cbv:disp:", "Disp-")):
        if value.startswith(urn):
            return CBV + web + value.removeprefix(urn)
    return value if ":" in value else CBV + vocabulary + value


def parse_moment(name: str, value: str) -> datetime:
    """An RFC 3339 date and time with its offset, as a query names one; ``InvalidQuery`` naming ``name`` if not."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidQuery(f"{name}: {value!r} is not a date and time such as 2026-11-29T08:00:00Z") from None
    if moment.tzinfo is None:
        raise InvalidQuery(f"{name}: {value!r} needs a time zone (Z or ±hh:mm)")
    return moment


def _per_page(values: Sequence[str]) -> int:
    if not values:
        return DEFAULT_PER_PAGE
    if len(values) != 1 or not values[0].isdigit() or not 1 <= int(values[0]) <= MAX_PER_PAGE:
        raise InvalidQuery(f"perPage must be a whole number from 1 to {MAX_PER_PAGE}")
    return int(values[0])


def _after(values: Sequence[str]) -> int:
    if not values:
        return -1
    if len(values) != 1 or not values[0].isdigit():
        raise InvalidQuery("nextPageToken must be a token from a previous page's Link header")
    return int(values[0])


def _predicate(name: str, wanted: list[str]) -> Predicate:
    """The test one parameter makes of an event."""
    if name in _EPC_FIELDS:
        ids, fields = {_identifier(w) for w in wanted}, _EPC_FIELDS[name]
        return lambda e: any(_matches(epc, ids) for epc in _epcs(e, fields))
    if name in _CLASS_FIELDS:
        classes, class_fields = {_identifier(w) for w in wanted}, _CLASS_FIELDS[name]
        return lambda e: any(_matches(c, classes) for c in _classes(e, class_fields))
    if name in _TERMS:
        field, vocabulary = _TERMS[name]
        terms = {_term(w, vocabulary) for w in wanted}
        return lambda e: field in e and _term(e[field], vocabulary) in terms
    if name in _LOCATIONS:
        places, where = {_identifier(w) for w in wanted}, _LOCATIONS[name]
        return lambda e: where in e and _identifier(e[where]["id"]) in places
    if name == "eventType":
        unknown = sorted(set(wanted) - set(_EVENT_TYPES))
        if unknown:
            raise InvalidQuery(f"eventType {unknown[0]!r} is none of {', '.join(_EVENT_TYPES)}")
        return lambda e: e["type"] in wanted
    if name == "EQ_action":
        if set(wanted) - {"ADD", "OBSERVE", "DELETE"}:
            raise InvalidQuery("EQ_action is ADD, OBSERVE or DELETE")
        return lambda e: e.get("action") in wanted
    if name == "EQ_eventID":
        return lambda e: e["eventID"] in wanted
    if len(wanted) != 1:
        raise InvalidQuery(f"{name} takes one time")
    bound = parse_moment(name, wanted[0])
    field = "eventTime" if name.endswith("eventTime") else "recordTime"
    if name.startswith("GE_"):
        return lambda e: parse_moment(field, e[field]) >= bound
    return lambda e: parse_moment(field, e[field]) < bound


def _values(raw: Sequence[str], name: str) -> list[str]:
    values = [v for item in raw for v in item.split("|")]
    if not values or any(not v for v in values):
        raise InvalidQuery(f"{name} needs a value (several are separated by |)")
    return values


def _logged_bound(parameters: Mapping[str, Sequence[str]], name: str) -> str | None:
    """A recordTime bound as the log writes ``logged_at`` (milliseconds), widened to the next millisecond for an
    upper bound: the database picks a superset of the entries, the event's own test decides exactly."""
    if name not in parameters:
        return None
    moment = parse_moment(name, parameters[name][0])
    return log_time(moment + timedelta(milliseconds=1) if name.startswith("LT_") else moment)


def _parcel_path(identifier: str) -> str | None:
    """The parcel subject path an EPC names (an SSCC, or a waybill's URN), or None for another identifier."""
    canonical = _identifier(identifier)
    if canonical.startswith(f"{GS1_RESOLVER}/00/"):
        return canonical.removeprefix(f"{GS1_RESOLVER}/")
    carrier, _, waybill = canonical.removeprefix(WAYBILL_URN).partition(":")
    return f"parcel/{carrier}/{waybill}" if canonical.startswith(WAYBILL_URN) and waybill else None


def _subjects(ledger: Ledger, parameters: Mapping[str, Sequence[str]]) -> set[str] | None:
    """The subjects whose entries hold every event an EPC parameter can match, where the log tells them without a
    scan: each event naming a parcel or pallet (in ``epcList``, ``parentID`` or ``childEPCs``) is about it, except
    a case's loading onto a pallet (about the pallet), so a case that travelled on one is left to the scan, as
    are items (an SGTIN names no lot, so no subject path). None: scan the log."""
    for name in _EPC_FIELDS:
        if name in parameters:
            paths = {_parcel_path(value) for value in _values(parameters[name], name)}
            if None in paths:
                return None
            wanted = {path for path in paths if path is not None}
            if any("pallet" in row for row in ledger.view_rows(PARCELS, wanted).values()):
                return None
            return wanted
    return None


def query_events(ledger: Ledger, parameters: Mapping[str, Sequence[str]]) -> EventPage:
    """The exported events that match every parameter, in log order, one page of them."""
    unknown = sorted(set(parameters) - PARAMETERS)
    if unknown:
        raise InvalidQuery(f"unknown query parameter {unknown[0]!r}; known: {', '.join(sorted(PARAMETERS))}")
    per_page = _per_page(parameters.get("perPage", []))
    after = _after(parameters.get("nextPageToken", []))
    tests = [_predicate(name, _values(raw, name)) for name, raw in parameters.items()
             if name not in ("perPage", "nextPageToken")]  # fmt: skip
    since, until = _logged_bound(parameters, "GE_recordTime"), _logged_bound(parameters, "LT_recordTime")
    subjects = _subjects(ledger, parameters)
    found: list[dict[str, Any]] = []
    while True:
        entries = entries_logged(ledger, since, until, after=after, limit=_CHUNK, subjects=subjects)
        for event in epcis_events(ledger, entries):
            if all(test(event) for test in tests):
                found.append(event)
                if len(found) == per_page:
                    return EventPage(found, str(event["tl:leafIndex"]))
        if len(entries) < _CHUNK:
            return EventPage(found, None)
        after = entries[-1].leaf_index
