"""The demo ledger exported as EPCIS 2.0: the whole log and every page's subject, valid against GS1's schemas, each
eventID the event's hash as ours and the reference implementation compute it, each event mapped as README says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.epcis.export import as_of, entries_logged, epcis_document, epcis_events, subject_entries
from ledger.store.ledger import Ledger
from tests.demos import demo_home
from tests.ledger.epcis.schemas import assert_valid_export, log_document, schema_errors
from traceledger.demo import DRUG, HAM, DemoStory

PASSPHRASE = "demo test passphrase"
DL = "https://id.gs1.org/"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Ledger, DemoStory]]:
    home, story = demo_home(tmp_path_factory.mktemp("demo") / "home", PASSPHRASE)
    ledger = home.open(PASSPHRASE)
    yield ledger, story
    ledger.close()


def _subject_document(ledger: Ledger, path: str) -> dict[str, Any]:
    return epcis_document(epcis_events(ledger, subject_entries(ledger, path)), as_of(ledger))


def _events(document: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = document["epcisBody"]["eventList"]
    return events


def test_the_whole_demo_log_exports_as_valid_epcis(demo: tuple[Ledger, DemoStory]) -> None:
    ledger, _ = demo
    document = log_document(ledger)
    assert len(_events(document)) >= 20
    assert_valid_export(document)


def test_every_demo_subject_exports_as_valid_epcis(demo: tuple[Ledger, DemoStory]) -> None:
    ledger, story = demo
    for page in story.pages:
        document = _subject_document(ledger, page.path)
        assert _events(document), f"{page.path} exported no event"
        assert_valid_export(document)


def test_a_lot_is_commissioned_inspected_and_shipped(demo: tuple[Ledger, DemoStory]) -> None:
    ledger, _ = demo
    events = _events(_subject_document(ledger, HAM.path))
    lot = DL + HAM.path
    production = events[0]
    assert (production["type"], production["action"], production["bizStep"]) == ("ObjectEvent", "ADD", "commissioning")
    assert production["quantityList"] == [{"epcClass": lot, "quantity": 200}]  # 件: counted, so no uom
    assert production["ilmd"]["cbvmda:lotNumber"] == HAM.lot
    assert production["readPoint"]["id"] == DL + "414/6901230000003"  # the GLN of the producer's prefix 690123
    inspection = next(e for e in events if e.get("bizStep") == "inspecting")
    assert inspection["disposition"] == "conformant"
    assert inspection["readPoint"]["id"].startswith("urn:traceledger:actor:")  # the lab has no GS1 prefix
    shipments = [e for e in events if e.get("bizStep") == "shipping"]
    assert {e["type"] for e in shipments} == {"AggregationEvent"}
    assert all(e["parentID"].startswith(DL + "00/") and e["disposition"] == "in_transit" for e in shipments)
    items = [epc for e in shipments for epc in e.get("childEPCs", [])]
    assert items, "the ham items sold one by one travel as SGTINs"
    assert all(epc.startswith(f"{DL}01/{HAM.gtin}/21/") for epc in items)
    assert {e["bizStep"] for e in events} >= {"accepting", "receiving"}
    assert {e["disposition"] for e in events} >= {"in_progress", "retail_sold"}
    for event in events:
        assert ledger.entry_by_event_id(event["tl:event"]).leaf_index == event["tl:leafIndex"]
        assert event["recordTime"] == ledger.entry(event["tl:leafIndex"]).logged_at


def test_a_recalled_lot_says_so(demo: tuple[Ledger, DemoStory]) -> None:
    ledger, _ = demo
    events = _events(_subject_document(ledger, DRUG.path))
    recall = [e for e in events if e.get("disposition") == "recalled"]
    assert len(recall) == 1
    assert recall[0]["quantityList"] == [{"epcClass": DL + DRUG.path}]


def test_a_time_range_of_the_log(demo: tuple[Ledger, DemoStory]) -> None:
    ledger, _ = demo
    everything = entries_logged(ledger, None, None)
    middle = everything[len(everything) // 2].logged_at
    before, after = entries_logged(ledger, None, middle), entries_logged(ledger, middle, None)
    assert before
    assert after
    assert [e.leaf_index for e in before + after] == [e.leaf_index for e in everything]
    assert all(e.logged_at < middle for e in before)


def test_the_schemas_refuse_what_is_not_epcis(demo: tuple[Ledger, DemoStory]) -> None:
    ledger, _ = demo
    document = _subject_document(ledger, HAM.path)
    event = _events(document)[0]
    event["quantityList"][0]["uom"] = "件"
    event["bizStep"] = "urn:epcglobal:cbv:bizstep:commissioning"  # EPCIS 2.0 JSON writes CBV terms bare
    event["eventTime"] = "yesterday"
    del event["eventTimeZoneOffset"]
    errors = " | ".join(schema_errors(document))
    for problem in ("件", "urn:epcglobal", "yesterday", "eventTimeZoneOffset"):
        assert problem in errors
