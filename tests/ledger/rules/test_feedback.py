"""What consumers and regulators say (ledger.rules.feedback): reviews, complaints and resolutions, in memory."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from ledger import errors
from ledger.events import EventPayload
from ledger.events.builders import complaint_payload, resolution_payload, review_payload
from ledger.events.schemas import HOTLINES
from ledger.identifiers import item_subject
from ledger.rules.feedback import REASON_REQUIRED_FROM
from signer.keys import SigningKey
from tests.ledger.rules.conftest import LOT, PREFIX, Cast
from tests.ledger.rules.memory import at_time
from tests.scenarios.world import gtin, sscc


def other_batch(cast: Cast) -> str:
    """A second batch of the producer's, which no receipt covers."""
    payload = cast.production_payload(2)
    cast.log.decide(payload, cast.producer.key)
    return payload.subject


def stranger(cast: Cast) -> SigningKey:
    """A consumer the log knows (the consignee of a parcel still in transit) with no receipt of its own."""
    key = SigningKey.generate()
    cast.log.decide(cast.dispatch_payload(sscc(999), consignee=key), cast.producer.key)
    return key


class TestReview:
    def test_a_receipt_earns_one_review_which_counts_towards_the_batch(self, cast: Cast) -> None:
        consumer, _, receipt = cast.deliver(1)
        review = cast.log.decide(review_payload(consumer, cast.batch, receipt, rating=4), consumer)
        assert cast.log.row("reviews", review) == {"receipt": receipt, "subject": cast.batch}
        assert cast.log.row("receipts", receipt)["reviews"] == [review]
        assert cast.log.row("batches", cast.batch)["reviews"] == {"count": 1, "sum": 4}

    def test_a_review_has_one_follow_up_that_counts_in_the_rating(self, cast: Cast) -> None:
        consumer, _, receipt = cast.deliver(1)
        review = cast.log.decide(review_payload(consumer, cast.batch, receipt, rating=5), consumer)
        follow_up = cast.log.decide(review_payload(consumer, cast.batch, review, rating=1), consumer)
        assert cast.log.row("receipts", receipt)["reviews"] == [review, follow_up]
        assert cast.log.row("batches", cast.batch)["reviews"] == {"count": 2, "sum": 6}  # issue 11: follow-ups count
        cast.log.refuse(errors.ReviewLimit, review_payload(consumer, cast.batch, follow_up, rating=2), consumer)

    def test_a_serialised_item_in_the_parcel_is_reviewed(self, cast: Cast) -> None:
        consumer, parcel = SigningKey.generate(), sscc(1)
        cast.log.decide(cast.dispatch_payload(parcel, consignee=consumer, serials=("0001",)), cast.producer.key)
        receipt = cast.log.decide(cast.signature_payload(parcel, consumer), consumer)
        item = item_subject(gtin(PREFIX, 1), LOT, "0001").path
        review = cast.log.decide(review_payload(consumer, item, receipt, rating=3), consumer)
        assert cast.log.row("reviews", review)["subject"] == item

    def test_a_receipt_is_reviewed_once(self, cast: Cast) -> None:
        consumer, _, receipt = cast.deliver(1)
        cast.log.decide(review_payload(consumer, cast.batch, receipt, rating=4), consumer)
        cast.log.refuse(errors.ReviewLimit, review_payload(consumer, cast.batch, receipt, rating=5), consumer)

    def test_a_review_follows_a_receipt(self, cast: Cast) -> None:
        consumer, parcel, _ = cast.deliver(1)
        dispatch = str(cast.log.row("parcels", parcel)["dispatch"])
        cast.log.refuse(errors.ReceiptRequired, review_payload(consumer, cast.batch, dispatch, rating=5), consumer)

    def test_a_receipt_covers_only_what_the_parcel_held(self, cast: Cast) -> None:
        consumer, _, receipt = cast.deliver(1)
        cast.log.refuse(
            errors.ReceiptRequired, review_payload(consumer, other_batch(cast), receipt, rating=5), consumer
        )

    def test_only_the_consignee_reviews(self, cast: Cast) -> None:
        _, _, receipt = cast.deliver(1)
        other = stranger(cast)
        cast.log.refuse(errors.NotConsignee, review_payload(other, cast.batch, receipt, rating=1), other)

    def test_a_follow_up_reviews_the_same_subject(self, cast: Cast) -> None:
        consumer, parcel = SigningKey.generate(), sscc(1)
        cast.log.decide(cast.dispatch_payload(parcel, consignee=consumer, serials=("0001",)), cast.producer.key)
        receipt = cast.log.decide(cast.signature_payload(parcel, consumer), consumer)
        review = cast.log.decide(review_payload(consumer, cast.batch, receipt, rating=3), consumer)
        item = item_subject(gtin(PREFIX, 1), LOT, "0001").path
        cast.log.refuse(errors.WrongParents, review_payload(consumer, item, review, rating=3), consumer)


