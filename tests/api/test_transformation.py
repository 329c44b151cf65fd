"""Transformation with quantities (issue 13): a production states how much of each input lot it used, that quantity
leaves the producer's stock of the lot, and conservation (produced = held + in transit + delivered + consumed)
holds in the rules, the audit and the exports. Told through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from ledger.audit import audit_log
from ledger.audit.database import DatabaseSource
from ledger.epcis.export import as_of, epcis_document, epcis_events, subject_entries
from ledger.epcis.fsma import fsma_rows
from ledger.events import canonical_json
from ledger.events.builders import production_payload
from ledger.identifiers import batch_subject
from ledger.rules import check_conservation
from ledger.store.tables import VIEWS
from ledger.trace import recall_scope, trace
from tests.api.conftest import Api, problem, signed
from tests.ledger.audit.tampering import set_column
from tests.ledger.conftest import ORIGIN
from tests.ledger.epcis.schemas import assert_valid_export, log_document
from tests.scenarios.world import Party, gtin, sscc

FLOUR = gtin("690123", 11)
BREAD = gtin("690123", 12)
FLOUR_LOT = batch_subject(FLOUR, "MF2026-01").path


def _mill(api: Api) -> Party:
    """A producer holding 100 kg of flour."""
    world = api.world
    producer = world.register("宣威市面粉食品有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    payload = production_payload(
        producer.key, FLOUR, "MF2026-01", product="小麦粉", category="food", quantity=100, unit="kg", place="宣威市"
    )
    world.append(payload, producer.key)
    return producer


def _bread(api: Api, producer: Party, lot: str, used: int) -> dict[str, object]:
    """A bread lot made of ``used`` kg of the flour, as its producer signs it."""
    flour = api.world.batch(FLOUR_LOT)
    payload = production_payload(
        producer.key, BREAD, lot, product="面包", category="food", quantity=40, unit="个", place="宣威市",
        inputs=[str(flour["production"])], used=[(FLOUR_LOT, used)],
    )  # fmt: skip
    return signed(payload, producer.key)


def test_using_50_of_a_lot_as_input_lowers_its_stock_by_50(api: Api) -> None:
    producer = _mill(api)
    assert api.post(_bread(api, producer, "MB2026-01", 50)).status_code == 201
    flour = api.world.batch(FLOUR_LOT)
    assert flour["holdings"] == {producer.id: 50}
    assert flour["consumed"] == 50
    bread_lot = batch_subject(BREAD, "MB2026-01").path
    assert flour["used_in"] == [{"event": api.world.batch(bread_lot)["production"], "batch": bread_lot, "quantity": 50}]
    check_conservation(FLOUR_LOT, flour)
    assert api.world.batch(bread_lot)["holdings"] == {producer.id: 40}
    scope = recall_scope(trace(api.fixture.ledger, FLOUR_LOT))  # a recall's reach accounts for what was used
    assert (scope.held, scope.batch.consumed, scope.derived) == (50, 50, [bread_lot])
    # the rest can be used too, down to nothing held
    assert api.post(_bread(api, producer, "MB2026-02", 50)).status_code == 201
    flour = api.world.batch(FLOUR_LOT)
    assert flour["holdings"] == {}
    assert flour["consumed"] == 100
    check_conservation(FLOUR_LOT, flour)
    assert_valid_export(log_document(api.fixture.ledger))


def test_using_more_than_is_held_is_its_own_problem(api: Api) -> None:
    producer = _mill(api)
    with api.unchanged():
        body = problem(api.post(_bread(api, producer, "MB2026-01", 101)), 422, "insufficient-input")
    assert FLOUR_LOT in body["detail"]
    assert "holds 100" in body["detail"]
    # stock that left for a parcel is no longer the producer's to use
    buyer = api.world.register("曲靖食品批发有限公司", "merchant", licences=("food_business",))
    api.world.dispatch(producer, sscc(7), [(FLOUR_LOT, 80)], to=buyer)
    with api.unchanged():
        body = problem(api.post(_bread(api, producer, "MB2026-01", 21)), 422, "insufficient-input")
    assert "holds 20" in body["detail"]
    page = api.client.get("/problems/insufficient-input")
    assert page.status_code == 200
    assert "answered with HTTP status 422" in page.text


def test_the_inputs_are_the_parents_batches(api: Api) -> None:
    producer = _mill(api)
    other = api.world.produce(producer, gtin("690123", 13), "MS2026-01", 10)
    payload = production_payload(
        producer.key, BREAD, "MB2026-01", product="面包", category="food", quantity=40, unit="个", place="宣威市",
        inputs=[other], used=[(FLOUR_LOT, 5)],
    )  # fmt: skip
    with api.unchanged():
        body = problem(api.post(signed(payload, producer.key)), 422, "wrong-parents")
    assert "input batches" in body["detail"]
    flour = str(api.world.batch(FLOUR_LOT)["production"])
    twice = replace(
        payload, parents=(flour,), data={**payload.data, "inputs": [{"batch": FLOUR_LOT, "quantity": 5}] * 2}
    )
    with api.unchanged():
        body = problem(api.post(signed(twice, producer.key)), 400, "invalid-payload")
    assert "each input batch appears once" in body["detail"]


def test_a_production_naming_its_inputs_only_by_parent_still_uses_no_stock(api: Api) -> None:
    producer = _mill(api)
    flour = api.world.batch(FLOUR_LOT)
    payload = production_payload(
        producer.key, BREAD, "MB2026-01", product="面包", category="food", quantity=40, unit="个", place="宣威市",
        inputs=[str(flour["production"])],
    )  # fmt: skip
    assert api.post(signed(payload, producer.key)).status_code == 201
    assert api.world.batch(FLOUR_LOT) == flour


def test_the_audit_checks_what_was_consumed(api: Api) -> None:
    producer = _mill(api)
    assert api.post(_bread(api, producer, "MB2026-01", 50)).status_code == 201
    ledger = api.fixture.ledger
    url = api.fixture.home.database_url()
    with DatabaseSource(url, []) as source:
        assert audit_log(source, ledger.log_verifier, ORIGIN).ok
    row = dict(api.world.batch(FLOUR_LOT))
    row["consumed"] = 40  # 10 kg hidden from the books, and the holdings untouched: conservation breaks
    set_column(ledger.engine, VIEWS, {"view": "batches", "key": FLOUR_LOT}, "value", canonical_json(row).decode())
    with DatabaseSource(url, []) as source:
        report = audit_log(source, ledger.log_verifier, ORIGIN)
    assert not report.ok
    assert any(f.key == FLOUR_LOT for f in report.findings), report.findings


def test_the_exports_carry_the_quantity_used(api: Api) -> None:
    producer = _mill(api)
    assert api.post(_bread(api, producer, "MB2026-01", 50)).status_code == 201
    ledger = api.fixture.ledger
    bread_lot = batch_subject(BREAD, "MB2026-01").path
    events = epcis_events(ledger, subject_entries(ledger, bread_lot))
    transformation = next(e for e in events if e["type"] == "TransformationEvent")
    assert transformation["inputQuantityList"] == [
        {"epcClass": "https://id.gs1.org/01/" + FLOUR + "/10/MF2026-01", "quantity": 50, "uom": "KGM"}
    ]
    # the flour lot's own export and FSMA sheet show where its 50 kg went
    flour_events = epcis_events(ledger, subject_entries(ledger, FLOUR_LOT))
    assert [e["type"] for e in flour_events] == ["ObjectEvent", "TransformationEvent"]
    assert_valid_export(epcis_document(flour_events, as_of(ledger)))
    rows = fsma_rows(ledger, subject_entries(ledger, FLOUR_LOT), FLOUR_LOT)
    assert [r["cte"] for r in rows] == ["Transformation", "Transformation"]
    used = rows[1]
    assert (used["traceability_lot_code"], used["quantity"], used["unit_of_measure"]) == ("MF2026-01", "50", "kg")
    assert used["new_traceability_lot_code"] == "MB2026-01"
    assert used["missing_kdes"] == ""
