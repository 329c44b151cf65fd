"""Risk detection stories (issue 12) over a real ledger: each fraud pattern yields exactly its findings, logged
once by a monitor, and the demo's honest traffic yields none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger.events import LogEntry, format_time
from ledger.events.builders import Content, dispatch_payload, handoff_payload
from ledger.identifiers import batch_subject, item_subject
from ledger.risk import LogDigest
from ledger.store.risks import risk_queue, unlogged_findings
from ledger.store.scans import record_scan
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


def test_scans_of_a_serial_beyond_its_batch_and_of_a_lot_never_produced_are_never_issued_codes(world: World) -> None:
    """A batch of 200 issued 0001-0200: scans of 0201 are of a code never issued, which the batch's production
    shows; scans of a lot its producer never logged, under the producer's GTIN prefix, are too, which the
    registration of the prefix shows. Scans of issued codes, and of a GTIN no one registered, are not findings."""
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    monitor = world.register("平台风险监测中心", "monitor")
    production = world.produce(producer, gtin("690123", 1), LOT, 200)
    batch = batch_subject(gtin("690123", 1), LOT).path
    beyond = item_subject(gtin("690123", 1), LOT, "0201").path
    fake_lot = batch_subject(gtin("690123", 1), "FAKE-1").path
    unregistered = batch_subject(gtin("690999", 1), LOT).path
    end = datetime.now(UTC)
    last_issued = item_subject(gtin("690123", 1), LOT, "0200").path
    scans = [
        (beyond, "曲靖市", 30), (beyond, "net:203.0.113.0/24", 20), (beyond, "昆明市", 10), (fake_lot, "广州市", 5),
        (batch, "曲靖市", 4), (last_issued, "曲靖市", 3), (unregistered, "曲靖市", 2),
    ]  # fmt: skip
    for subject, place, hours in scans:
        assert record_scan(world.ledger, subject, place, "a" * 32, end - timedelta(hours=hours))
    registration = str(world.ledger.view("actors", producer.id)["registration"])  # type: ignore[index]

    found = scan(world, monitor)
    assert _logged(world) == {
        ("never_issued_scan", batch, producer.id, (production,)),
        ("never_issued_scan", fake_lot, producer.id, (registration,)),
    }
    facts = {f.subject: f.scans.data() for f in found if f.scans is not None}
    assert facts == {
        batch: {"codes": [beyond], "count": 3, "first": format_time(end - timedelta(hours=30)),
                "last": format_time(end - timedelta(hours=10)), "places": ["昆明市", "曲靖市"]},
        fake_lot: {"codes": [fake_lot], "count": 1, "first": format_time(end - timedelta(hours=5)),
                   "last": format_time(end - timedelta(hours=5)), "places": ["广州市"]},
    }  # fmt: skip
    for queued in risk_queue(world.ledger):  # what the log holds is what the monitor saw: signed in the finding
        logged = world.ledger.entry_by_event_id(queued.finding)
        assert LogEntry.parse(logged.data).event.payload.data["scans"] == facts[queued.row["subject"]]
    record_scan(world.ledger, beyond, "哈尔滨市", "b" * 32)
    assert scan(world, monitor) == []  # one finding a batch: more scans of it are not logged again
