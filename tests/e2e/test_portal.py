"""The portal as a consumer's phone shows it: the demo ledger served live, pages rendered by Debian's Chromium at
phone width, in Chinese and English, with screenshots kept in ``SCREENSHOTS`` for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page

from ledger.events import seal_attachment, sign_event
from ledger.events.builders import review_payload
from ledger.identifiers import item_subject
from ledger.store.attachments import store_attachment
from tests.demos import demo_home
from tests.e2e.conftest import SCREENSHOTS, live_server
from traceledger.demo import DRUG, HAM, DemoStory
from traceledger.server import api_and_portal
from traceledger.settings import Home
from verify_portal.i18n import Texts

PASSPHRASE = "e2e portal passphrase"
ZH, EN = Texts("zh-CN"), Texts("en")
HOSTILE_REVIEW = '追评：<script>window.pwned = true</script><img src=x onerror="window.pwned = true">还不错'
ITEM = item_subject(HAM.gtin or "", HAM.lot or "", "0001").path
ERASED = item_subject(HAM.gtin or "", HAM.lot or "", "0002").path  # consumer-b had its review text erased
COPIED = item_subject(HAM.gtin or "", HAM.lot or "", "0003").path

# Records the page's CSP violations from before its first script runs (an init script is not subject to the CSP).
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective));
"""


@dataclass(frozen=True)
class Site:
    url: str
    story: DemoStory


def _follow_up_with_markup(home: Home, story: DemoStory) -> None:
    """consumer-a's follow-up review, whose text tries to run script: a test fixture, not part of the demo."""
    ledger = home.open(PASSPHRASE)
    try:
        consumer = story.consumers["consumer-a"]
        sealed = seal_attachment(HOSTILE_REVIEW.encode("utf-8"), "text/plain; charset=utf-8")
        payload = review_payload(consumer, ITEM, story.reviews["consumer-a"], rating=4, text=sealed.ref)
        ledger.append([sign_event(payload, [consumer]).to_json()])
        store_attachment(ledger, sealed.ref.digest, sealed.stored)
    finally:
        ledger.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo's ledger (plus a hostile follow-up review) served live with the API and the portal."""
    home, story = demo_home(tmp_path_factory.mktemp("portal") / "demo", PASSPHRASE)
    _follow_up_with_markup(home, story)
    with live_server(api_and_portal(home, lambda: home.open(PASSPHRASE))) as url:
        yield Site(url, story)


@pytest.fixture
def phone(page: Page) -> tuple[Page, list[str]]:
    """The phone-sized page, watching for CSP violations and collecting console errors."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.add_init_script(WATCH_CSP)
    return page, errors


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#verdict:not([data-state=pending])", timeout=20000)


def _clean(page: Page, errors: list[str]) -> None:
    assert page.evaluate("window.__cspViolations") == []
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    assert page.evaluate("window.pwned === undefined")


def _screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_an_item_page_renders_and_verifies_in_chinese_at_phone_width(site: Site, phone: tuple[Page, list[str]]) -> None:
    page, errors = phone
    _open(page, f"{site.url}/{ITEM}")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.get_attribute("#verdict", "data-state") == "verified"
    assert page.text_content("#verdict") == ZH("verdict_verified")
    events = page.locator("li.event")
    assert events.count() >= 8
    assert page.locator(".event-verdict[data-state=verified]").count() == events.count()
    assert page.locator("h1").text_content() == "宣威火腿（500克）"
    assert page.get_by_text("宣威市老浦火腿有限公司").first.is_visible()
    viewport = page.viewport_size
    assert viewport is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # nothing wider than the phone
    _screenshot(page, "item-zh.png")
    _clean(page, errors)


def test_an_item_page_in_english(site: Site, phone: tuple[Page, list[str]]) -> None:
    page, errors = phone
    _open(page, f"{site.url}/{ITEM}?lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert page.get_attribute("#verdict", "data-state") == "verified"
    assert page.get_by_text(EN("ev_production"), exact=True).is_visible()
    assert page.get_by_text(EN("receive_action")).is_visible()
    _screenshot(page, "item-en.png")
    _clean(page, errors)


def test_a_review_holding_markup_is_shown_as_text_and_runs_nothing(site: Site, phone: tuple[Page, list[str]]) -> None:
    page, errors = phone
    _open(page, f"{site.url}/{ITEM}")
    texts = page.locator(".review-text").all_text_contents()
    assert HOSTILE_REVIEW in texts
    assert page.locator(".review-text img").count() == 0
    assert page.locator("main script").count() == 0
    _clean(page, errors)


def test_an_erased_review_text_shows_content_removed_and_its_erasure_verifies(
    site: Site, phone: tuple[Page, list[str]]
) -> None:
    page, errors = phone
    _open(page, f"{site.url}/{ERASED}")
    assert page.get_attribute("#verdict", "data-state") == "verified"
    events = page.locator("li.event")
    assert page.locator(".event-verdict[data-state=verified]").count() == events.count()
    erasure = page.locator("li.event", has_text=ZH("erasure_detail", reason=ZH("erasure_pipl_request")))
    assert erasure.count() == 1  # the consumer's own signed erasure, verified like every other event
    assert ZH("ev_attachment.erasure") in (erasure.text_content() or "")
    assert page.get_by_text(ZH("content_removed")).first.is_visible()
    _clean(page, errors)


def test_a_recalled_batch_shows_its_banner(site: Site, phone: tuple[Page, list[str]]) -> None:
    page, errors = phone
    _open(page, f"{site.url}/{DRUG.path}")
    banner = page.locator(".banner.danger").first
    assert banner.is_visible()
    assert ZH("banner_recall") in (banner.text_content() or "")
    assert page.get_attribute("#verdict", "data-state") == "verified"
    _screenshot(page, "recall-zh.png")
    _clean(page, errors)


def test_a_copied_code_shows_its_warning(site: Site, phone: tuple[Page, list[str]]) -> None:
    page, errors = phone
    _open(page, f"{site.url}/{COPIED}")
    warning = page.locator(".banner.warning", has_text=ZH("banner_copy"))
    assert warning.is_visible()
    # no dispatch ever carried 0003: its page says so first, and the verdict is not green (issue 10, item 6)
    assert ZH("banner_not_issued") in (page.locator(".banner").first.text_content() or "")
    assert page.get_attribute("#verdict", "data-state") == "not-issued"
    _screenshot(page, "copy-zh.png")
    _clean(page, errors)


def test_the_start_page_and_an_unknown_code(site: Site, phone: tuple[Page, list[str]]) -> None:
    page, errors = phone
    page.goto(f"{site.url}/")
    assert page.get_by_text(ZH("landing_title")).is_visible()
    _screenshot(page, "landing-zh.png")
    response = page.goto(f"{site.url}/01/{HAM.gtin}/10/UNKNOWN?lang=en")
    assert response is not None
    assert response.status == 404
    assert page.get_by_text(EN("not_found_title")).is_visible()
    _screenshot(page, "not-found-en.png")
    _clean(page, errors)
