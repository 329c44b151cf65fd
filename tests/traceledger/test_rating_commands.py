"""``consumer rate`` and ``merchant rate-buyer`` as users run them (issue 11): real processes over a home ledger."""

from __future__ import annotations

from pathlib import Path

from ledger.credit_facts import party_ratings
from tests.traceledger.test_roles import (
    BATCH,
    COURIER,
    LICENCE,
    MERCHANT,
    PRODUCER,
    TO_CONSUMER,
    home,
    keypair,
    logged,
    parents_of,
    produce,
    refused,
    register,
)
from traceledger.settings import Home

__all__ = ["home"]  # the home fixture, shared with the role commands' tests


def test_a_consumer_rates_courier_and_shop_and_the_shop_rates_the_buyer(home: Path) -> None:
    producer, producer_pub = keypair(home, "producer")
    merchant, merchant_pub = keypair(home, "merchant")
    courier, courier_pub = keypair(home, "courier")
    consumer, consumer_pub = keypair(home, "consumer")
    register(home, 1, PRODUCER, "producer", producer_pub, "--licence", LICENCE, "--gs1-prefix", "690123")
    register(home, 2, MERCHANT, "merchant", merchant_pub, "--licence", "food_business:JY1:2030-12-31T00:00:00Z")
    register(home, 3, COURIER, "courier", courier_pub)
    produce(home, 4, producer)
    logged(
        home, "producer", "dispatch", "--key", str(producer), "--parcel", TO_CONSUMER, "--content", f"{BATCH}:1",
        "--consignee-key", str(consumer_pub), "--location", "宣威", index=5, kind="shipment", subject=TO_CONSUMER,
    )  # fmt: skip
    logged(home, "courier", "handoff", "--key", str(courier), "--parcel", TO_CONSUMER, "--location", "五华区",
           index=6, kind="shipment", subject=TO_CONSUMER)  # fmt: skip
    refused(home, "consumer", "rate", "--key", str(consumer), "--parcel", TO_CONSUMER, "--courier", COURIER,
            "--rating", "5", says="not a signature")  # fmt: skip
    receipt = logged(home, "consumer", "receipt", "--key", str(consumer), "--parcel", TO_CONSUMER,
                     index=7, kind="signature", subject=TO_CONSUMER)  # fmt: skip
    rate = ("consumer", "rate", "--key", str(consumer), "--parcel", TO_CONSUMER)
    first = logged(
        home, *rate, "--courier", COURIER, "--rating", "2", index=8, kind="rating", subject=f"actor/{COURIER}"
    )
    assert parents_of(home, first) == (receipt,)
    follow_up = logged(home, *rate, "--courier", COURIER, "--rating", "4", "--follow-up-of", first,
                       index=9, kind="rating", subject=f"actor/{COURIER}")  # fmt: skip
    assert parents_of(home, follow_up) == (first,)
    refused(home, *rate, "--courier", COURIER, "--rating", "5", says="already rated")
    logged(home, *rate, "--sender", PRODUCER, "--rating", "5", index=10, kind="rating", subject=f"actor/{PRODUCER}")
    refused(home, *rate, "--sender", PRODUCER, "--courier", COURIER, "--rating", "5", says="exactly one")
    refused(home, *rate, "--sender", MERCHANT, "--rating", "5", says="neither sent nor carried")
    buyer = ("producer", "rate-buyer", "--key", str(producer), "--parcel", TO_CONSUMER, "--rating", "5")
    logged(home, *buyer, index=11, kind="rating", subject=TO_CONSUMER)
    refused(home, "merchant", "rate-buyer", "--key", str(merchant), "--parcel", TO_CONSUMER, "--rating", "1",
            says="only")  # fmt: skip
    ledger = Home(home).open()
    try:
        courier_ratings = party_ratings(ledger, COURIER).received["courier"]
        assert (courier_ratings.count, courier_ratings.sum, courier_ratings.average) == (2, 6, "3.0")
        assert party_ratings(ledger, PRODUCER).received["sender"].average == "5.0"
        consignee = ledger.view("parcels", TO_CONSUMER)
        assert consignee is not None
        assert party_ratings(ledger, str(consignee["consignee"])).received["buyer"].count == 1
    finally:
        ledger.close()


def test_a_shop_commits_itself_and_replaces_its_commitment(home: Path) -> None:
    producer, producer_pub = keypair(home, "producer")
    register(home, 1, PRODUCER, "producer", producer_pub, "--licence", LICENCE, "--gs1-prefix", "690123")
    commit = ("producer", "commit", "--key", str(producer), "--id", PRODUCER, "--valid-until", "2099-12-31T00:00:00Z")
    first = logged(home, *commit, "--returns-7d", "--delivery-within-hours", "48",
                   index=2, kind="commitment", subject=f"actor/{PRODUCER}")  # fmt: skip
    refused(home, *commit, "--compensation-first", says="follows its current one")
    second = logged(home, *commit, "--compensation-first", "--replaces", first,
                    index=3, kind="commitment", subject=f"actor/{PRODUCER}")  # fmt: skip
    assert parents_of(home, second) == (first,)
    refused(home, *commit, says="promises returns_7d, compensation_first or delivery_within_hours")
    ledger = Home(home).open()
    try:
        row = ledger.view("commitments", first)
        assert row is not None
        assert (row["returns_7d"], row["delivery_within_hours"], row["replaced_by"]) == (True, 48, second)
    finally:
        ledger.close()
