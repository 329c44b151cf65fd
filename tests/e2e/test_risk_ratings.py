"""The browser recounts the rating as the server does: the reviews a risk finding flags are left out, in Chromium."""

from __future__ import annotations

from playwright.sync_api import Page

from signer.keys import SigningKey
from tests.e2e.conftest import live_server, portal_app
from tests.e2e.test_bound_fields import open_fields
from tests.scenarios.risky import empty_parcels, review, scan, sell, shop_with_stock
from tests.scenarios.world import World, sscc


def test_the_browser_verifies_a_rating_that_leaves_flagged_reviews_out(world: World, page: Page) -> None:
    shop, courier, batch = shop_with_stock(world)
    honest = SigningKey.generate()
    sell(world, shop, sscc(9), batch, honest, "0009")
    world.handoff(courier, sscc(9))
    review(world, honest, batch, world.sign_for(honest, sscc(9)), rating=2)
    empty_parcels(world, shop, batch)
    scan(world, world.register("平台风险监测中心", "monitor"))
    with live_server(portal_app(world)) as url:
        fields = open_fields(page, f"{url}/{batch}")
    ratings = {f.path: f for f in fields.fields if f.path in ("average", "count")}
    assert (ratings["average"].text, ratings["count"].text) == ("2.0", "1")
    assert {f.state for f in ratings.values()} == {"verified"}
    assert fields.overall == "verified"
