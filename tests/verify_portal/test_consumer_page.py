"""The consumer page as the server renders it (its browser side is tested in tests/e2e/test_consumer.py)."""

from __future__ import annotations

import base64
import re

import pytest

from qr import qr_svg
from signer.keys import SigningKey
from tests.api.conftest import problem
from tests.verify_portal.conftest import ITEM, Portal
from verify_portal.consumer import consumer_texts

JSON = {"Accept": "application/json"}


def _meta(html: str, name: str) -> str:
    found = re.search(rf'<meta name="{name}" content="([^"]*)">', html)
    assert found is not None, name
    return found.group(1)


@pytest.mark.parametrize(
    ("query", "headers", "language"),
    [
        ("", {}, "zh-CN"),
        ("?lang=en", {}, "en"),
        ("", {"Accept-Language": "en-GB,en;q=0.9"}, "en"),
        ("?lang=zh", {"Accept-Language": "en"}, "zh-CN"),
    ],
)
def test_the_page_speaks_the_visitors_language_and_pins_the_log_key(
    portal: Portal, query: str, headers: dict[str, str], language: str
) -> None:
    response = portal.client.get(f"/consumer{query}", headers=headers)
    assert response.status_code == 200
    html = response.text
    assert f'<html lang="{language}">' in html
    texts = consumer_texts("en" if language == "en" else "zh-CN")
    assert f"<h1>{texts['title']}</h1>" in html
    assert f'data-msg-not-yours="{texts["msg_not_yours"]}"' in html  # consumer.js reads its texts from the page
    ledger = portal.fixture.ledger
    assert _meta(html, "traceledger-log-vkey") == ledger.log_verifier.vkey
    assert _meta(html, "traceledger-origin") == ledger.origin
    assert '<script type="module" src="/static/portal/consumer.js"></script>' in html
    assert "<script>" not in html  # no inline script: the Content-Security-Policy would refuse it anyway


def test_the_product_to_review_is_carried_escaped(portal: Portal) -> None:
    html = portal.client.get("/consumer", params={"subject": ITEM.path}).text
    assert f'data-subject="{ITEM.path}"' in html
    hostile = portal.client.get("/consumer", params={"subject": '"><script>alert(1)</script>'}).text
    assert 'data-subject="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in hostile
    assert "<script>alert" not in hostile


def test_a_public_keys_qr_code(portal: Portal) -> None:
    key = base64.b64encode(SigningKey.generate().public_key).decode("ascii")
    response = portal.client.get("/consumer/key.svg", params={"key": key})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text == qr_svg(key)  # the code holds the key exactly as a dispatch's consignee_key does


@pytest.mark.parametrize(
    "key",
    [
        "not base64!",
        base64.b64encode(bytes(31)).decode(),  # too short for an Ed25519 key
        base64.urlsafe_b64encode(bytes([0xFB]) * 32).decode(),  # the URL alphabet is not the ledger's encoding
        base64.b64encode(bytes(32)).decode().rstrip("="),  # unpadded
    ],
)
def test_anything_but_a_public_key_is_refused(portal: Portal, key: str) -> None:
    response = portal.client.get("/consumer/key.svg", params={"key": key}, headers=JSON)
    body = problem(response, 400, "invalid-request")
    assert "key" in body["detail"]
