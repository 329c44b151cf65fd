"""One code, one sale, in the browser (issue 10, item 6): a serial its batch never issued, or that no dispatch
carried, is never shown under the all-verified verdict. verify.js decides it from the verified production and
dispatches (static/issuance.js), so a page that hides the warning still says so, and one that shows it on a
genuine item is flagged."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from ledger.rules.serials import issued
from tests.e2e.test_verification import alter_html, open_page, static_url
from tests.verify_portal.conftest import HAM, ITEM, UNSOLD, Story
from verify_portal.i18n import Texts

__all__ = ["static_url"]  # test_verification's fixture, served to this module's tests too

ZH, EN = Texts("zh-CN"), Texts("en")
ISSUANCE = "/static/portal/issuance.js"
BANNER = re.compile(  # the never-issued banner as the portal renders it
    r'<section class="banner [a-z]+" role="alert">\s*<p class="banner-title"><span data-v="issuance".*?</section>\s*',
    re.S,
)


def issuance_title(page: Page) -> dict[str, str] | None:
    found: dict[str, str] | None = page.evaluate(
        """() => {
            const title = document.querySelector("[data-v='issuance']");
            return title === null ? null : { value: title.dataset.vValue, state: title.dataset.vState };
        }"""
    )
    return found


@pytest.mark.parametrize(("serial", "state"), [("9999", "outside"), ("ABC", "outside"), ("0002", "undispatched")])
def test_a_code_never_issued_is_never_all_verified(ham: Story, ham_url: str, page: Page, serial: str, state: str
                                                   ) -> None:  # fmt: skip
    result = open_page(page, f"{ham_url}/{HAM.path}/21/{serial}")
    assert result.overall == "not-issued"
    assert page.text_content("#verdict") == ZH("verdict_not_issued")
    assert set(result.events.values()) == {"verified"}  # every record holds; the code itself is the problem
    assert issuance_title(page) == {"value": state, "state": "verified"}
    assert "此码未发放" in (page.locator(".banner").first.text_content() or "")
    english = open_page(page, f"{ham_url}/{HAM.path}/21/{serial}?lang=en")
    assert english.overall == "not-issued"
    assert page.text_content("#verdict") == EN("verdict_not_issued")
    assert "This code was never issued" in (page.locator(".banner").first.text_content() or "")


def test_a_sold_item_verifies_without_the_warning(ham: Story, ham_url: str, page: Page) -> None:
    result = open_page(page, f"{ham_url}/{ITEM.path}")
    assert result.overall == "verified"
    assert issuance_title(page) is None


def test_a_page_hiding_the_warning_still_is_not_verified(ham: Story, ham_url: str, page: Page) -> None:
    def hide(html: str) -> str:
        hidden, count = BANNER.subn("", html)
        assert count == 1
        return hidden

    alter_html(page, hide)
    for path in (f"{HAM.path}/21/9999", UNSOLD.path):
        result = open_page(page, f"{ham_url}/{path}")
        assert issuance_title(page) is None
        assert result.overall == "not-issued"


def test_a_page_claiming_a_sold_item_was_never_issued_is_flagged(ham: Story, ham_url: str, page: Page) -> None:
    forged = (
        '<section class="banner danger" role="alert"><p class="banner-title">'
        f'<span data-v="issuance" data-v-value="outside">{ZH("banner_not_issued")}</span></p></section>'
    )
    alter_html(page, lambda html: html.replace("<main>", "<main>" + forged, 1))
    result = open_page(page, f"{ham_url}/{ITEM.path}")
    assert issuance_title(page) == {"value": "outside", "state": "mismatch"}
    assert result.overall == "failed"


def test_the_browser_issues_exactly_the_serials_the_ledger_does(static_url: str, page: Page) -> None:
    quantities = [1, 9, 100, 200, 9999, 10000, 12345]
    serials = ["0001", "0009", "0010", "0100", "0101", "0200", "0201", "9999", "10000", "12345", "12346", "00001",
               "0000", "1", "200", "ABC", "-001", "01e2", "0x10", " 001", "1.00", "000100"]  # fmt: skip
    page.goto(f"{static_url}{ISSUANCE}")
    cases = [(serial, quantity) for quantity in quantities for serial in serials]
    browser: list[bool] = page.evaluate(
        """async ([module, cases]) => {
            const { issued } = await import(module);
            return cases.map(([serial, quantity]) => issued(serial, quantity));
        }""",
        [ISSUANCE, cases],
    )
    ledger = [issued(serial, quantity) for serial, quantity in cases]
    assert browser == ledger
    assert sum(ledger) > 15  # the sweep holds issued serials, not only refused ones
