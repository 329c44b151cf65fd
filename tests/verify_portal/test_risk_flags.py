"""Reviews whose receipts a risk finding flags are shown but left out of the rating, and the page says so in
Chinese and English; a flagged parcel's page shows the finding."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from signer.keys import SigningKey
from tests.ledger.conftest import create_ledger
from tests.scenarios.risky import empty_parcels, review, scan, sell, shop_with_stock
from tests.scenarios.world import World, sscc
from tests.verify_portal.conftest import page_text, portal_app


@pytest.fixture
def shop_story(tmp_path: Path) -> Iterator[tuple[World, TestClient[Litestar], str, str]]:
    """An honest 2-star review, then three 5-star reviews of empty parcels: (world, client, batch, an empty parcel)."""
    world = World(create_ledger(tmp_path / "home"))
    shop, courier, batch = shop_with_stock(world)
    honest = SigningKey.generate()
    sell(world, shop, sscc(9), batch, honest, "0009")
    world.handoff(courier, sscc(9))
    review(world, honest, batch, world.sign_for(honest, sscc(9)), rating=2)
    empty = empty_parcels(world, shop, batch)
    with TestClient(portal_app(world.fixture)) as client:
        yield world, client, batch, empty[0][0]
    world.ledger.close()


def test_flagged_reviews_are_shown_but_left_out_of_the_rating(
    shop_story: tuple[World, TestClient[Litestar], str, str],
) -> None:
    world, client, batch, _ = shop_story
    before = page_text(client.get(f"/{batch}").text)
    assert "4.3 / 5（4 条评价）" in before  # (2 + 5 + 5 + 5) / 4: the empty parcels' stars count
    scan(world, world.register("平台风险监测中心", "monitor"))

    page = page_text(client.get(f"/{batch}").text)
    assert "2.0 / 5（1 条评价）" in page
    assert "3 条评价的签收被风险监测标记：评价照常显示，但不计入评分" in page
    assert page.count("此评价的签收被风险监测标记，不计入评分") == 3
    assert page.count("★★★★★") == 3  # still shown
    english = page_text(client.get(f"/{batch}?lang=en").text)
    assert "2.0 / 5 (1 review)" in english  # English plurals (issue 15)
    assert "3 reviews come from receipts flagged by risk monitoring: shown, but not counted" in english
    raw = client.get(f"/{batch}").text
    assert raw.count('data-flagged="risk"') == 3  # which the browser leaves out when it recounts


def test_a_flagged_parcel_page_shows_the_finding(shop_story: tuple[World, TestClient[Litestar], str, str]) -> None:
    world, client, _, parcel = shop_story
    scan(world, world.register("平台风险监测中心", "monitor"))
    page = page_text(client.get(f"/{parcel}").text)
    assert "风险提示" in page
    assert "风险监测发现：无独立物流交接的签收（空包裹）" in page
    english = page_text(client.get(f"/{parcel}?lang=en").text)
    assert "Found by risk monitoring: a receipt with no independent custody (empty parcel)" in english
