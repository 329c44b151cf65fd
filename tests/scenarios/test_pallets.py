"""Pallets (issue 13): cases aggregated onto a pallet move with one handoff of it and are split on arrival or by a
disaggregation, each case then continuing alone; conservation holds throughout. Through the ledger's public API,
on SQLite and PostgreSQL; the world's teardown also exports the log as EPCIS and reindexes it."""

from __future__ import annotations

from ledger.epcis.export import epcis_events, subject_entries
from ledger.epcis.fsma import fsma_rows
from ledger.errors import AlreadySigned, CustodyFork, NotAPallet, ParcelOnPallet, WrongCustodian, WrongParents
from ledger.events.builders import aggregation_payload, disaggregation_payload, handoff_payload
from ledger.identifiers import batch_subject
from ledger.rules.views import PARCELS
from signer.keys import SigningKey
from tests.scenarios.world import Party, World, gtin, sscc

LOT = batch_subject(gtin("690123", 1), "XW2026-11").path
CASES = (sscc(1), sscc(2))
PALLET = sscc(3)
DL = "https://id.gs1.org/"


def _producer(world: World) -> Party:
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    world.produce(producer, gtin("690123", 1), "XW2026-11", 100)
    return producer


def _cases_of_ten(world: World) -> tuple[Party, Party]:
    """The producer, who has dispatched both cases (10 each) to a shop, and a courier."""
    producer = _producer(world)
    shop = world.register("曲靖云品优选电子商务有限公司", "merchant", licences=("food_business",))
    for case in CASES:
        world.dispatch(producer, case, [(LOT, 10)], to=shop)
    return producer, world.register("曲靖速达快递", "courier")


def _load(world: World, custodian: Party, pallet: str, cases: tuple[str, ...]) -> str:
    heads = [(case, str(world.parcel(case)["head"])) for case in cases]
    return world.append(
        aggregation_payload(custodian.key, pallet, heads, location="宣威市物流园"), custodian.key
    ).event_id


def _take(world: World, receiver: Party, parcel: str, head: str, giver: str, place: str = "曲靖分拨中心") -> str:
    payload = handoff_payload(receiver.key, parcel, head, from_actor=giver, location=place)
    return world.append(payload, receiver.key).event_id


def test_a_pallet_of_two_cases_moves_both_with_one_handoff(world: World) -> None:
    producer = _producer(world)
    shop = world.register("曲靖云品优选电子商务有限公司", "merchant", licences=("food_business",))
    courier = world.register("曲靖速达快递", "courier")
    world.dispatch(producer, CASES[0], [(LOT, 30)], to=shop)
    world.dispatch(producer, CASES[1], [(LOT, 20)], to=shop)
    loaded = _load(world, producer, PALLET, CASES)
    for case in CASES:
        assert (world.parcel(case)["head"], world.parcel(case)["aboard"]) == (loaded, True)
    with world.rejected(ParcelOnPallet) as refused:  # a case aboard does not move alone
        world.handoff(courier, CASES[0])
    assert PALLET in refused.value.detail
    taken = world.handoff(courier, PALLET)
    for case in CASES:
        row = world.parcel(case)
        assert (row["custodian"], row["head"], row["status"]) == (courier.id, taken, "in_transit")
    assert world.batch(LOT)["holdings"] == {producer.id: 50}
    assert world.batch(LOT)["in_transit"] == 50
    world.conserved(LOT)
    arrived = world.handoff(shop, PALLET)
    for case in CASES:
        row = world.parcel(case)
        assert (row["custodian"], row["head"], row["status"], row["aboard"]) == (shop.id, arrived, "delivered", False)
        assert row["handoffs"] == [taken, arrived]
    batch = world.batch(LOT)
    assert (batch["holdings"], batch["in_transit"]) == ({producer.id: 50, shop.id: 50}, 0)
    world.conserved(LOT)
    assert world.parcel(PALLET)["status"] == "delivered"
    with world.rejected(AlreadySigned):
        world.handoff(courier, PALLET)
    # the lot's export and FSMA sheet follow its cases onto the pallet and off it at the shop
    ledger = world.ledger
    events = epcis_events(ledger, subject_entries(ledger, LOT))
    packed = next(e for e in events if e["type"] == "AggregationEvent" and e.get("bizStep") == "packing")
    assert (packed["action"], packed["parentID"]) == ("ADD", DL + PALLET)
    assert packed["childEPCs"] == [DL + case for case in CASES]
    pallet_moves = [e for e in events if e.get("epcList") == [DL + PALLET]]
    assert [(e["bizStep"], e["tl:event"]) for e in pallet_moves] == [("accepting", taken), ("receiving", arrived)]
    rows = fsma_rows(ledger, subject_entries(ledger, LOT), LOT)
    received = [r for r in rows if r["cte"] == "Receiving"]
    assert [(r["quantity"], r["reference_document_number"]) for r in received] == [("30", arrived), ("20", arrived)]
    assert {r["missing_kdes"] for r in received} == {""}


