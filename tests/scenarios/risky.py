"""The steps of the risk stories: a shop with stock, its sales to consumers' keys, and a monitor's scan."""

from __future__ import annotations

from ledger.events.builders import Content, dispatch_payload, review_payload
from ledger.identifiers import batch_subject
from ledger.risk import Finding, LogDigest
from ledger.store.risks import log_findings, unlogged_findings
from signer.keys import SigningKey
from tests.scenarios.world import Party, World, gtin, sscc

LOT = "XW2026-11"


def shop_with_stock(world: World, stock: int = 20) -> tuple[Party, Party, str]:
    """A producer's batch, ``stock`` of it delivered by a courier to a shop: (the shop, the courier, the batch)."""
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    shop = world.register("曲靖某某优选网店", "merchant", licences=("food_business",))
    courier = world.register("曲靖速达快递", "courier")
    batch = batch_subject(gtin("690123", 1), LOT).path
    world.produce(producer, gtin("690123", 1), LOT, 100)
    world.dispatch(producer, sscc(1), [(batch, stock)], to=shop)
    world.handoff(courier, sscc(1))
    world.handoff(shop, sscc(1))
    return shop, courier, batch


def sell(world: World, shop: Party, parcel: str, batch: str, consumer: SigningKey, serial: str) -> str:
    """The shop dispatches one serialised item to a consumer's key; the dispatch's event id."""
    parents = [str(world.batch(batch)["production"])]
    payload = dispatch_payload(
        shop.key,
        parcel,
        [Content(batch, 1, (serial,))],
        parents,
        location="曲靖市麒麟区",
        consignee_key=consumer.public_key,
    )
    return world.append(payload, shop.key).event_id


def review(world: World, consumer: SigningKey, batch: str, receipt: str, rating: int = 5) -> str:
    return world.append(review_payload(consumer, batch, receipt, rating=rating), consumer).event_id


def scan(world: World, monitor: Party) -> list[Finding]:
    """Run the detectors over the whole log and log what is new; what was logged."""
    found = unlogged_findings(world.ledger, LogDigest())
    log_findings(world.ledger, monitor.key, found)
    return found


def empty_parcels(world: World, shop: Party, batch: str, count: int = 3) -> list[tuple[str, str, str]]:
    """The shop ships one item each to ``count`` keys it made, no courier ever scanning a parcel; each key signs
    for it and gives 5 stars. Each parcel's (subject, dispatch, receipt)."""
    sold = []
    for n in range(count):
        consumer, parcel = SigningKey.generate(), sscc(10 + n)
        dispatch = sell(world, shop, parcel, batch, consumer, f"{n + 1:04d}")
        receipt = world.sign_for(consumer, parcel)
        review(world, consumer, batch, receipt)
        sold.append((parcel, dispatch, receipt))
    return sold
