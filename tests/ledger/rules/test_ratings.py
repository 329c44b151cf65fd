"""Mutual ratings (issue 11) as pure rules over an in-memory log: who may rate whom, once each, one follow-up."""

from __future__ import annotations

from ledger import errors
from ledger.events.builders import rating_payload
from tests.ledger.rules.conftest import Cast
from tests.scenarios.world import sscc


def test_a_consignee_rates_the_courier_and_the_sender_once_each(cast: Cast) -> None:
    consumer, _, receipt = cast.deliver(1)
    courier = cast.log.decide(rating_payload(consumer, cast.courier.subject, receipt, rating=4), consumer)
    sender = cast.log.decide(rating_payload(consumer, cast.producer.subject, receipt, rating=2), consumer)
    assert cast.log.row("ratings", courier) == {
        "receipt": receipt, "rater": consumer.kid, "role": "courier", "ratee": cast.courier.id, "rating": 4,
        "follows": None, "follow_up": None,
    }  # fmt: skip
    assert cast.log.row("ratings", sender)["role"] == "sender"
    assert cast.log.row("rating_totals", cast.courier.id) == {"received": {"courier": {"count": 1, "sum": 4}}}
    assert cast.log.row("rating_totals", cast.producer.id) == {"received": {"sender": {"count": 1, "sum": 2}}}
    detail = cast.log.refuse(
        errors.RatingExists, rating_payload(consumer, cast.courier.subject, receipt, rating=5), consumer
    )
    assert courier in detail


def test_one_follow_up_counts_and_a_second_is_refused(cast: Cast) -> None:
    consumer, _, receipt = cast.deliver(1)
    first = cast.log.decide(rating_payload(consumer, cast.courier.subject, receipt, rating=1), consumer)
    follow_up = cast.log.decide(rating_payload(consumer, cast.courier.subject, first, rating=5), consumer)
    assert cast.log.row("ratings", first)["follow_up"] == follow_up
    assert cast.log.row("ratings", follow_up)["follows"] == first
    assert cast.log.row("rating_totals", cast.courier.id)["received"]["courier"] == {"count": 2, "sum": 6}
    for parent in (first, follow_up):
        cast.log.refuse(errors.RatingExists, rating_payload(consumer, cast.courier.subject, parent, rating=3), consumer)
    cast.log.refuse(errors.WrongParents, rating_payload(consumer, cast.producer.subject, first, rating=3), consumer)


def test_only_a_party_to_the_parcel_is_rated_and_only_by_its_consignee(cast: Cast) -> None:
    consumer, _, receipt = cast.deliver(1)
    stranger, _, _ = cast.deliver(2)
    cast.log.refuse(errors.NotAParty, rating_payload(consumer, cast.merchant.subject, receipt, rating=1), consumer)
    cast.log.refuse(errors.NotConsignee, rating_payload(stranger, cast.courier.subject, receipt, rating=1), stranger)
    dispatch = str(cast.log.row("parcels", sscc(1))["dispatch"])
    not_a_receipt = rating_payload(consumer, cast.courier.subject, dispatch, rating=1)
    cast.log.refuse(errors.ReceiptRequired, not_a_receipt, consumer)


def test_the_sender_rates_its_buyer_key_once(cast: Cast) -> None:
    consumer, parcel, receipt = cast.deliver(1)
    producer = cast.producer.key
    rated = cast.log.decide(rating_payload(producer, parcel, receipt, rating=5), producer)
    assert cast.log.row("ratings", rated)["ratee"] == consumer.kid
    assert cast.log.row("rating_totals", consumer.kid) == {"received": {"buyer": {"count": 1, "sum": 5}}}
    cast.log.refuse(errors.RatingExists, rating_payload(producer, parcel, receipt, rating=4), producer)
    cast.log.refuse(errors.NotAuthorized, rating_payload(cast.courier.key, parcel, receipt, rating=1), cast.courier.key)
    _, other, _ = cast.deliver(2)
    cast.log.refuse(errors.ReceiptRequired, rating_payload(producer, other, receipt, rating=1), producer)


def test_ratings_received_go_in_the_courier_and_sender_credit_files(cast: Cast) -> None:
    """The credit file's sections of ratings received as courier and as sender (a buyer is a key: no file)."""
    consumer, parcel, receipt = cast.deliver(1)
    first = cast.log.decide(rating_payload(consumer, cast.courier.subject, receipt, rating=2), consumer)
    follow_up = cast.log.decide(rating_payload(consumer, cast.courier.subject, first, rating=5), consumer)
    sender = cast.log.decide(rating_payload(consumer, cast.producer.subject, receipt, rating=4), consumer)
    cast.log.decide(rating_payload(cast.producer.key, parcel, receipt, rating=1), cast.producer.key)
    courier_file = cast.log.row("credit", cast.courier.id)["sections"]
    assert courier_file["ratings_as_courier"] == {"count": 2, "sum": 7, "stars": [0, 1, 0, 0, 1], "latest": follow_up}
    producer_file = cast.log.row("credit", cast.producer.id)["sections"]
    assert producer_file["ratings_as_sender"] == {"count": 1, "sum": 4, "stars": [0, 0, 0, 1, 0], "latest": sender}
    assert "ratings_as_buyer" not in producer_file
    assert cast.log.absent("credit", consumer.kid)
