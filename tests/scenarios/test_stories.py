"""The stories of issue 3, told through the public Python API over a real SQLite ledger."""

from __future__ import annotations

from ledger.errors import (
    BatchRecalled,
    BlackListed,
    CustodyFork,
    InsufficientQuantity,
    KeyRevoked,
    PrefixNotOwned,
    ReceiptRequired,
    ReviewLimit,
)
from ledger.events import seal_attachment
from ledger.events.builders import (
    inspection_payload,
    key_update_payload,
    listing_payload,
    production_payload,
    recall_payload,
    review_payload,
    sanction_payload,
)
from ledger.history import subject_history
from ledger.identifiers import batch_subject
from signer.keys import SigningKey
from tests.scenarios.world import Party, World, gtin, sscc


def _ham_world(world: World) -> tuple[Party, Party, list[Party], str, str]:
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    merchant = world.register("曲靖云品优选电子商务有限公司", "merchant", licences=("food_business",))
    couriers = [world.register(f"曲靖速达快递 {i}", "courier") for i in range(3)]
    batch = batch_subject(gtin("690123", 1), "XW2026-11").path
    production = world.produce(producer, gtin("690123", 1), "XW2026-11", 100)
    return producer, merchant, couriers, batch, production


def test_xuanwei_ham_from_producer_to_a_consumers_follow_up_review(world: World) -> None:
    producer, merchant, couriers, batch, production = _ham_world(world)
    lab = world.register("云南省食品检验所", "lab")
    world.append(
        inspection_payload(
            lab.key,
            batch,
            production,
            result="pass",
            standard="GB 2730-2015",
            report=seal_attachment(b"%PDF report", "application/pdf").ref,
        ),
        lab.key,
    )
    world.append(listing_payload(merchant.key, batch, production, price=25800), merchant.key)
    consumer = SigningKey.generate()
    parcel = sscc(1)
    world.dispatch(producer, parcel, [(batch, 2)], consignee=consumer)
    for courier in couriers:
        world.handoff(courier, parcel)
    receipt = world.sign_for(consumer, parcel)
    review = world.append(review_payload(consumer, batch, receipt, rating=5), consumer).event_id
    world.append(review_payload(consumer, batch, review, rating=4), consumer)

    assert world.batch(batch)["delivered"] == 2
    assert world.batch(batch)["reviews"] == {"count": 2, "sum": 9}  # the follow-up counts too (issue 11)
    assert world.parcel(parcel)["status"] == "signed"
    world.conserved(batch)
    history = subject_history(world.ledger, batch)
    kinds = [e.kind for e in history.entries]
    assert kinds == ["production", "inspection", "listing", "review", "review"]
    parcel_history = subject_history(world.ledger, parcel)
    assert [e.kind for e in parcel_history.entries] == ["shipment"] * 4 + ["signature"]
    assert history.distribution is not None
    assert history.distribution.delivered == 2
    signer_ids = {e.event_id for e in history.registrations}
    assert str(world.ledger.view("actors", producer.id)["registration"]) in signer_ids  # type: ignore[index]


def test_a_counterfeit_batch_under_another_companys_prefix_is_rejected(world: World) -> None:
    world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    forger = world.register("某食品厂", "producer", licences=("food_production",), prefixes=("690999",))
    payload = production_payload(
        forger.key,
        gtin("690123", 1),
        "FAKE1",
        product="宣威火腿",
        category="food",
        quantity=500,
        unit="件",
        place="某地",
    )
    with world.rejected(PrefixNotOwned):
        world.append(payload, forger.key)


def test_a_recall_mid_shipment_blocks_dispatch_but_allows_a_return(world: World) -> None:
    producer, merchant, couriers, batch, production = _ham_world(world)
    world.dispatch(producer, sscc(1), [(batch, 10)], to=merchant)
    world.handoff(couriers[0], sscc(1))
    world.append(recall_payload(producer.key, batch, production, reason="safety", level=1), producer.key)
    world.handoff(merchant, sscc(1))  # goods already on the way still arrive
    with world.rejected(BatchRecalled):
        world.dispatch(producer, sscc(2), [(batch, 5)], to=merchant)
    with world.rejected(BatchRecalled):
        world.append(listing_payload(merchant.key, batch, production, price=100), merchant.key)
    world.dispatch(merchant, sscc(3), [(batch, 10)], to=producer)  # the return
    world.handoff(couriers[1], sscc(3))
    world.handoff(producer, sscc(3))
    assert world.batch(batch)["holdings"] == {producer.id: 100}
    world.conserved(batch)
    assert subject_history(world.ledger, batch).recalled


