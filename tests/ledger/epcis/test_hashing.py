"""The CBV 2.0 event hash ID: the reference vectors (read in place), and one event written in several ways."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.epcis.hashing import document_prefixes, event_hash_id, prehash
from ledger.epcis.uris import canonical_gs1_uri
from ledger.errors import InvalidEpcisEvent
from tests.ledger.epcis.reference import reference_hashes
from tests.vectors import SHARED_VECTORS

VECTORS = sorted((SHARED_VECTORS / "epcis-event-hash").glob("*.jsonld"))


def _vector(path: Path) -> tuple[dict[str, Any], list[str], list[str]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    prehashes = path.with_suffix(".prehashes").read_text(encoding="utf-8").split()
    hashes = path.with_suffix(".hashes").read_text(encoding="utf-8").split()
    return document, prehashes, hashes


def test_there_are_vectors() -> None:
    assert len(VECTORS) >= 2, f"no event hash vectors in {SHARED_VECTORS}"


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_reference_vectors(path: Path) -> None:
    document, prehashes, hashes = _vector(path)
    prefixes = document_prefixes(document["@context"])
    events = document["epcisBody"]["eventList"]
    assert [prehash(e, prefixes) for e in events] == prehashes
    assert [event_hash_id(e, prefixes) for e in events] == hashes


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_the_reference_implementation_agrees_on_the_vectors(path: Path) -> None:
    document, _, hashes = _vector(path)
    assert reference_hashes(document) == hashes


EVENT: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2026-11-29T16:00:00.1234+08:00",
    "eventTimeZoneOffset": "+08:00",
    "epcList": ["https://id.gs1.org/01/06901230000010/21/0002", "https://id.gs1.org/01/06901230000010/21/0001"],
    "quantityList": [{"epcClass": "https://id.gs1.org/01/06901230000010/10/XW2026-11", "quantity": 2.50, "uom": "KGM"}],
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "readPoint": {"id": "https://id.gs1.org/414/6901230000003"},
}


LOT_URN = "urn:epc:class:lgtin:690123.0000001.XW2026-11"


def _variant(**changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event.update(changes)
    return event


@pytest.mark.parametrize(
    "variant",
    [
        dict(reversed(list(EVENT.items()))),  # another member order
        _variant(epcList=list(reversed(EVENT["epcList"]))),  # another list order
        _variant(eventTime="2026-11-29T08:00:00.123Z"),  # the same moment in UTC (4th decimal < 5 rounds down)
        _variant(bizStep="urn:epcglobal:cbv:bizstep:shipping", disposition="urn:epcglobal:cbv:disp:in_transit"),
        _variant(readPoint={"id": "urn:epc:id:sgln:690123.000000.0"}),  # an EPC URN for the same GLN
        _variant(epcList=["urn:epc:id:sgtin:690123.0000001.0001", "https://example.cn/01/06901230000010/21/0002?x=1"]),
        _variant(
            quantityList=[{"uom": "KGM", "quantity": 2.5, "epcClass": "urn:epc:class:lgtin:690123.0000001.XW2026-11"}]
        ),
        _variant(recordTime="2026-11-29T09:00:00Z", eventID="ni:///sha-256;00?ver=CBV2.0"),  # not hashed
    ],
)
def test_one_event_written_differently_has_one_hash(variant: dict[str, Any]) -> None:
    assert event_hash_id(variant) == event_hash_id(EVENT)


@pytest.mark.parametrize(
    "variant",
    [
        _variant(eventTime="2026-11-29T16:00:00.1235+08:00"),  # rounds up to .124
        _variant(disposition="in_progress"),
        _variant(epcList=EVENT["epcList"][:1]),
        _variant(quantityList=[{**EVENT["quantityList"][0], "quantity": 3}]),
        _variant(**{"tl:event": "ab"}),
    ],
)
def test_a_changed_event_has_another_hash(variant: dict[str, Any]) -> None:
    assert event_hash_id(variant, {"tl": "urn:traceledger:epcis:"}) != event_hash_id(EVENT)


def test_extensions_follow_the_standard_fields_with_their_namespace() -> None:
    event = _variant(**{"tl:leafIndex": 7, "ilmd": {"cbvmda:lotNumber": "XW2026-11"}})
    text = prehash(event, {"tl": "urn:traceledger:epcis:", "cbvmda": "urn:epcglobal:cbv:mda:"})
    assert text.endswith("ilmd{urn:epcglobal:cbv:mda:}lotNumber=XW2026-11{urn:traceledger:epcis:}leafIndex=7")
    assert "quantity=2.5uom=KGM" in text
    assert "eventTime=2026-11-29T08:00:00.123Z" in text


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({"eventTime": "2026-11-29T08:00:00Z"}, "type"),
        (_variant(eventTime="2026-11-29T08:00:00"), "time zone"),
        (_variant(eventTime="yesterday"), "dateTimeStamp"),
        (_variant(unknownField="x"), "neither an EPCIS field"),
        (_variant(epcList="https://id.gs1.org/00/069012300000000010"), "must be a list"),
    ],
)
def test_what_is_no_event_is_refused(event: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidEpcisEvent, match=problem):
        prehash(event)


@pytest.mark.parametrize(
    ("uri", "canonical"),
    [
        ("urn:epc:id:sscc:4012345.0000000333", "https://id.gs1.org/00/040123450000003338"),
        ("urn:epc:id:sgln:4012345.00011.987", "https://id.gs1.org/414/4012345000115/254/987"),
        ("urn:epc:id:pgln:690123.000000", "https://id.gs1.org/417/6901230000003"),
        ("urn:epc:id:giai:4000001.111", "https://id.gs1.org/8004/4000001111"),
        ("https://example.com/gtin/9520123456788/lot/A1/ser/7?17=271130", "https://id.gs1.org/01/09520123456788/21/7"),
        ("https://id.gs1.org/01/09520123456788/10/A1", "https://id.gs1.org/01/09520123456788/10/A1"),
        ("urn:epc:id:sgtin:4012345.011111", None),  # no serial
        ("https://example.com/about", None),
        ("宣威市", None),
    ],
)
def test_gs1_identifiers_as_constrained_canonical_digital_links(uri: str, canonical: str | None) -> None:
    assert canonical_gs1_uri(uri) == canonical
