"""Commitments and 7-day no-reason returns (issue 11) as pure rules over an in-memory log, at chosen log times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger import errors
from ledger.events import EventPayload
from ledger.events.builders import commitment_payload, return_request_payload
from ledger.rules import check_conservation
from ledger.rules.credit import credit_level, level_reasons
from signer.keys import SigningKey
from tests.ledger.rules.conftest import Cast
from tests.ledger.rules.memory import at_time
from tests.scenarios.world import sscc

DAY0 = datetime(2026, 12, 1, 8, tzinfo=UTC)
UNTIL = "2027-12-31T00:00:00Z"


def _at(cast: Cast, payload: EventPayload, when: datetime, *keys: SigningKey) -> str:
    return cast.log.decide(at_time(payload, when), *keys, at=when)


def _commit(cast: Cast, when: datetime = DAY0, **terms: object) -> str:
    payload = commitment_payload(cast.producer.key, cast.producer.id, valid_until=UNTIL, **terms)  # type: ignore[arg-type]
    return _at(cast, payload, when, cast.producer.key)


def _delivered(cast: Cast, number: int, dispatched: datetime, signed: datetime) -> tuple[SigningKey, str, str]:
    """A parcel to a consumer dispatched and handed to the courier at ``dispatched``, signed for at ``signed``."""
    consumer, parcel = SigningKey.from_seed(number.to_bytes(32, "little")), sscc(number)
    _at(cast, cast.dispatch_payload(parcel, 2, consignee=consumer), dispatched, cast.producer.key)
    _at(cast, cast.handoff_payload(parcel, cast.courier), dispatched, cast.courier.key)
    return consumer, parcel, _at(cast, cast.signature_payload(parcel, consumer), signed, consumer)


def _request(cast: Cast, consumer: SigningKey, receipt: str, when: datetime, number: int = 90) -> str:
    payload = return_request_payload(consumer, sscc(number), receipt, courier=cast.courier.id, location="五华区")
    return _at(cast, payload, when, consumer, cast.courier.key)


@pytest.mark.parametrize(("days", "accepted"), [(6, True), (7, True), (8, False)])
def test_a_return_within_7_days_of_the_receipt_is_accepted_after_it_is_refused(
    cast: Cast, days: int, accepted: bool
) -> None:
    _commit(cast, returns_7d=True)
    consumer, parcel, receipt = _delivered(cast, 1, DAY0, DAY0 + timedelta(hours=1))
    when = DAY0 + timedelta(hours=1, days=days)
    if not accepted:
        payload = return_request_payload(consumer, sscc(90), receipt, courier=cast.courier.id, location="五华区")
        detail = cast.log.refuse(errors.ReturnWindowClosed, at_time(payload, when), consumer, cast.courier.key, at=when)
        assert "8 days" in detail
        return
    _request(cast, consumer, receipt, when)
    returning = cast.log.row("parcels", sscc(90))
    assert (returning["to"], returning["custodian"], returning["status"]) == (
        cast.producer.id,
        cast.courier.id,
        "in_transit",
    )
    batch = cast.log.row("batches", cast.batch)
    assert (batch["delivered"], batch["in_transit"]) == (0, 2)
    check_conservation(cast.batch, batch)
    _at(cast, cast.handoff_payload(sscc(90), cast.producer), when + timedelta(hours=2), cast.producer.key)
    batch = cast.log.row("batches", cast.batch)
    assert (batch["holdings"][cast.producer.id], batch["in_transit"], batch["delivered"]) == (100, 0, 0)
    assert cast.log.row("returns", sscc(90))["completed"] is not None
    assert cast.log.row("actor_commitments", cast.producer.id)["broken"] == []
    assert parcel != sscc(90)


def test_a_return_needs_the_promise_the_consignee_and_the_courier_and_happens_once(cast: Cast) -> None:
    earlier, _, unpromised = _delivered(cast, 1, DAY0, DAY0)  # dispatched before any commitment
    payload = return_request_payload(earlier, sscc(90), unpromised, courier=cast.courier.id, location="五华区")
    cast.log.refuse(errors.NoReturnCommitment, at_time(payload, DAY0), earlier, cast.courier.key, at=DAY0)
    _commit(cast, returns_7d=True)
    consumer, _, receipt = _delivered(cast, 2, DAY0, DAY0)
    own = return_request_payload(consumer, sscc(91), receipt, courier=cast.courier.id, location="五华区")
    cast.log.refuse(errors.NotAuthorized, at_time(own, DAY0), consumer, at=DAY0)  # no courier co-signed
    other = return_request_payload(earlier, sscc(91), receipt, courier=cast.courier.id, location="五华区")
    cast.log.refuse(errors.NotConsignee, at_time(other, DAY0), earlier, cast.courier.key, at=DAY0)
    _request(cast, consumer, receipt, DAY0 + timedelta(days=1), 91)
    again = return_request_payload(consumer, sscc(92), receipt, courier=cast.courier.id, location="五华区")
    cast.log.refuse(errors.ReturnExists, at_time(again, DAY0 + timedelta(days=1)), consumer, cast.courier.key,
                    at=DAY0 + timedelta(days=1))  # fmt: skip


def test_late_delivery_and_a_late_return_break_the_commitment_in_the_view_and_the_file(cast: Cast) -> None:
    commitment = _commit(cast, returns_7d=True, delivery_within_hours=48, return_within_hours=24)
    [made] = {f["commitment"] for f in cast.log.row("credit", cast.producer.id)["sections"]["commitments"]} - {
        "returns_7d"
    }
    assert made == "delivery_within_hours"
    _delivered(cast, 1, DAY0, DAY0 + timedelta(hours=47))  # in time
    assert cast.log.row("actor_commitments", cast.producer.id)["broken"] == []
    consumer, parcel, receipt = _delivered(cast, 2, DAY0, DAY0 + timedelta(hours=49))  # late
    [late] = cast.log.row("actor_commitments", cast.producer.id)["broken"]
    assert (late["commitment"], late["term"], late["parcel"], late["event"]) == (
        commitment,
        "delivery",
        parcel,
        receipt,
    )
    requested = DAY0 + timedelta(days=3)
    _request(cast, consumer, receipt, requested)
    arrival = _at(cast, cast.handoff_payload(sscc(90), cast.producer), requested + timedelta(hours=25),
                  cast.producer.key)  # fmt: skip
    broken = cast.log.row("actor_commitments", cast.producer.id)["broken"]
    assert [(b["term"], b["event"]) for b in broken] == [("delivery", receipt), ("return", arrival)]
    facts = {f["commitment"]: f for f in cast.log.row("credit", cast.producer.id)["sections"]["commitments"]}
    assert (facts["delivery_within_hours"]["status"], facts["delivery_within_hours"]["broken_by"]) == (
        "broken",
        receipt,
    )
    assert (facts["returns_7d"]["status"], facts["returns_7d"]["broken_by"]) == ("broken", arrival)
    reasons = {r["reason"] for r in cast.log.row("credit", cast.producer.id)["level"]["because"]}
    assert "broken_commitments" in reasons


def test_a_return_never_taken_back_is_broken_once_its_due_time_passes(cast: Cast) -> None:
    """A sender cannot keep its file clean by never taking a return back: the open return sits in its credit file
    with its due time, the level judged after that time counts it broken, and taking it back closes it."""
    commitment = _commit(cast, returns_7d=True, return_within_hours=24)
    consumer, _, receipt = _delivered(cast, 1, DAY0, DAY0)
    requested = DAY0 + timedelta(days=1)
    request = _request(cast, consumer, receipt, requested)
    file = cast.log.row("credit", cast.producer.id)
    assert file["sections"]["returns_open"] == [
        {"event": request, "commitment": commitment, "parcel": sscc(90), "due": "2026-12-03T08:00:00Z"}
    ]
    assert "broken_commitments" not in {r["reason"] for r in file["level"]["because"]}  # judged when requested

    def broken_at(when: datetime) -> list[str]:
        reasons = {r["reason"]: r["events"] for r in level_reasons(file["sections"], when)}
        return reasons.get("broken_commitments", [])

    assert broken_at(requested + timedelta(hours=24)) == []
    assert broken_at(requested + timedelta(hours=24, seconds=1)) == [request]
    assert credit_level(file["sections"], requested + timedelta(days=2))["level"] == "C"
    arrival = _at(cast, cast.handoff_payload(sscc(90), cast.producer), requested + timedelta(days=2),
                  cast.producer.key)  # fmt: skip
    file = cast.log.row("credit", cast.producer.id)
    assert file["sections"]["returns_open"] == []
    assert broken_at(requested + timedelta(days=2)) == [commitment]  # the late arrival broke the promise itself
    [promise] = file["sections"]["commitments"]
    assert (promise["status"], promise["broken_by"]) == ("broken", arrival)


def test_a_commitment_replaces_the_current_one_only_and_is_valid_when_logged(cast: Cast) -> None:
    first = _commit(cast, compensation_first=True)
    stale = commitment_payload(cast.producer.key, cast.producer.id, valid_until=UNTIL, returns_7d=True)
    cast.log.refuse(errors.StaleUpdate, at_time(stale, DAY0), cast.producer.key, at=DAY0)
    expired = commitment_payload(cast.producer.key, cast.producer.id, valid_until="2026-01-01T00:00:00Z",
                                 returns_7d=True, replaces=first)  # fmt: skip
    cast.log.refuse(errors.CommitmentExpired, at_time(expired, DAY0), cast.producer.key, at=DAY0)
    other = commitment_payload(cast.producer.key, cast.merchant.id, valid_until=UNTIL, returns_7d=True)
    cast.log.refuse(errors.NotAuthorized, at_time(other, DAY0), cast.producer.key, at=DAY0)
    second = _at(cast, commitment_payload(cast.producer.key, cast.producer.id, valid_until=UNTIL, returns_7d=True,
                                          replaces=first), DAY0, cast.producer.key)  # fmt: skip
    assert cast.log.row("commitments", first)["replaced_by"] == second
    assert cast.log.row("actor_commitments", cast.producer.id)["current"] == second
    facts = cast.log.row("credit", cast.producer.id)["sections"]["commitments"]
    assert [(f["event"], f["commitment"], f["status"]) for f in facts] == [
        (first, "compensation_first", "kept"), (second, "returns_7d", "made"),
    ]  # fmt: skip
