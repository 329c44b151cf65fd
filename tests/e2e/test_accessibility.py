"""axe-core (vendored in tests/vendor, injected by Playwright) on every kind of portal page of a fresh demo, in
Chinese and English at phone size: no serious or critical violation anywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import PHONE_VIEWPORT
from traceledger.demo import SHOP

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
WAIT_FOR = {  # what shows that a page has done its work in the browser
    "product": "#verdict:not([data-state='pending'])",
    "consumer": "#consumer[data-ready='true']",
    "static": "body",
}


def demo_pages(home: Path) -> list[tuple[str, str]]:
    """Every page kind: each demo product page (item, batch, parcel), the consumer's, the start page, an unknown
    code, the problem pages, the actor and disclosure pages."""
    manifest = json.loads((home / "demo.json").read_text("utf-8"))
    pages = [(f"/{page['path']}", "product") for page in manifest["pages"]]
    return [
        *pages, ("/consumer", "consumer"), ("/", "static"), ("/01/06901230000010/10/NOSUCHLOT", "static"),
        ("/problems", "static"), ("/problems/serial-already-sold", "static"), (f"/actor/{SHOP.uscc}", "static"),
        ("/disclosure", "static"),
    ]  # fmt: skip


def violations(browser: Browser, url: str, ready: str) -> list[dict[str, Any]]:
    # axe is injected as a script of its own, which the pages' strict CSP would refuse: only this context bypasses it
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(ready, state="attached")
        page.add_script_tag(path=str(AXE))
        found: list[dict[str, Any]] = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + ": " + n.failureSummary),
            }))"""
        )
        return [v for v in found if v["impact"] in SERIOUS]
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_page_has_a_serious_accessibility_violation(
    served_demo: tuple[str, Path], browser: Browser, lang: str
) -> None:
    base_url, home = served_demo
    found = {}
    for path, kind in demo_pages(home):
        separator = "&" if "?" in path else "?"
        serious = violations(browser, f"{base_url}{path}{separator}lang={lang}", WAIT_FOR[kind])
        if serious:
            found[path] = serious
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


CONTRAST = """(selector) => {
    const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const channel = (v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
    const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    const clear = (e) => /rgba\\(.*, 0\\)$|transparent/.test(getComputedStyle(e).backgroundColor);
    return [...document.querySelectorAll(selector)].map((element) => {
        let back = element;
        while (back.parentElement && clear(back)) back = back.parentElement;
        const ink = luminance(rgb(getComputedStyle(element).color));
        const paper = luminance(rgb(getComputedStyle(back).backgroundColor));
        return (Math.max(ink, paper) + 0.05) / (Math.min(ink, paper) + 0.05);
    });
}"""
TARGETS = "button, select, input:not([type=radio]):not([type=file]), .action, .switch, summary, .file-button"
SMALL_TARGETS = """(selector) => [...document.querySelectorAll(selector)]
    .filter((e) => e.offsetParent !== null && !e.classList.contains("visually-hidden"))
    .map((e) => [e.id || e.className || e.tagName, e.getBoundingClientRect().height])
    .filter(([, height]) => height < 44)"""


def test_stars_are_readable_and_targets_are_big_enough(served_demo: tuple[str, Path], browser: Browser) -> None:
    base_url, _ = served_demo
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
    try:
        page = context.new_page()
        for path in ("/01/06901230000010/10/XW2026-11", "/consumer"):
            page.goto(base_url + path)
            page.wait_for_load_state("networkidle")
            ratios = page.evaluate(CONTRAST, ".stars")
            assert all(ratio >= 4.5 for ratio in ratios), (path, ratios)
            assert page.evaluate(SMALL_TARGETS, TARGETS) == [], path
        page.goto(base_url + "/01/06901230000010/10/XW2026-11")
        assert page.evaluate(CONTRAST, ".stars"), "the batch page shows its reviews' stars"
    finally:
        context.close()