class TestComplaint:
    @pytest.mark.parametrize("about", ["batch", "parcel", "sender"])
    def test_a_consignee_complains_with_its_receipt(self, cast: Cast, about: str) -> None:
        consumer, parcel, receipt = cast.deliver(1)
        subject = {"batch": cast.batch, "parcel": parcel, "sender": cast.producer.subject}[about]
        complaint = cast.log.decide(
            complaint_payload(consumer, subject, category="quality", parents=[receipt]), consumer
        )
        row = cast.log.row("complaints", complaint)
        assert (row["subject"], row["by"], row["status"]) == (subject, consumer.kid, "open")

    def test_a_registered_actor_complains_without_a_receipt(self, cast: Cast) -> None:
        payload = complaint_payload(cast.regulator.key, cast.batch, category="counterfeit", channel="12315")
        complaint = cast.log.decide(payload, cast.regulator.key)
        assert cast.log.row("complaints", complaint)["by"] == cast.regulator.key.kid

    def test_a_consumer_complains_only_with_a_receipt(self, cast: Cast) -> None:
        other = stranger(cast)
        cast.log.refuse(errors.UnknownKey, complaint_payload(other, cast.batch, category="quality"), other)

    def test_a_consumer_complains_with_its_own_receipt(self, cast: Cast) -> None:
        _, _, receipt = cast.deliver(1)
        other = stranger(cast)
        payload = complaint_payload(other, cast.batch, category="quality", parents=[receipt])
        cast.log.refuse(errors.NotConsignee, payload, other)

    def test_the_receipt_covers_the_subject(self, cast: Cast) -> None:
        consumer, _, receipt = cast.deliver(1)
        payload = complaint_payload(consumer, other_batch(cast), category="mismatch", parents=[receipt])
        cast.log.refuse(errors.ReceiptRequired, payload, consumer)

    @pytest.mark.parametrize("channel", HOTLINES)
    def test_a_hotline_complaint_keeps_its_channel_and_the_actor_complained_about(
        self, cast: Cast, channel: str
    ) -> None:
        _, parcel, _ = cast.deliver(1)
        filed = REASON_REQUIRED_FROM + timedelta(days=1)
        for subject in (cast.batch, parcel, cast.producer.subject):
            payload = at_time(
                complaint_payload(cast.regulator.key, subject, category="quality", channel=channel), filed
            )
            row = cast.log.row("complaints", cast.log.decide(payload, cast.regulator.key, at=filed))
            assert (row["channel"], row["against"], row["status"]) == (channel, cast.producer.id, "open")
            assert row["filed_at"] == "2026-12-05T00:00:00Z"
            assert row["resolution_seconds"] is None

    def test_a_complaint_without_a_channel_came_from_a_consumer(self, cast: Cast) -> None:
        consumer, _, receipt = cast.deliver(1)
        payload = complaint_payload(consumer, cast.batch, category="quality", parents=[receipt])
        assert "channel" not in payload.data  # as every complaint logged before channels were listed
        assert cast.log.row("complaints", cast.log.decide(payload, consumer))["channel"] == "consumer"

    def test_a_consumer_does_not_file_a_hotline_complaint(self, cast: Cast) -> None:
        consumer, _, receipt = cast.deliver(1)
        payload = complaint_payload(consumer, cast.batch, category="quality", channel="12315", parents=[receipt])
        assert "data.channel 12315" in cast.log.refuse(errors.ChannelNotAllowed, payload, consumer)

    def test_an_actors_complaint_follows_a_receipt_or_nothing(self, cast: Cast) -> None:
        payload = complaint_payload(cast.regulator.key, cast.batch, category="quality", parents=[cast.production])
        cast.log.refuse(errors.WrongParents, payload, cast.regulator.key)


def open_complaint(cast: Cast, subject: str | None = None) -> str:
    payload = complaint_payload(cast.regulator.key, subject or cast.batch, category="quality", channel="12315")
    return cast.log.decide(payload, cast.regulator.key)


