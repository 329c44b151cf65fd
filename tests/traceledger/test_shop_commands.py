"""What a shop types: a consumer's key in any form it was handed over (text, .pub file, a photo of its QR code),
and items shipped by serial."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from ledger.errors import InvalidEventError, InvalidPayload
from ledger.events import LogEntry
from qr import qr_png
from qr.errors import UnreadableImage
from signer.encoding import b64
from signer.keys import SigningKey
from tests.traceledger.test_roles import (
    BATCH,
    LICENCE,
    MERCHANT,
    PRODUCER,
    TO_CONSUMER,
    home,  # noqa: F401 -- the fixture, used by name
    keypair,
    logged,
    produce,
    refused,
    register,
)
from traceledger.options import read_consignee_key
from traceledger.settings import Home

KEY = SigningKey.generate().public_key
TEXT = b64(KEY)


def _written(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def _jpeg(png: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_a_consumer_key_is_read_in_every_form_a_shop_is_given_it(tmp_path: Path) -> None:
    spaced = f"  {TEXT[:20]}\n{TEXT[20:]}  "  # as a copy from a chat message leaves it
    url_safe = TEXT.replace("+", "-").replace("/", "_").rstrip("=")
    pub = json.dumps({"kid": "x", "public_key": TEXT})
    forms = {
        "text": TEXT,
        "spaced text": spaced,
        "url-safe text without padding": url_safe,
        "keygen .pub file": _written(tmp_path, "consumer.pub", pub.encode()),
        "text file": _written(tmp_path, "key.txt", (TEXT + "\n").encode()),
        "PNG of the consumer page's QR code": _written(tmp_path, "key.png", qr_png(TEXT)),
        "JPEG photo of it": _written(tmp_path, "key.jpg", _jpeg(qr_png(TEXT))),
    }
    for form, value in forms.items():
        assert read_consignee_key(value) == KEY, form


def test_what_is_not_a_consumer_key_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidPayload, match=r"neither a public key \(base64 of 32 bytes\) nor a readable file"):
        read_consignee_key("not-a-key")
    with pytest.raises(InvalidPayload, match="its QR code holds no public key"):
        read_consignee_key(_written(tmp_path, "link.png", qr_png("https://example.org/not-a-key")))
    with pytest.raises(UnreadableImage, match=r"cannot read .* as an image"):
        read_consignee_key(_written(tmp_path, "broken.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40))
    with pytest.raises(InvalidEventError, match="not a public key file written by keygen"):
        read_consignee_key(_written(tmp_path, "other.pub", b'{"public_key": "AAAA"}'))


def test_an_image_without_a_qr_code_is_refused(tmp_path: Path) -> None:
    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, "PNG")
    with pytest.raises(InvalidPayload, match="the image holds no QR code"):
        read_consignee_key(_written(tmp_path, "blank.png", blank.getvalue()))


def _dispatched_contents(home_path: Path, event_id: str) -> list[dict[str, object]]:
    ledger = Home(home_path).open()
    try:
        payload = LogEntry.parse(ledger.entry_by_event_id(event_id).data).event.payload
    finally:
        ledger.close()
    assert payload.data["consignee_key"] == TEXT
    contents: list[dict[str, object]] = payload.data["contents"]
    return contents


def test_a_shop_ships_items_by_serial_to_a_key_given_as_a_qr_image(home: Path, tmp_path: Path) -> None:  # noqa: F811
    producer, producer_pub = keypair(home, "producer")
    _, merchant_pub = keypair(home, "merchant")
    register(home, 1, PRODUCER, "producer", producer_pub, "--licence", LICENCE, "--gs1-prefix", "690123")
    register(home, 2, MERCHANT, "merchant", merchant_pub, "--licence", "food_business:JY1:2030-12-31T00:00:00Z")
    produce(home, 3, producer)
    photo = _written(tmp_path, "key.jpg", _jpeg(qr_png(TEXT)))
    items = [f"{BATCH}/21/0007", f"{BATCH}/21/0042"]
    send = ("producer", "dispatch", "--key", str(producer), "--parcel", TO_CONSUMER, "--location", "宣威")
    refused(home, *send, "--item", items[0], "--item", items[0], "--consignee-key", photo, says="is given twice")
    refused(home, *send, "--item", BATCH, "--consignee-key", photo, says="is a batch subject, expected a item")
    refused(home, *send, "--consignee-key", photo, says="give what the parcel holds")
    refused(home, *send, "--item", items[0], "--consignee-key", "garbage", says="is neither a public key")
    dispatch = logged(
        home, *send, "--item", items[0], "--item", items[1], "--consignee-key", photo,
        index=4, kind="shipment", subject=TO_CONSUMER,
    )  # fmt: skip
    assert _dispatched_contents(home, dispatch) == [{"batch": BATCH, "quantity": 2, "serials": ["0007", "0042"]}]
