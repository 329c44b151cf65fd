"""Review averages (issue 11): a follow-up review counts, and an item's page rates the item, not its batch."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from ledger.events.builders import Content, dispatch_payload, review_payload
from ledger.history import subject_history
from ledger.identifiers import batch_subject, item_subject
from signer.keys import SigningKey
from tests.scenarios.world import World, gtin, sscc
from tests.verify_portal.conftest import page_text, portal_app
from verify_portal.i18n import Texts

BATCH = batch_subject(gtin("690123", 1), "L1")
ITEM = item_subject(gtin("690123", 1), "L1", "0001")


@pytest.fixture
def reviewed(world: World) -> World:
    """Item 0001 reviewed 2 then followed up 4; a second consumer reviews the whole batch 5."""
    producer = world.register("宣威火腿厂", "producer", licences=("food_production",), prefixes=("690123",))
    courier = world.register("快递", "courier")
    production = world.produce(producer, BATCH.gtin or "", BATCH.lot or "", 10)
    item_buyer, batch_buyer = SigningKey.generate(), SigningKey.generate()
    item_parcel = dispatch_payload(producer.key, sscc(1), [Content(BATCH.path, 1, ("0001",))], [production],
                                   location="宣威", consignee_key=item_buyer.public_key)  # fmt: skip
    world.append(item_parcel, producer.key)
    world.dispatch(producer, sscc(2), [(BATCH.path, 1)], consignee=batch_buyer)
    for parcel in (sscc(1), sscc(2)):
        world.handoff(courier, parcel)
    first = world.append(review_payload(item_buyer, ITEM.path, world.sign_for(item_buyer, sscc(1)), rating=2),
                         item_buyer).event_id  # fmt: skip
    world.append(review_payload(item_buyer, ITEM.path, first, rating=4), item_buyer)
    world.append(review_payload(batch_buyer, BATCH.path, world.sign_for(batch_buyer, sscc(2)), rating=5), batch_buyer)
    return world


def test_a_follow_up_review_counts_in_the_batchs_rating(reviewed: World) -> None:
    assert reviewed.batch(BATCH.path)["reviews"] == {"count": 3, "sum": 11}
    history = subject_history(reviewed.ledger, BATCH.path)
    assert history.distribution is not None
    assert (history.distribution.rating_count, history.distribution.rating_sum) == (3, 11)


def test_an_items_history_holds_its_own_reviews_and_rating_only(reviewed: World) -> None:
    history = subject_history(reviewed.ledger, ITEM.path)
    reviews = [e for e in history.entries if e.kind == "review"]
    assert [e.subject for e in reviews] == [ITEM.path, ITEM.path]
    assert history.distribution is not None
    assert (history.distribution.rating_count, history.distribution.rating_sum) == (2, 6)


def test_an_items_page_shows_its_own_average_and_the_api_bundle_agrees(reviewed: World) -> None:
    with TestClient(portal_app(reviewed.fixture)) as client:
        page = page_text(client.get(f"/{ITEM.path}").text)
        bundle = client.get(f"/v1/subjects/{ITEM.path}").json()
        batch_page = page_text(client.get(f"/{BATCH.path}").text)
    assert Texts("zh-CN")("rating_value", average="3.0", count=2) in page
    assert "★★★★★" not in page  # the batch's review is not the item's
    assert [e["subject"] for e in bundle["entries"] if e["kind"] == "review"] == [ITEM.path, ITEM.path]
    assert (bundle["summary"]["distribution"]["rating_count"], bundle["summary"]["distribution"]["rating_sum"]) == (
        2, 6,
    )  # fmt: skip
    assert Texts("zh-CN")("rating_value", average="3.7", count=3) in batch_page
