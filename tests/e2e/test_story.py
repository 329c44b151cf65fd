"""The whole story of issue 15 as a newcomer lives it, from a fresh ``traceledger demo`` home (the process the
quick start's ``./dev demo`` runs): the browser makes its key on /consumer, the shop dispatches a ham item to it and
the courier delivers it with the commands the demo printed, and the browser signs for it, reviews it and complains
about it, all in Chinese. Screenshots of each step at 390×844 go to build/screenshots/story-*.png."""

from __future__ import annotations

import shlex
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_consumer import create_key, load_parcel, posted
from tests.e2e.test_verification import open_page
from tests.servers import cli
from traceledger.demo import DRUG, DRUG_MAKER, HAM, REGULATOR, VEGETABLES
from traceledger.demo_walkthrough import DEMO_PASSPHRASE, KEY_PLACEHOLDER
from verify_portal.i18n import Texts
from verify_portal.problem_texts import PROBLEM_TEXTS

ZH, EN = Texts("zh-CN"), Texts("en")

REVIEW = "火腿咸香，切片蒸着吃很好。"
COMPLAINT = "第二块火腿有哈喇味。"


def walkthrough_commands(printed: str) -> list[list[str]]:
    lines = [line.strip() for line in printed.splitlines()]
    return [shlex.split(line)[2:] for line in lines if line.startswith("./dev traceledger ")]


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"story-{name}.png"), full_page=True)


def test_a_newcomer_receives_signs_for_and_reviews_a_ham_in_chinese(served_demo: tuple[str, Path], page: Page) -> None:
    base_url, home = served_demo
    printed = (home.parent / "demo.log").read_text("utf-8")
    create_key(page, base_url)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    shot(page, "1-key")

    dispatch, handoff = walkthrough_commands(printed)  # as printed, with the key the page shows pasted in
    assert dispatch[-1] == KEY_PLACEHOLDER
    shown_key = page.text_content("#public-key") or ""
    for command in ([*dispatch[:-1], shown_key], handoff):
        ran = cli(*command, passphrase=DEMO_PASSPHRASE)
        assert ran.returncode == 0, ran.stderr
    parcel = dispatch[dispatch.index("--parcel") + 1]
    item = dispatch[dispatch.index("--item") + 1]

    assert load_parcel(page, parcel) == "ready"
    expect(page.locator("#parcel-status")).to_have_text("包裹记录已验证，是发给您的。")
    expect(page.locator("#parcel-contents li")).to_have_text([f"宣威火腿（500克） · 单品 {item.rsplit('/', 1)[1]}"])
    shot(page, "2-parcel")
    assert posted(page, "#sign-receipt").status == 201
    expect(page.locator("#receipt-result")).to_have_text("已签收，已写入公开记录。")
    shot(page, "3-signed")

    page.select_option("#review-subject", item)
    page.select_option("#review-rating", "5")
    page.fill("#review-text", REVIEW)
    assert posted(page, "#submit-review").status == 201
    page.wait_for_selector("#review-result[data-state='ok'][data-attachment='stored']")
    shot(page, "4-reviewed")
    for _ in range(2):  # the one follow-up, then a third review the log refuses: one line of plain Chinese
        posted(page, "#submit-review")
    expect(page.locator("#review-result .problem-line")).to_have_text(PROBLEM_TEXTS["review-limit"][0])
    shot(page, "5-refused")

    expect(page.locator("#complaint-section")).to_be_visible()  # and a complaint, signed by the same key
    expect(page.locator("#complaint-hotline")).to_have_attribute("href", "tel:12315")
    page.select_option("#complaint-subject", item)
    page.select_option("#complaint-category", "quality")
    page.fill("#complaint-text", COMPLAINT)
    assert posted(page, "#submit-complaint").status == 201
    page.wait_for_selector("#complaint-result[data-state='ok']")
    shot(page, "6-complained")

    assert open_page(page, f"{base_url}/{item}").overall == "verified"  # the browser's own events verify too
    expect(page.locator("body")).to_contain_text(REVIEW)
    expect(page.locator("body")).to_contain_text(ZH("complaint_category", category=ZH("complaint_quality")))
    first_event = page.locator("li.event .event-when").first
    expect(first_event).to_contain_text(ZH("time_zone"))  # every time says which clock it is on
    expect(page.locator("body")).to_contain_text("签收")
    shot(page, "7-item-page")


def test_genuine_records_of_recalled_goods_are_not_an_all_clear(served_demo: tuple[str, Path], page: Page) -> None:
    base_url, _ = served_demo
    for path, lang, texts in ((DRUG.path, "zh", ZH), (f"{DRUG.path}/21/0007", "en", EN), (VEGETABLES.path, "zh", ZH)):
        result = open_page(page, f"{base_url}/{path}?lang={lang}")
        assert result.overall == "verified"  # every record is genuine ...
        verdict = page.locator("#verdict")
        expect(verdict).to_have_attribute("data-warned", "true")  # ... but the page does not say all is well
        expect(verdict).to_have_attribute("aria-live", "polite")
        warnings = page.locator(".banner").count()
        assert warnings >= 1
        one, many = texts("verdict_verified_warned_one"), texts("verdict_verified_warned", count=warnings)
        expect(verdict).to_have_text(one if warnings == 1 else many)
    result = open_page(page, f"{base_url}/{HAM.path}/21/0001")  # nothing to warn of: the plain verdict
    assert result.overall == "verified"
    expect(page.locator("#verdict")).to_have_text(ZH("verdict_verified"))
    expect(page.locator("#verdict")).not_to_have_attribute("data-warned", "true")


def test_the_recall_banner_says_when_who_and_what_to_do(served_demo: tuple[str, Path], page: Page) -> None:
    base_url, _ = served_demo
    result = open_page(page, f"{base_url}/{DRUG.path}")
    assert result.overall == "verified"
    banner = page.locator(".banner.danger").first
    expect(banner).to_contain_text(f"由 {DRUG_MAKER.name} 发布召回")
    expect(banner).to_contain_text("怎么办：停止食用或使用")
    # the date and the authority are bound to the signed recall, and the browser found them as signed
    assert page.locator(".banner [data-v-state='verified']").count() >= 3
    assert page.locator(".banner [data-v-state='mismatch'], .banner [data-v-state='failed']").count() == 0


def test_the_black_list_banner_says_when_who_and_what_to_do(served_demo: tuple[str, Path], page: Page) -> None:
    base_url, _ = served_demo
    assert open_page(page, f"{base_url}/{VEGETABLES.path}").overall == "verified"
    banner = page.locator(".banner.danger").filter(has_text=ZH("banner_black_listed"))
    expect(banner).to_contain_text(f"由 {REGULATOR.name} 列入黑名单")
    expect(banner).to_contain_text(ZH("banner_black_listed_advice"))
