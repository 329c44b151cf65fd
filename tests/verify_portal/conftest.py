"""The portal over a real ledger: a ham story told by the scenario ``World``, served with the API by Litestar's
TestClient, once on SQLite and once on PostgreSQL (``database_url``).

The story has what every page element needs: a serialised item sold to a consumer who signed for it and reviewed
it (with a review text holding markup), an inspection, a black-listed shop among the batch's sellers, a complaint
with its resolution, and a second batch recalled.
"""

from __future__ import annotations

import html
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api import ApiSettings, create_app
from ledger.events import seal_attachment
from ledger.events.builders import (
    Content,
    complaint_payload,
    dispatch_payload,
    inspection_payload,
    listing_payload,
    recall_payload,
    resolution_payload,
    review_payload,
    sanction_payload,
)
from ledger.identifiers import batch_subject, item_subject
from ledger.store.attachments import store_attachment
from signer.keys import SigningKey
from tests.ledger.conftest import PASSPHRASE, LedgerFixture, create_ledger
from tests.scenarios.world import Party, World, gtin, sscc
from verify_portal import PortalSettings, portal_route_handlers

SALT = b"portal test salt"
EDGE = "192.0.2.10"  # the portal's edge proxy (TEST-NET-1)
EDGE_NETWORK = ipaddress.ip_network("192.0.2.0/28")
HAM = batch_subject(gtin("690123", 1), "XW2026-11")
RECALLED = batch_subject(gtin("690123", 2), "XW2026-12")
ITEM = item_subject(gtin("690123", 1), "XW2026-11", "0001")
UNSOLD = item_subject(gtin("690123", 1), "XW2026-11", "0002")
PARCEL = sscc(1)
REVIEW_TEXT = '好吃！<script>window.pwned = true</script> & "quoted"'
BAD_SHOP_REASON = "销售过期食品"


def page_text(page: str) -> str:
    """A page's text as a reader sees it: each bound value is its own element, so tags split the sentences."""
    return html.unescape(re.sub(r"<[^>]*>", "", page))


def portal_app(fixture: LedgerFixture) -> Litestar:
    """The API with the portal's routes, as ``traceledger serve`` assembles it (without rate limits), behind an
    edge proxy at EDGE whose forwarding and city headers it believes."""
    handlers = portal_route_handlers(PortalSettings(scan_salt=SALT))
    return create_app(
        ApiSettings(open_ledger=lambda: fixture.home.open(PASSPHRASE), read_rate_limit=None,
                    write_rate_limit=None, extra_route_handlers=handlers, trusted_proxies=[EDGE_NETWORK])
    )  # fmt: skip


@dataclass
class Story:
    world: World
    producer: Party
    shop: Party
    bad_shop: Party
    courier: Party
    consumer: SigningKey
    receipt: str
    review: str
    review_digest: str


def tell(world: World) -> Story:
    """The ham story (see the module docstring)."""
    producer = world.register("宣威火腿厂", "producer", licences=("food_production",), prefixes=("690123",))
    lab = world.register("曲靖检测中心", "lab")
    shop = world.register("云品优选", "merchant", licences=("food_business",))
    bad_shop = world.register("黑心超市", "merchant", licences=("food_business",))
    courier = world.register("速达快递", "courier")
    regulator = world.register("曲靖市场监管局", "regulator")
    production = world.produce(producer, HAM.gtin or "", HAM.lot or "", 100, expiry="2027-11-30")
    world.append(inspection_payload(lab.key, HAM.path, production, result="pass", standard="GB 2730-2015"), lab.key)
    world.append(listing_payload(shop.key, HAM.path, production, price=25800), shop.key)
    world.append(listing_payload(bad_shop.key, HAM.path, production, price=9900), bad_shop.key)
    world.append(sanction_payload(regulator.key, bad_shop.id, list_="black", reason=BAD_SHOP_REASON), regulator.key)
    consumer = SigningKey.generate()
    dispatch = dispatch_payload(
        producer.key, PARCEL, [Content(HAM.path, 1, ("0001",))], [production], location="宣威市",
        consignee_key=consumer.public_key,
    )  # fmt: skip
    world.append(dispatch, producer.key)
    world.handoff(courier, PARCEL, "曲靖分拨中心")
    receipt = world.sign_for(consumer, PARCEL)
    sealed = seal_attachment(REVIEW_TEXT.encode("utf-8"), "text/plain; charset=utf-8")
    review = world.append(review_payload(consumer, ITEM.path, receipt, rating=4, text=sealed.ref), consumer).event_id
    store_attachment(world.ledger, sealed.ref.digest, sealed.stored)
    complaint = world.append(
        complaint_payload(regulator.key, HAM.path, category="quality", channel="12315"), regulator.key
    ).event_id
    world.append(resolution_payload(producer.key, HAM.path, complaint, outcome="compensated",
                                    reason="mediation_agreement", compensation=5000), producer.key)  # fmt: skip
    recalled = world.produce(producer, RECALLED.gtin or "", RECALLED.lot or "", 50)
    world.append(recall_payload(regulator.key, RECALLED.path, recalled, reason="safety", level=1), regulator.key)
    return Story(world, producer, shop, bad_shop, courier, consumer, receipt, review, sealed.ref.digest)


@dataclass
class Portal:
    client: TestClient[Litestar]
    story: Story

    @property
    def fixture(self) -> LedgerFixture:
        return self.story.world.fixture


@pytest.fixture
def portal(tmp_path: Path, database_url: str | None) -> Iterator[Portal]:
    """The story's ledger served with the portal, once on SQLite and once on PostgreSQL."""
    fixture = create_ledger(tmp_path / "home", database_url)
    try:
        story = tell(World(fixture))
        with TestClient(portal_app(fixture)) as client:
            yield Portal(client, story)
    finally:
        fixture.ledger.close()