def test_a_pallet_splits_at_each_case_s_destination(world: World) -> None:
    producer = _producer(world)
    shops = [world.register(f"曲靖食品商店 {i}", "merchant", licences=("food_business",)) for i in range(2)]
    couriers = [world.register(f"曲靖速达快递 {i}", "courier") for i in range(2)]
    world.dispatch(producer, CASES[0], [(LOT, 30)], to=shops[0])
    world.dispatch(producer, CASES[1], [(LOT, 20)], to=shops[1])
    _load(world, producer, PALLET, CASES)
    world.handoff(couriers[0], PALLET)
    world.handoff(shops[0], PALLET)  # the first shop takes its case off; the other stays aboard
    first, second = (world.parcel(case) for case in CASES)
    assert (first["status"], first["aboard"]) == ("delivered", False)
    assert (second["status"], second["aboard"], second["custodian"]) == ("in_transit", True, shops[0].id)
    assert world.batch(LOT)["holdings"] == {producer.id: 50, shops[0].id: 30}
    world.conserved(LOT)
    world.handoff(couriers[1], PALLET)
    world.handoff(shops[1], PALLET)
    assert world.parcel(CASES[1])["status"] == "delivered"
    assert world.batch(LOT)["holdings"] == {producer.id: 50, shops[0].id: 30, shops[1].id: 20}
    assert world.batch(LOT)["in_transit"] == 0
    world.conserved(LOT)


def test_a_split_pallet_s_cases_each_continue_alone(world: World) -> None:
    producer = _producer(world)
    courier, other = (world.register(f"曲靖速达快递 {i}", "courier") for i in range(2))
    consumers = [SigningKey.generate() for _ in CASES]
    for case, consumer in zip(CASES, consumers, strict=True):
        world.dispatch(producer, case, [(LOT, 1)], consignee=consumer)
    _load(world, producer, PALLET, CASES)
    world.handoff(courier, PALLET)
    with world.rejected(ParcelOnPallet):  # nor may a consignee sign for a case still aboard
        world.sign_for(consumers[0], CASES[0])
    with world.rejected(WrongCustodian):  # only the pallet's custodian splits it
        world.append(disaggregation_payload(other.key, PALLET, str(world.parcel(PALLET)["head"]), location="x"),
                     other.key)  # fmt: skip
    with world.rejected(NotAPallet):
        world.append(disaggregation_payload(courier.key, CASES[0], str(world.parcel(CASES[0])["head"]), location="x"),
                     courier.key)  # fmt: skip
    split = world.append(
        disaggregation_payload(courier.key, PALLET, str(world.parcel(PALLET)["head"]), location="曲靖分拨中心"),
        courier.key,
    ).event_id
    assert [world.parcel(case)["head"] for case in CASES] == [split, split]
    assert world.parcel(PALLET)["status"] == "split"
    unpacked = [
        e for e in epcis_events(world.ledger, subject_entries(world.ledger, CASES[1])) if e["tl:event"] == split
    ]
    assert [(e["type"], e["action"], e["parentID"]) for e in unpacked] == [("AggregationEvent", "DELETE", DL + PALLET)]
    # both cases spend the split as their head, each once: a second spend of one case's head is still a fork
    moved = _take(world, other, CASES[0], split, courier.id)
    with world.rejected(CustodyFork):
        _take(world, other, CASES[0], split, courier.id, place="昆明分拨中心")
    world.handoff(other, CASES[1])
    world.sign_for(consumers[0], CASES[0])
    world.sign_for(consumers[1], CASES[1])
    pallet = world.ledger.view(PARCELS, PALLET)
    assert pallet is not None
    assert world.parcel(CASES[0])["handoffs"] == [*pallet["handoffs"], moved]  # the pallet's, then its own
    batch = world.batch(LOT)
    assert (batch["holdings"], batch["in_transit"], batch["delivered"]) == ({producer.id: 98}, 0, 2)
    world.conserved(LOT)