class TestResolution:
    def test_a_regulator_resolves_a_complaint(self, cast: Cast) -> None:
        complaint = open_complaint(cast)
        payload = resolution_payload(
            cast.regulator.key, cast.batch, complaint, outcome="upheld", reason="violation_found"
        )
        resolution = cast.log.decide(payload, cast.regulator.key)
        row = cast.log.row("complaints", complaint)
        assert (row["status"], row["resolution"], row["outcome"]) == ("resolved", resolution, "upheld")

    @pytest.mark.parametrize("about", ["batch", "parcel", "actor"])
    def test_the_party_complained_about_resolves_it(self, cast: Cast, about: str) -> None:
        _, parcel, _ = cast.deliver(1)
        subject = {"batch": cast.batch, "parcel": parcel, "actor": cast.producer.subject}[about]
        complaint = open_complaint(cast, subject)
        payload = resolution_payload(
            cast.producer.key, subject, complaint, outcome="compensated", reason="mediation_agreement", compensation=500
        )
        cast.log.decide(payload, cast.producer.key)
        assert cast.log.row("complaints", complaint)["outcome"] == "compensated"

    def test_no_one_else_resolves_it(self, cast: Cast) -> None:
        complaint = open_complaint(cast)
        payload = resolution_payload(
            cast.merchant.key, cast.batch, complaint, outcome="rejected", reason="no_violation"
        )
        cast.log.refuse(errors.NotAuthorized, payload, cast.merchant.key)

    def test_a_resolution_follows_a_complaint(self, cast: Cast) -> None:
        payload = resolution_payload(
            cast.regulator.key, cast.batch, cast.production, outcome="upheld", reason="violation_found"
        )
        cast.log.refuse(errors.UnknownComplaint, payload, cast.regulator.key)

    def test_a_resolution_is_about_the_complaints_subject(self, cast: Cast) -> None:
        complaint = open_complaint(cast)
        payload = resolution_payload(
            cast.regulator.key, cast.producer.subject, complaint, outcome="upheld", reason="violation_found"
        )
        cast.log.refuse(errors.WrongParents, payload, cast.regulator.key)

    def test_a_complaint_is_resolved_once(self, cast: Cast) -> None:
        complaint = open_complaint(cast)
        cast.log.decide(
            resolution_payload(
                cast.producer.key, cast.batch, complaint, outcome="withdrawn", reason="complainant_withdrew"
            ),
            cast.producer.key,
        )
        again = resolution_payload(
            cast.regulator.key, cast.batch, complaint, outcome="upheld", reason="violation_found"
        )
        cast.log.refuse(errors.ComplaintClosed, again, cast.regulator.key)

    def test_the_resolution_time_is_kept(self, cast: Cast) -> None:
        filed = REASON_REQUIRED_FROM + timedelta(days=3)
        payload = complaint_payload(cast.regulator.key, cast.batch, category="quality", channel="12365")
        complaint = cast.log.decide(at_time(payload, filed), cast.regulator.key, at=filed)
        resolved = filed + timedelta(days=2, hours=5)
        payload = resolution_payload(cast.regulator.key, cast.batch, complaint, outcome="upheld", reason="duplicate")
        cast.log.decide(at_time(payload, resolved), cast.regulator.key, at=resolved)
        row = cast.log.row("complaints", complaint)
        assert (row["reason"], row["resolved_at"]) == ("duplicate", "2026-12-09T05:00:00Z")
        assert row["resolution_seconds"] == (2 * 24 + 5) * 3600


class TestReason:
    @staticmethod
    def without_reason(cast: Cast, complaint: str) -> EventPayload:
        payload = resolution_payload(cast.regulator.key, cast.batch, complaint, outcome="upheld", reason="other")
        return dataclasses.replace(payload, data={"outcome": "upheld"})

    def test_a_resolution_names_its_reason(self, cast: Cast) -> None:
        complaint = open_complaint(cast)
        detail = cast.log.refuse(errors.ReasonRequired, self.without_reason(cast, complaint), cast.regulator.key)
        assert detail.startswith("data.reason")
        assert complaint in detail
        assert cast.log.row("complaints", complaint)["status"] == "open"

    def test_a_resolution_logged_before_reasons_were_required_stands_without_one(self, cast: Cast) -> None:
        before = REASON_REQUIRED_FROM - timedelta(seconds=1)
        filed = before - timedelta(days=1)
        payload = complaint_payload(cast.regulator.key, cast.batch, category="quality", channel="12315")
        complaint = cast.log.decide(at_time(payload, filed), cast.regulator.key, at=filed)
        cast.log.decide(at_time(self.without_reason(cast, complaint), before), cast.regulator.key, at=before)
        row = cast.log.row("complaints", complaint)
        assert (row["status"], row["outcome"], row["reason"]) == ("resolved", "upheld", None)
        assert row["resolution_seconds"] == 24 * 3600
