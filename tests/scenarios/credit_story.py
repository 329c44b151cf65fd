"""The credit story of issue 11: a shop sells a ham to a consumer, who complains; the complaint is upheld, the
shop is black-listed for a month, and the producer is put on the red list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ledger.events import format_time
from ledger.events.builders import complaint_payload, resolution_payload, sanction_payload
from ledger.identifiers import item_subject
from signer.keys import SigningKey
from tests.scenarios.risky import LOT, review, sell, shop_with_stock
from tests.scenarios.world import Party, World, gtin, sscc

BLACK_REASON = "销售假冒火腿"
RED_REASON = "诚信经营示范企业"


@dataclass(frozen=True)
class CreditStory:
    producer: str  # USCC
    shop: Party
    regulator: Party
    batch: str
    item: str
    complaint: str
    black: str
    red: str
    levels: dict[str, str]  # the shop's level after each step: sold, upheld, black


def level_of(world: World, actor_id: str) -> str:
    row = world.ledger.view("credit", actor_id)
    assert row is not None
    return str(row["level"]["level"])


def credit_story(world: World) -> CreditStory:
    shop, courier, batch = shop_with_stock(world)
    producer_id = str(world.batch(batch)["producer"])
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    consumer = SigningKey.generate()
    sell(world, shop, sscc(50), batch, consumer, "0001")
    world.handoff(courier, sscc(50))
    receipt = world.sign_for(consumer, sscc(50))
    review(world, consumer, batch, receipt, rating=2)
    levels = {"sold": level_of(world, shop.id)}
    complaint = world.append(
        complaint_payload(consumer, shop.subject, category="counterfeit", parents=[receipt]), consumer
    ).event_id
    resolution = resolution_payload(regulator.key, shop.subject, complaint, outcome="upheld", reason="violation_found")
    world.append(resolution, regulator.key)
    levels["upheld"] = level_of(world, shop.id)
    until = format_time(datetime.now(UTC) + timedelta(days=30))
    black = world.append(
        sanction_payload(regulator.key, shop.id, list_="black", reason=BLACK_REASON, until=until), regulator.key
    ).event_id
    levels["black"] = level_of(world, shop.id)
    red = world.append(
        sanction_payload(regulator.key, producer_id, list_="red", reason=RED_REASON), regulator.key
    ).event_id
    item = item_subject(gtin("690123", 1), LOT, "0001").path
    return CreditStory(producer_id, shop, regulator, batch, item, complaint, black, red, levels)
