"""The credit page of a shop (``/actor/<USCC>``) as a phone shows it, in Chromium at 390×844, in Chinese and
English: its level with the facts behind it and its black listing, screenshots kept in ``SCREENSHOTS``; and the
product page's links to the producer's and the shop's pages, with the red-list badge."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import PHONE_VIEWPORT, SCREENSHOTS, live_server, portal_app
from tests.e2e.test_portal import WATCH_CSP
from tests.scenarios.credit_story import BLACK_REASON, RED_REASON, credit_story
from tests.scenarios.world import World


@pytest.mark.parametrize(
    ("lang", "level", "black", "reason", "authority"),
    [
        ("zh", "D 级 · 失信", "黑名单", "投诉成立或已赔偿", "决定机关：曲靖市市场监督管理局"),
        (
            "en",
            "D · untrustworthy",
            "Black list",
            "upheld or compensated complaints",
            "Authority: 曲靖市市场监督管理局",
        ),
    ],
)
def test_a_black_listed_shops_page_at_phone_width(world: World, page: Page, lang: str, level: str, black: str,
                                                  reason: str, authority: str) -> None:  # fmt: skip
    story = credit_story(world)
    page.add_init_script(WATCH_CSP)
    with live_server(portal_app(world)) as url:
        page.goto(f"{url}/actor/{story.shop.id}?lang={lang}")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text() == story.shop.name
        assert page.locator("#credit-level").inner_text() == level
        assert page.locator("#black-badge").inner_text() == black
        assert page.locator("#red-badge").count() == 0
        reasons = page.locator(".reason").all_inner_texts()
        assert len(reasons) == 2
        assert reason in reasons[1]
        sanctions = page.locator("#sanctions .sanction").inner_text()
        assert BLACK_REASON in sanctions
        assert authority in sanctions
        links = page.locator(".reason .event-link")
        assert links.first.get_attribute("href") == f"/v1/events/{story.black}"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_VIEWPORT["width"], f"the page is {width}px wide on a {PHONE_VIEWPORT['width']}px phone"
        assert page.evaluate("window.__cspViolations") == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"actor-{lang}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000

        page.goto(f"{url}/{story.item}?lang={lang}")
        page.locator(f'.party-link[href^="/actor/{story.producer}"]').click()
        page.wait_for_url(f"**/actor/{story.producer}*")
        assert page.locator("#red-badge").is_visible()
        assert RED_REASON in page.locator("#sanctions").inner_text()
