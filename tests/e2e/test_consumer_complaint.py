"""A complaint filed from /consumer in Chromium (issue 15): the browser's key signs it after its receipt, its text
goes up as an attachment, and the complaint queue (GET /v1/complaints) then holds it; a refusal is one Chinese line."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from ledger.store.attachments import attachment_text
from signer.keys import kid_of
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_consumer import Shop, base_url, create_key, entry, load_parcel, posted, send_parcel, shop  # noqa: F401
from tests.scenarios.world import World, gtin, sscc
from verify_portal.i18n import Texts
from verify_portal.problem_texts import PROBLEM_TEXTS

COMPLAINT_TEXT = "火腿有异味，包装里有霉点 <b>"


def test_a_consumer_files_a_complaint_from_the_page_and_the_queue_holds_it(
    page: Page,
    world: World,
    shop: Shop,  # noqa: F811 -- the fixture imported above
    base_url: str,  # noqa: F811
) -> None:
    public_key = create_key(page, base_url)
    parcel = sscc(7)
    send_parcel(world, shop, parcel, public_key)
    assert load_parcel(page, parcel.removeprefix("00/")) == "ready"
    expect(page.locator("#complaint-section")).to_be_hidden()  # no complaint before the receipt
    assert posted(page, "#sign-receipt").status == 201
    page.wait_for_selector("#receipt-result[data-state='ok']")
    receipt = page.get_attribute("#receipt-result", "data-event-id") or ""

    expect(page.locator("#complaint-section")).to_be_visible()
    expect(page.locator("#complaint-category option").first).to_have_text(Texts("zh-CN")("complaint_counterfeit"))
    assert page.get_attribute("#complaint-hotline", "href") == "tel:12315"
    page.select_option("#complaint-category", "quality")
    page.fill("#complaint-text", COMPLAINT_TEXT)
    with page.expect_response(lambda r: r.request.method == "PUT" and "/v1/attachments/" in r.url) as upload:
        answer = posted(page, "#submit-complaint")
    assert answer.status == 201, answer.text()
    assert upload.value.status == 201
    page.wait_for_selector("#complaint-result[data-state='ok'][data-attachment='stored']")
    complaint = page.get_attribute("#complaint-result", "data-event-id") or ""
    signed = entry(world, complaint)
    assert (signed["kind"], signed["actor"], signed["subject"], signed["parents"], signed["data"]) == (
        "complaint", kid_of(public_key), shop.batch, [receipt], {"category": "quality"},
    )  # fmt: skip
    (attachment,) = signed["attachments"]
    assert attachment_text(world.ledger, attachment["digest"]) == COMPLAINT_TEXT
    page.screenshot(path=str(SCREENSHOTS / "consumer-complaint.png"), full_page=True)

    queue = httpx.get(f"{base_url}/v1/complaints?channel=consumer&actor={shop.producer.id}", timeout=10).json()
    [queued] = queue["complaints"]
    assert (queued["complaint"], queued["category"], queued["status"]) == (complaint, "quality", "open")
    assert (queued["by"], queued["against"], queued["overdue"]) == (kid_of(public_key), shop.producer.id, False)

    # A complaint the rules refuse (about goods the receipt does not cover) is one translated line.
    other = f"01/{gtin('690123', 2)}/10/OTHER"
    page.evaluate(
        """(other) => { const o = document.createElement("option"); o.value = other;
                        document.querySelector("#complaint-subject").append(o); o.selected = true; }""",
        other,
    )
    refused = posted(page, "#submit-complaint")
    assert refused.status == 422
    page.wait_for_selector("#complaint-result[data-state='error']")
    expect(page.locator("#complaint-result .problem-line")).to_have_text(PROBLEM_TEXTS["receipt-required"][0])
    assert len(httpx.get(f"{base_url}/v1/complaints", timeout=10).json()["complaints"]) == 1
