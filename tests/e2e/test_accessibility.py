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