def test_a_black_listed_couriers_handoff_is_rejected(world: World) -> None:
    producer, merchant, couriers, batch, _ = _ham_world(world)
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    world.dispatch(producer, sscc(1), [(batch, 1)], to=merchant)
    world.append(sanction_payload(regulator.key, couriers[0].id, list_="black", reason="伪造签收"), regulator.key)
    with world.rejected(BlackListed):
        world.handoff(couriers[0], sscc(1))
    world.handoff(couriers[1], sscc(1))


def test_a_custody_fork_is_accepted_once(world: World) -> None:
    producer, merchant, couriers, batch, _ = _ham_world(world)
    world.dispatch(producer, sscc(1), [(batch, 1)], to=merchant)
    first = world.handoff_payload(couriers[0], sscc(1))
    second = world.handoff_payload(couriers[1], sscc(1))
    world.append(first, couriers[0].key)
    with world.rejected(CustodyFork):
        world.append(second, couriers[1].key)
    assert world.parcel(sscc(1))["custodian"] == couriers[0].id


def test_reviews_need_a_receipt_and_stop_after_one_follow_up(world: World) -> None:
    producer, _, couriers, batch, production = _ham_world(world)
    consumer = SigningKey.generate()
    world.dispatch(producer, sscc(1), [(batch, 1)], consignee=consumer)
    with world.rejected(ReceiptRequired):
        world.append(review_payload(consumer, batch, production, rating=1), consumer)
    world.handoff(couriers[0], sscc(1))
    receipt = world.sign_for(consumer, sscc(1))
    first = world.append(review_payload(consumer, batch, receipt, rating=2), consumer).event_id
    follow_up = world.append(review_payload(consumer, batch, first, rating=3), consumer).event_id
    with world.rejected(ReviewLimit):
        world.append(review_payload(consumer, batch, first, rating=1), consumer)
    with world.rejected(ReviewLimit):
        world.append(review_payload(consumer, batch, receipt, rating=1), consumer)
    assert follow_up


def test_a_key_cannot_sign_after_its_revocation(world: World) -> None:
    producer, _, _, batch, production = _ham_world(world)
    actor = world.ledger.view("actors", producer.id)
    assert actor is not None
    world.append(
        key_update_payload(world.registrar, producer.id, str(actor["key_event"]), revoke=[producer.key.kid]),
        world.registrar,
    )
    with world.rejected(KeyRevoked):
        world.append(inspection_payload(producer.key, batch, production, result="pass", standard="GB"), producer.key)


def test_a_split_lot_to_three_merchants_conserves_quantity(world: World) -> None:
    producer, _, couriers, _, _ = _ham_world(world)
    merchants = [world.register(f"商户{i}", "merchant", licences=("food_business",)) for i in range(3)]
    batch = batch_subject(gtin("690123", 2), "SPLIT-1").path
    world.produce(producer, gtin("690123", 2), "SPLIT-1", 1000)
    for number, (merchant, quantity) in enumerate(zip(merchants, (500, 300, 150), strict=True), start=10):
        world.dispatch(producer, sscc(number), [(batch, quantity)], to=merchant)
        world.conserved(batch)
        world.handoff(couriers[0], sscc(number))
        world.handoff(merchant, sscc(number))
        world.conserved(batch)
    with world.rejected(InsufficientQuantity):
        world.dispatch(producer, sscc(20), [(batch, 51)], to=merchants[0])
    with world.rejected(InsufficientQuantity):
        world.dispatch(merchants[2], sscc(21), [(batch, 151)], to=merchants[0])
    row = world.batch(batch)
    assert row["holdings"] == {producer.id: 50, merchants[0].id: 500, merchants[1].id: 300, merchants[2].id: 150}
    assert row["in_transit"] == 0
    world.conserved(batch)