def test_what_a_pallet_may_not_be_loaded_with(world: World) -> None:
    producer, courier = _cases_of_ten(world)
    with world.rejected(WrongCustodian):  # only the custodian of every case loads them
        _load(world, courier, PALLET, CASES)
    head = str(world.parcel(CASES[0])["head"])
    with world.rejected(WrongParents):
        world.append(aggregation_payload(producer.key, PALLET, [(CASES[0], head), (CASES[1], head)], location="x"),
                     producer.key)  # fmt: skip
    _load(world, producer, PALLET, CASES)
    with world.rejected(ParcelOnPallet):  # a case already aboard
        _load(world, producer, sscc(4), CASES[:1])
    with world.rejected(ParcelOnPallet):  # a pallet on a pallet
        _load(world, producer, sscc(4), (PALLET,))


def test_the_portal_shows_a_pallet_and_its_cases(world: World) -> None:
    """A pallet's page and a case's page render (in both languages) with the pallet's handoff on them."""
    from litestar.testing import TestClient

    from tests.verify_portal.conftest import page_text, portal_app

    producer, courier = _cases_of_ten(world)
    _load(world, producer, PALLET, CASES)
    world.handoff(courier, PALLET, place="曲靖麒麟分拨中心")
    with TestClient(portal_app(world.fixture)) as client:
        for path in (PALLET, CASES[0]):
            for lang in ("zh", "en"):
                page = client.get(f"/{path}?lang={lang}")
                assert page.status_code == 200, page.text
                assert "曲靖麒麟分拨中心" in page_text(page.text)


def test_cases_a_courier_carried_on_a_pallet_are_not_empty_parcels(world: World) -> None:
    """The risk digest follows a pallet's handoffs to its cases: a consumer's case that only a courier's handoff of
    its pallet moved had independent custody (no 空包裹 finding), and those moves are the case's own."""
    from ledger.events import LogEntry
    from ledger.risk import detect, digest_of

    producer = _producer(world)
    courier = world.register("曲靖速达快递", "courier")
    consumers = [SigningKey.generate() for _ in CASES]
    for case, consumer in zip(CASES, consumers, strict=True):
        world.dispatch(producer, case, [(LOT, 1)], consignee=consumer)
    _load(world, producer, PALLET, CASES)
    taken = world.handoff(courier, PALLET)
    head = str(world.parcel(PALLET)["head"])
    world.append(disaggregation_payload(courier.key, PALLET, head, location="曲靖分拨中心"), courier.key)
    for case, consumer in zip(CASES, consumers, strict=True):
        world.sign_for(consumer, case)
    digest = digest_of(LogEntry.parse(world.ledger.entry(index).data) for index in range(world.ledger.size()))
    assert [f for f in detect(digest) if f.detector == "no_independent_custody"] == []
    for case in CASES:
        assert digest.parcels[case].handlers == {courier.id}
        assert taken in [move.event for move in digest.parcels[case].moves]
