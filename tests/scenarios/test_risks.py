"""Risk detection stories (issue 12) over a real ledger: each fraud pattern yields exactly its findings, logged
once by a monitor, and the demo's honest traffic yields none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger.events.builders import Content, dispatch_payload, handoff_payload
from ledger.identifiers import item_subject
from ledger.risk import LogDigest
from ledger.store.risks import risk_queue, unlogged_findings
from signer.keys import SigningKey
from tests.scenarios.risky import LOT, empty_parcels, review, scan, sell, shop_with_stock
from tests.scenarios.world import World, gtin, sscc
from traceledger.demo import build_demo


def _logged(world: World) -> set[tuple[str, str, str | None, tuple[str, ...]]]:
    return {
        (q.row["detector"], q.row["subject"], q.row["actor"], tuple(q.row["evidence"]))
        for q in risk_queue(world.ledger)
    }


def test_a_shop_shipping_to_keys_it_made_with_no_courier_gets_three_empty_parcel_findings(world: World) -> None:
    shop, _, batch = shop_with_stock(world)
    monitor = world.register("平台风险监测中心", "monitor")
    sold = empty_parcels(world, shop, batch)
    expected = {("no_independent_custody", p, shop.id, tuple(sorted([d, r]))) for p, d, r in sold}
    found = scan(world, monitor)
    assert {(f.detector, f.subject, f.actor, f.evidence) for f in found} == expected
    assert _logged(world) == expected
    assert scan(world, monitor) == []  # nothing is logged twice
    assert len(risk_queue(world.ledger)) == 3


def test_self_dealt_receipts_by_a_key_only_the_shop_ever_sends_to(world: World) -> None:
    shop, courier, batch = shop_with_stock(world)
    monitor = world.register("平台风险监测中心", "monitor")
    own_key = SigningKey.generate()  # a "consumer" the shop made: every parcel to it comes from the shop
    dispatches, reviews = [], []
    for n in range(3):
        parcel = sscc(10 + n)
        dispatches.append(sell(world, shop, parcel, batch, own_key, f"{n + 1:04d}"))
        world.handoff(courier, parcel)
        reviews.append(review(world, own_key, batch, world.sign_for(own_key, parcel)))
    scan(world, monitor)
    assert _logged(world) == {
        ("captive_consignee", shop.subject, shop.id, tuple(sorted(dispatches))),
        ("captive_reviewer", shop.subject, shop.id, tuple(sorted(reviews[:2]))),
    }


def test_a_parcel_scanned_in_kunming_and_an_hour_later_in_harbin_is_impossible_travel(world: World) -> None:
    shop, courier, batch = shop_with_stock(world)
    monitor = world.register("平台风险监测中心", "monitor")
    other = world.register("哈尔滨某快递", "courier")
    grocer = world.register("哈尔滨某超市", "merchant")
    start = datetime.now(UTC) - timedelta(hours=6)
    parcel = sscc(10)
    parents = [str(world.batch(batch)["production"])]
    dispatch = dispatch_payload(
        shop.key, parcel, [Content(batch, 2)], parents, location="云南省昆明市 官渡区仓库", to=grocer.id, time=start
    )
    head = world.append(dispatch, shop.key).event_id
    plausible = handoff_payload(
        courier.key, parcel, head, from_actor=shop.id, location="曲靖市麒麟区 分拨中心", time=start + timedelta(hours=3)
    )
    scanned = world.append(plausible, courier.key).event_id  # about 130 km in 3 hours: a truck does that
    impossible = handoff_payload(
        other.key,
        parcel,
        scanned,
        from_actor=courier.id,
        location="黑龙江省哈尔滨市 道里区",
        time=start + timedelta(hours=4),
    )
    harbin = world.append(impossible, other.key).event_id
    scan(world, monitor)
    assert _logged(world) == {("impossible_travel", parcel, other.id, tuple(sorted([scanned, harbin])))}


def test_five_receipts_and_reviews_within_the_hour_are_a_burst(world: World) -> None:
    shop, courier, batch = shop_with_stock(world)
    monitor = world.register("平台风险监测中心", "monitor")
    receipts, reviews = [], []
    for n in range(6):  # the sixth starts a new count, which five more would complete
        consumer, parcel = SigningKey.generate(), sscc(10 + n)
        sell(world, shop, parcel, batch, consumer, f"{n + 1:04d}")
        world.handoff(courier, parcel)
        receipts.append(world.sign_for(consumer, parcel))
        reviews.append(review(world, consumer, batch, receipts[-1]))
    scan(world, monitor)
    assert _logged(world) == {
        ("receipt_burst", shop.subject, shop.id, tuple(sorted(receipts[:5]))),
        ("review_burst", batch, shop.id, tuple(sorted(reviews[:5]))),
    }


def test_a_serial_sold_twice_is_a_repeated_sale(world: World) -> None:
    shop, courier, batch = shop_with_stock(world)
    monitor = world.register("平台风险监测中心", "monitor")
    first = sell(world, shop, sscc(10), batch, SigningKey.generate(), "0001")
    world.handoff(courier, sscc(10))
    again = sell(world, shop, sscc(11), batch, SigningKey.generate(), "0001")
    world.handoff(courier, sscc(11))
    item = item_subject(gtin("690123", 1), LOT, "0001").path
    scan(world, monitor)
    assert _logged(world) == {("repeated_serial", item, shop.id, tuple(sorted([first, again])))}


def test_the_demos_honest_traffic_yields_no_finding(world: World) -> None:
    build_demo(world.ledger, world.registrar, b"\0" * 32)
    assert unlogged_findings(world.ledger, LogDigest()) == []
