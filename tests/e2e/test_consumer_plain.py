"""The consumer page as a shopper uses it (issue 15): product names instead of codes, a courier's waybill number, a
parcel's QR code read from a photo, the key copied and backed up and restored, every refusal one Chinese line, and
nothing wider than a 390 px phone."""

from __future__ import annotations

import base64
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from qr import qr_png
from tests.e2e.conftest import PHONE_VIEWPORT
from tests.e2e.test_consumer import Shop, base_url, create_key, load_parcel, posted, send_parcel, shop  # noqa: F401
from tests.scenarios.world import World, sscc
from verify_portal.problem_texts import PROBLEM_TEXTS

BACKUP_PASSPHRASE = "备份密码 for tests"


def assert_fits_the_phone(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"the page is {width} px wide"


def test_contents_by_product_name_a_waybill_number_and_one_chinese_line_per_refusal(
    world: World,
    shop: Shop,  # noqa: F811 -- the fixture imported above
    base_url: str,  # noqa: F811
    page: Page,
) -> None:
    public_key = create_key(page, base_url)
    waybill = "SF1234567890123"
    send_parcel(world, shop, f"parcel/sf/{waybill}", public_key)
    assert load_parcel(page, waybill) == "ready"  # the carrier read from the number's SF prefix
    expect(page.locator("#parcel-contents li")).to_have_text(["宣威火腿 · 整批"])
    assert page.get_attribute("#parcel-contents li", "data-subject") == shop.batch
    assert posted(page, "#sign-receipt").status == 201
    page.wait_for_selector("#receipt-result[data-state='ok']")
    expect(page.locator("#review-subject option")).to_have_text(["宣威火腿 · 整批"])

    again = posted(page, "#sign-receipt")  # refused: the shopper reads one line, the server's words fold away
    assert again.status == 409
    page.wait_for_selector("#receipt-result[data-state='error']")
    expect(page.locator("#receipt-result .problem-line")).to_have_text(PROBLEM_TEXTS["already-signed"][0])
    expect(page.locator("#receipt-result .problem-technical")).not_to_have_attribute("open", "")
    page.click("#receipt-result .problem-technical summary")  # opened, its 64-character ids wrap
    expect(page.locator("#receipt-result .problem-technical")).to_contain_text(again.json()["detail"])
    assert_fits_the_phone(page)

    other = "YD0001112223"  # no known prefix: the carrier must be chosen
    assert load_parcel(page, other) == "error"
    expect(page.locator("#parcel-status")).to_have_text("这是快递单号：请先选择快递公司。")
    page.select_option("#parcel-carrier", "yunda")
    assert load_parcel(page, other) == "error"
    expect(page.locator("#parcel-status")).to_have_text("查不到这个包裹。")


def test_a_parcels_qr_code_is_read_from_a_photo(
    world: World,
    shop: Shop,  # noqa: F811 -- the fixture imported above
    base_url: str,  # noqa: F811
    page: Page,
    tmp_path: Path,
) -> None:
    page.add_init_script("delete window.BarcodeDetector")  # as in WeChat or iOS: the vendored decoder reads it
    loaded: list[str] = []
    page.on("response", lambda r: loaded.append(f"{r.status} {r.url}"))
    public_key = create_key(page, base_url)
    parcel = sscc(7)
    send_parcel(world, shop, parcel, public_key)
    photo = tmp_path / "parcel.png"
    photo.write_bytes(qr_png(f"{base_url}/{parcel}"))
    page.set_input_files("#scan-photo", str(photo))
    page.wait_for_selector("#parcel-status[data-state='ready']")
    assert page.input_value("#parcel-code") == f"{base_url}/{parcel}"
    assert f"200 {base_url}/static/portal/jsqr/jsQR.js" in loaded
    blank = tmp_path / "blank.png"
    blank.write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mP8/x8AAwMCAO+ip1sAAAAASUVORK5CYII="
    ))  # fmt: skip
    page.set_input_files("#scan-photo", str(blank))
    expect(page.locator("#parcel-status")).to_have_text("没有识别到二维码，请再试一次或手动输入。")


def test_the_key_is_copied_backed_up_and_restored_in_another_browser(
    world: World,
    shop: Shop,  # noqa: F811 -- the fixture imported above
    base_url: str,  # noqa: F811
    browser: Browser,
    tmp_path: Path,
) -> None:
    phone = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
    phone.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = phone.new_page()
    public_key = create_key(page, base_url)
    expect(page.locator("#key-warning")).to_contain_text("清除浏览器数据")
    page.click("#copy-key")
    expect(page.locator("#key-result")).to_have_text("收货码已复制，可以粘贴给商家。")
    assert page.evaluate("() => navigator.clipboard.readText()") == base64.b64encode(public_key).decode()
    page.fill("#backup-passphrase", "short")
    page.click("#export-key")
    expect(page.locator("#backup-result")).to_have_text("备份密码至少 8 个字符。")
    page.fill("#backup-passphrase", BACKUP_PASSPHRASE)
    with page.expect_download() as download:
        page.click("#export-key")
    backup = tmp_path / "backup.json"
    download.value.save_as(backup)
    assert base64.b64encode(public_key).decode() in backup.read_text()
    assert_fits_the_phone(page)
    phone.close()

    new_phone = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")  # the browser cleared: no key
    page = new_phone.new_page()
    page.goto(f"{base_url}/consumer")
    page.wait_for_selector("#consumer[data-ready='true']")
    page.set_input_files("#backup-file", str(backup))
    page.fill("#backup-passphrase", "the wrong passphrase")
    page.click("#import-key")
    expect(page.locator("#backup-result")).to_have_text("无法恢复：备份密码不对，或文件已损坏。")
    page.fill("#backup-passphrase", BACKUP_PASSPHRASE)
    page.click("#import-key")
    expect(page.locator("#backup-result")).to_have_text("已从备份恢复签收密钥。")
    assert base64.b64decode(page.text_content("#public-key") or "") == public_key
    parcel = sscc(8)
    send_parcel(world, shop, parcel, public_key)  # a parcel for the key is signed for with the restored key
    assert load_parcel(page, parcel) == "ready"
    assert posted(page, "#sign-receipt").status == 201
    assert world.parcel(parcel)["status"] == "signed"
    new_phone.close()
