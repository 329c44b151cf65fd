"""The consumer's actions in the browser: a key made by WebCrypto, a receipt signed for a parcel, a review.

The shop and the courier act in Python through the scenario ``World``; the consumer acts only through the page
(consumer.js signs in Chromium and posts to the live API), and the ledger must hold what the browser signed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Dialog, Page, Response, expect

from ledger.events import LogEntry
from ledger.events.builders import Content, dispatch_payload
from ledger.identifiers import batch_subject
from ledger.store.attachments import attachment_text
from signer.keys import SigningKey, kid_of
from tests.e2e.conftest import SCREENSHOTS, live_server, portal_app
from tests.e2e.test_verification import open_page
from tests.scenarios.world import Party, World, gtin, sscc

REVIEW_TEXT = "<script>alert(1)</script> 火腿很香，包装完好 & 物流快"


@dataclass(frozen=True)
class Shop:
    producer: Party
    courier: Party
    batch: str


@pytest.fixture
def shop(world: World) -> Shop:
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    courier = world.register("曲靖速达快递", "courier")
    batch = batch_subject(gtin("690123", 1), "XW2026-11").path
    world.produce(producer, gtin("690123", 1), "XW2026-11", 10)
    return Shop(producer, courier, batch)


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    with live_server(portal_app(world)) as url:
        yield url


def send_parcel(world: World, shop: Shop, parcel: str, consignee_key: bytes) -> None:
    """The shop dispatches one item to the consumer's key, and a courier carries it to the consumer."""
    production = str(world.batch(shop.batch)["production"])
    payload = dispatch_payload(
        shop.producer.key, parcel, [Content(shop.batch, 1)], [production], location="宣威市",
        consignee_key=consignee_key,
    )  # fmt: skip
    world.append(payload, shop.producer.key)
    world.handoff(shop.courier, parcel)


def create_key(page: Page, base_url: str) -> bytes:
    page.goto(f"{base_url}/consumer")
    page.wait_for_selector("#consumer[data-ready='true']")
    page.click("#create-key")
    page.wait_for_selector("#public-key:not(:empty)")
    return base64.b64decode(page.text_content("#public-key") or "", validate=True)


def load_parcel(page: Page, code: str) -> str:
    page.fill("#parcel-code", code)
    page.click("#parcel-form button[type='submit']")
    page.wait_for_selector("#parcel-status:not([data-state='loading']):not([data-state='idle'])")
    return page.get_attribute("#parcel-status", "data-state") or ""


def posted(page: Page, action: str, method: str = "POST", path: str = "/v1/events") -> Response:
    """Click ``action`` and return the API's answer to the request it makes."""
    with page.expect_response(lambda r: r.request.method == method and path in r.url) as answer:
        page.click(action)
    return answer.value


def entry(world: World, event_id: str) -> dict[str, Any]:
    """The logged payload of ``event_id``, parsed from the entry's exact bytes."""
    logged = LogEntry.parse(world.ledger.entry_by_event_id(event_id).data)
    return logged.event.payload.to_json()


