"""Every builder's payload is a valid, minimal event of its kind: it signs, parses and passes its data schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger.errors import InvalidIdentifier, InvalidPayload
from ledger.events import EventPayload, ParsedEvent, parse_envelope, seal_attachment, sign_event
from ledger.events.builders import (
    Content,
    complaint_payload,
    dispatch_payload,
    handoff_payload,
    inspection_payload,
    key_update_payload,
    listing_payload,
    production_payload,
    recall_payload,
    resolution_payload,
    review_payload,
    sanction_payload,
    signature_payload,
)
from signer.encoding import b64
from signer.keys import SigningKey

KEY = SigningKey.from_seed(b"b" * 32)
OTHER = SigningKey.from_seed(b"o" * 32)
TIME = datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC)
ACTOR = "91530300MA6K5X2Y36"
BATCH = "01/06901234567892/10/XW2026-11"
PARCEL = "00/069012340000000016"
PRODUCTION, HEAD, OTHER_ID = "a1" * 32, "b2" * 32, "c3" * 32
REPORT = seal_attachment(b"%PDF-1.7 report", "application/pdf", salt=bytes(16)).ref
TEXT = seal_attachment("很好吃".encode(), "text/plain; charset=utf-8", salt=bytes(16)).ref


def logged(payload: EventPayload) -> ParsedEvent:
    """The payload signed by its actor and parsed back as the log would (schema included)."""
    return parse_envelope(sign_event(payload, [KEY]).to_json())


def check(
    payload: EventPayload,
    kind: str,
    subject: str,
    parents: list[str],
    data: dict[str, Any],
    attachments: tuple[Any, ...] = (),
) -> None:
    """The parsed event has exactly the expected kind, subject, actor, time, parents, data and attachments."""
    event = logged(payload).payload
    assert (event.kind, event.subject, event.actor, event.time) == (kind, subject, KEY.kid, "2026-11-29T08:00:00Z")
    assert list(event.parents) == parents
    assert dict(event.data) == data
    assert event.attachments == attachments


def test_key_update_adds_and_revokes() -> None:
    payload = key_update_payload(
        KEY, ACTOR, HEAD, add=[(OTHER.public_key, "2027-01-01T00:00:00Z"), (KEY.public_key, None)],
        revoke=[OTHER.kid], time=TIME,
    )  # fmt: skip
    data = {
        "add": [
            {"public_key": b64(OTHER.public_key), "valid_until": "2027-01-01T00:00:00Z"},
            {"public_key": b64(KEY.public_key)},
        ],
        "revoke": [OTHER.kid],
    }
    check(payload, "actor.keys", f"actor/{ACTOR}", [HEAD], data)


def test_key_update_that_changes_nothing_is_invalid() -> None:
    with pytest.raises(InvalidPayload, match="at least one key"):
        logged(key_update_payload(KEY, ACTOR, HEAD, time=TIME))


def test_key_update_rejects_a_bad_actor_id() -> None:
    with pytest.raises(InvalidIdentifier):
        key_update_payload(KEY, "91530300MA6K5X2Y3X", HEAD, revoke=[OTHER.kid])


def test_production_of_a_raw_batch_omits_expiry() -> None:
    payload = production_payload(
        KEY, "06901234567892", "XW2026-11", product="宣威火腿", category="food", quantity=500, unit="kg",
        place="云南省宣威市", time=TIME,
    )  # fmt: skip
    data = {"product": "宣威火腿", "category": "food", "quantity": 500, "unit": "kg", "place": "云南省宣威市"}
    check(payload, "production", BATCH, [], data)


def test_production_of_a_processed_batch_follows_its_inputs() -> None:
    payload = production_payload(
        KEY, "06901234567892", "L/1", product="火腿月饼", category="food", quantity=2000, unit="box",
        place="昆明", expiry="2027-02-01", inputs=[PRODUCTION, OTHER_ID], time=TIME,
    )  # fmt: skip
    data = {
        "product": "火腿月饼", "category": "food", "quantity": 2000, "unit": "box", "place": "昆明",
        "expiry": "2027-02-01",
    }  # fmt: skip
    check(payload, "production", "01/06901234567892/10/L%2F1", [PRODUCTION, OTHER_ID], data)


def test_inspection_carries_its_report_as_an_attachment() -> None:
    with_report = inspection_payload(
        KEY, BATCH, PRODUCTION, result="pass", standard="GB 2762-2022", report=REPORT, time=TIME
    )
    data = {"result": "pass", "standard": "GB 2762-2022"}
    check(with_report, "inspection", BATCH, [PRODUCTION], data, (REPORT,))
    without = inspection_payload(KEY, BATCH, PRODUCTION, result="fail", standard="GB 2762-2022", time=TIME)
    check(without, "inspection", BATCH, [PRODUCTION], {**data, "result": "fail"})


def test_listing_prices_in_fen_and_cny() -> None:
    payload = listing_payload(KEY, BATCH, PRODUCTION, price=12800, time=TIME)
    check(payload, "listing", BATCH, [PRODUCTION], {"price": 12800, "currency": "CNY"})


def test_dispatch_to_an_actor_omits_empty_serials_and_the_consignee_key() -> None:
    contents = [Content(BATCH, 20), Content("01/06901234567892/10/L2", 5)]
    payload = dispatch_payload(KEY, PARCEL, contents, [PRODUCTION, OTHER_ID], location="宣威", to=ACTOR, time=TIME)
    data = {
        "type": "dispatch",
        "contents": [{"batch": BATCH, "quantity": 20}, {"batch": "01/06901234567892/10/L2", "quantity": 5}],
        "to": ACTOR,
        "location": "宣威",
    }
    check(payload, "shipment", PARCEL, [PRODUCTION, OTHER_ID], data)


def test_dispatch_to_a_consumer_names_the_consignee_key_and_serials() -> None:
    contents = [Content(BATCH, 2, ("S1", "S2"))]
    payload = dispatch_payload(
        KEY, PARCEL, contents, [PRODUCTION], location="店", consignee_key=OTHER.public_key, time=TIME
    )
    data = {
        "type": "dispatch",
        "contents": [{"batch": BATCH, "quantity": 2, "serials": ["S1", "S2"]}],
        "consignee_key": b64(OTHER.public_key),
        "location": "店",
    }
    check(payload, "shipment", PARCEL, [PRODUCTION], data)


def test_dispatch_needs_exactly_one_destination() -> None:
    neither = dispatch_payload(KEY, PARCEL, [Content(BATCH, 1)], [PRODUCTION], location="x", time=TIME)
    with pytest.raises(InvalidPayload, match="exactly one of to"):
        logged(neither)


def test_handoff_names_the_giver_as_from() -> None:
    payload = handoff_payload(KEY, PARCEL, HEAD, from_actor=ACTOR, location="曲靖市麒麟区 分拨中心", time=TIME)
    data = {"type": "handoff", "from": ACTOR, "location": "曲靖市麒麟区 分拨中心"}
    check(payload, "shipment", PARCEL, [HEAD], data)


def test_signature_is_intact_by_default() -> None:
    check(signature_payload(KEY, PARCEL, HEAD, time=TIME), "signature", PARCEL, [HEAD], {"condition": "intact"})
    refused = signature_payload(KEY, PARCEL, HEAD, condition="refused", time=TIME)
    check(refused, "signature", PARCEL, [HEAD], {"condition": "refused"})


def test_review_follows_the_receipt_and_keeps_its_text_outside() -> None:
    check(
        review_payload(KEY, BATCH, HEAD, rating=5, text=TEXT, time=TIME),
        "review",
        BATCH,
        [HEAD],
        {"rating": 5},
        (TEXT,),
    )
    check(review_payload(KEY, BATCH, OTHER_ID, rating=2, time=TIME), "review", BATCH, [OTHER_ID], {"rating": 2})


def test_complaint_omits_the_default_channel() -> None:
    by_consumer = complaint_payload(KEY, BATCH, category="quality", parents=[HEAD], details=TEXT, time=TIME)
    check(by_consumer, "complaint", BATCH, [HEAD], {"category": "quality"}, (TEXT,))
    by_hotline = complaint_payload(KEY, f"actor/{ACTOR}", category="price_fraud", channel="12315", time=TIME)
    check(by_hotline, "complaint", f"actor/{ACTOR}", [], {"category": "price_fraud", "channel": "12315"})


def test_resolution_omits_zero_compensation() -> None:
    rejected = resolution_payload(KEY, BATCH, OTHER_ID, outcome="rejected", reason="no_violation", time=TIME)
    check(rejected, "complaint.resolution", BATCH, [OTHER_ID], {"outcome": "rejected", "reason": "no_violation"})
    paid = resolution_payload(
        KEY, BATCH, OTHER_ID, outcome="compensated", reason="mediation_agreement", compensation=5000, time=TIME
    )
    check(
        paid,
        "complaint.resolution",
        BATCH,
        [OTHER_ID],
        {"outcome": "compensated", "reason": "mediation_agreement", "compensation": 5000},
    )


def test_recall_follows_the_production() -> None:
    payload = recall_payload(KEY, BATCH, PRODUCTION, reason="safety", level=1, time=TIME)
    check(payload, "recall", BATCH, [PRODUCTION], {"reason": "safety", "level": 1})


def test_sanction_and_its_lifting() -> None:
    listed = sanction_payload(KEY, ACTOR, list_="black", reason="售假", time=TIME)
    check(listed, "sanction", f"actor/{ACTOR}", [], {"list": "black", "reason": "售假"})
    until = sanction_payload(KEY, ACTOR, list_="red", reason="守信", until="2027-12-31T00:00:00Z", time=TIME)
    check(until, "sanction", f"actor/{ACTOR}", [], {"list": "red", "reason": "守信", "until": "2027-12-31T00:00:00Z"})
    lifted = sanction_payload(KEY, ACTOR, list_="black", reason="整改完成", lifts=OTHER_ID, time=TIME)
    check(lifted, "sanction", f"actor/{ACTOR}", [OTHER_ID], {"list": "black", "reason": "整改完成", "lift": True})


def test_time_defaults_to_now_in_utc_seconds() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    payload = listing_payload(KEY, BATCH, PRODUCTION, price=1)
    assert payload.time.endswith("Z")
    assert before <= payload.moment <= datetime.now(UTC) + timedelta(seconds=1)
    assert logged(payload).payload.actor == KEY.kid
