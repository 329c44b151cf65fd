"""A drug's page shows the approval number, strength and leaflet link its production carries, each checked by the
browser against the signed event; a production without them (every earlier one) still shows and verifies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from ledger.errors import InvalidPayload
from ledger.events.builders import production_payload
from ledger.identifiers import batch_subject
from tests.e2e.conftest import live_server, portal_app
from tests.e2e.test_verification import open_page
from tests.scenarios.world import Party, World, gtin
from verify_portal.i18n import Texts

ZH = Texts("zh-CN")
LEAFLET = "https://leaflets.example/KY261101.pdf"


def _maker(world: World) -> Party:
    return world.register("康源制药", "producer", licences=("drug_manufacturing",), prefixes=("690789",))


def _drug(world: World, lot: str, maker: Party | None = None, *, approval_number: str | None = None,
          strength: str | None = None, leaflet: str | None = None) -> str:  # fmt: skip
    maker = maker or _maker(world)
    payload = production_payload(
        maker.key, gtin("690789", 1), lot, product="板蓝根颗粒（10克×20袋）", category="drug", quantity=100, unit="盒",
        place="曲靖市", approval_number=approval_number, strength=strength, leaflet=leaflet,
    )  # fmt: skip
    world.append(payload, maker.key)
    return batch_subject(gtin("690789", 1), lot).path


@pytest.fixture
def served(world: World) -> Iterator[str]:
    with live_server(portal_app(world)) as url:
        yield url


def test_a_drug_page_shows_its_label_facts_verified(world: World, served: str, page: Page) -> None:
    batch = _drug(world, "KY261101", approval_number="国药准字Z53021234", strength="每袋装10克", leaflet=LEAFLET)
    assert open_page(page, f"{served}/{batch}").overall == "verified"
    facts = page.locator(".facts")
    expect(facts).to_contain_text(f"{ZH('approval_number')}国药准字Z53021234")
    expect(facts).to_contain_text(f"{ZH('strength')}每袋装10克")
    link = page.locator(".leaflet a")
    expect(link).to_have_attribute("href", LEAFLET)
    expect(link).to_have_text(ZH("leaflet"))
    assert page.locator("[data-v-state='mismatch'], [data-v-state='failed']").count() == 0
    expect(page.locator(".leaflet [data-v-state='verified']")).to_have_text(LEAFLET)


def test_a_production_without_them_shows_none(world: World, served: str, page: Page) -> None:
    batch = _drug(world, "KY261102")
    assert open_page(page, f"{served}/{batch}").overall == "verified"
    expect(page.locator(".facts")).not_to_contain_text(ZH("approval_number"))
    expect(page.locator(".leaflet")).to_have_count(0)


def test_a_leaflet_link_must_be_https(world: World) -> None:
    maker = _maker(world)
    with world.rejected(InvalidPayload):
        _drug(world, "KY261103", maker, leaflet="http://leaflets.example/x.pdf")