def test_a_consumer_signs_for_a_parcel_and_reviews_it_in_the_browser(
    world: World, shop: Shop, base_url: str, page: Page
) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    public_key = create_key(page, base_url)
    kid = kid_of(public_key)
    assert page.text_content("#key-id") == kid
    qr = urlsplit(page.get_attribute("#public-key-qr", "src") or "")
    assert (qr.path, parse_qs(qr.query)) == ("/consumer/key.svg", {"key": [base64.b64encode(public_key).decode()]})

    parcel = sscc(1)
    send_parcel(world, shop, parcel, public_key)
    assert load_parcel(page, parcel.removeprefix("00/")) == "ready"
    assert page.get_attribute("#parcel-contents li", "data-subject") == shop.batch  # shown by its product's name

    page.check("input[name='condition'][value='intact']")
    receipt_answer = posted(page, "#sign-receipt")
    assert receipt_answer.status == 201
    page.wait_for_selector("#receipt-result[data-state='ok']")
    receipt = page.get_attribute("#receipt-result", "data-event-id") or ""
    assert receipt == receipt_answer.json()["entries"][0]["event_id"]
    signed = entry(world, receipt)
    assert (signed["kind"], signed["actor"], signed["subject"], signed["data"]) == (
        "signature", kid, parcel, {"condition": "intact"},
    )  # fmt: skip
    assert world.parcel(parcel)["status"] == "signed"

    expect(page.locator("#review-section")).to_be_visible()
    page.select_option("#review-rating", "4")
    page.fill("#review-text", REVIEW_TEXT)
    with page.expect_response(lambda r: r.request.method == "PUT" and "/v1/attachments/" in r.url) as upload:
        review_answer = posted(page, "#submit-review")
    assert review_answer.status == 201
    assert upload.value.status == 201
    page.wait_for_selector("#review-result[data-state='ok'][data-attachment='stored']")
    review = page.get_attribute("#review-result", "data-event-id") or ""
    written = entry(world, review)
    assert (written["kind"], written["subject"], written["parents"], written["data"]) == (
        "review", shop.batch, [receipt], {"rating": 4},
    )  # fmt: skip
    (attachment,) = written["attachments"]
    assert attachment["media_type"] == "text/plain; charset=utf-8"
    assert attachment["size"] == len(REVIEW_TEXT.encode("utf-8"))
    assert attachment_text(world.ledger, attachment["digest"]) == REVIEW_TEXT
    assert page.text_content("#review-shown-text") == REVIEW_TEXT
    page.screenshot(path=str(SCREENSHOTS / "consumer-reviewed.png"), full_page=True)

    # a second receipt for the same parcel: the API refuses it, and the page shows its problem
    again = posted(page, "#sign-receipt")
    problem = again.json()
    assert again.status == 409, problem
    page.wait_for_selector("#receipt-result[data-state='error']")
    shown = page.text_content("#receipt-result") or ""
    assert problem["title"] in shown
    assert problem["detail"] in shown

    assert world.batch(shop.batch)["delivered"] == 1
    assert world.batch(shop.batch)["reviews"] == {"count": 1, "sum": 4}
    world.conserved(shop.batch)

    # the batch page shows the review's text as text, and the browser verifies the consumer's events too
    result = open_page(page, f"{base_url}/{shop.batch}")
    assert result.overall == "verified"
    assert result.events[review] == "verified"
    expect(page.locator(f"li.event[data-event-id='{review}'] .review-text")).to_have_text(REVIEW_TEXT)
    assert not dialogs, "review text ran as script"


def test_the_key_stays_on_the_phone_and_cannot_be_exported(world: World, base_url: str, page: Page) -> None:
    public_key = create_key(page, base_url)
    page.reload()
    page.wait_for_selector("#consumer[data-ready='true']")
    assert base64.b64decode(page.text_content("#public-key") or "") == public_key
    expect(page.locator("#create-key")).to_be_hidden()  # a second key would orphan the parcels sent to this one
    stored: dict[str, Any] = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("traceledger-consumer");
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
                const get = open.result.transaction("keys").objectStore("keys").get("consignee");
                get.onsuccess = () => {
                    const pair = get.result;
                    resolve({extractable: pair.privateKey.extractable, type: pair.privateKey.type,
                             algorithm: pair.privateKey.algorithm.name});
                };
            };
        })"""
    )
    assert stored == {"extractable": False, "type": "private", "algorithm": "Ed25519"}


def test_a_parcel_for_another_key_is_not_signed(world: World, shop: Shop, base_url: str, page: Page) -> None:
    create_key(page, base_url)
    parcel = sscc(2)
    send_parcel(world, shop, parcel, SigningKey.generate().public_key)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))
    assert load_parcel(page, f"{base_url}/{parcel}") == "error"
    expect(page.locator("#parcel-details")).to_be_hidden()
    assert not [r for r in requests if r.startswith("POST")]
    assert world.parcel(parcel)["status"] == "in_transit"


def test_a_parcel_whose_history_does_not_verify_is_not_signed(
    world: World, shop: Shop, base_url: str, page: Page
) -> None:
    public_key = create_key(page, base_url)
    parcel = sscc(3)
    send_parcel(world, shop, parcel, public_key)

    def tamper(route: Any) -> None:
        response = route.fetch()
        bundle = response.json()
        bundle["checkpoint"] = bundle["checkpoint"].replace("\n", "\n9", 1)
        route.fulfill(response=response, body=json.dumps(bundle))

    page.route("**/v1/subjects/**", tamper)
    assert load_parcel(page, parcel) == "error"
    expect(page.locator("#parcel-details")).to_be_hidden()
