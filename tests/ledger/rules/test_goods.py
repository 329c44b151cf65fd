"""Batches (ledger.rules.goods): production, inspection, listing and recall, decided in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ledger import errors
from ledger.events.builders import inspection_payload, listing_payload, recall_payload, sanction_payload
from ledger.identifiers import batch_subject
from signer.keys import SigningKey
from tests.ledger.rules.conftest import LOT, Cast
from tests.ledger.rules.memory import at_time
from tests.scenarios.world import Party, gtin, sscc

NOWHERE = batch_subject(gtin("690123", 77), LOT).path  # a batch never produced


def sanction(cast: Cast, actor: Party) -> None:
    payload = sanction_payload(cast.regulator.key, actor.id, list_="black", reason="伪造检验报告")
    cast.log.decide(payload, cast.regulator.key)


class TestProduction:
    def test_a_production_registers_a_batch_held_by_its_producer(self, cast: Cast) -> None:
        payload = cast.production_payload(2, quantity=30, expiry="2027-11-30")
        event, changes = cast.log.changes(payload, cast.producer.key)
        batch = changes[("batches", payload.subject)]
        assert batch is not None
        assert (batch["producer"], batch["quantity"], batch["expiry"]) == (cast.producer.id, 30, "2027-11-30")
        assert (batch["holdings"], batch["in_transit"], batch["delivered"]) == ({cast.producer.id: 30}, 0, 0)
        assert (batch["production"], batch["recall"]) == (event, None)
        index = cast.log.size - 1
        assert changes[("events", event)] == {
            "kind": "production", "subject": payload.subject, "actor": cast.producer.key.kid, "index": index,
        }  # fmt: skip

    def test_a_processed_batch_follows_the_productions_of_its_inputs(self, cast: Cast) -> None:
        payload = cast.production_payload(2, inputs=(cast.production,))
        cast.log.decide(payload, cast.producer.key)
        assert cast.log.row("batches", payload.subject)["inputs"] == [cast.production]

    def test_an_input_must_be_a_production(self, cast: Cast) -> None:
        registration = str(cast.log.row("actors", cast.producer.id)["registration"])
        cast.log.refuse(errors.WrongParents, cast.production_payload(2, inputs=(registration,)), cast.producer.key)

    def test_a_recalled_batch_is_not_an_input(self, cast: Cast) -> None:
        recall = recall_payload(cast.regulator.key, cast.batch, cast.production, reason="safety", level=1)
        cast.log.decide(recall, cast.regulator.key)
        payload = cast.production_payload(2, inputs=(cast.production,))
        assert cast.batch in cast.log.refuse(errors.InputRecalled, payload, cast.producer.key)

    def test_only_a_producer_produces(self, cast: Cast) -> None:
        cast.log.refuse(errors.NotAuthorized, cast.production_payload(2, key=cast.merchant.key), cast.merchant.key)

    def test_a_black_listed_producer_cannot_produce(self, cast: Cast) -> None:
        sanction(cast, cast.producer)
        cast.log.refuse(errors.BlackListed, cast.production_payload(), cast.producer.key)

    def test_the_gtin_is_under_a_prefix_of_the_producer(self, cast: Cast) -> None:
        other = cast.log.register("另一家火腿厂", "producer", licences=("food_production",), prefixes=("690999",))
        cast.log.refuse(errors.PrefixNotOwned, cast.production_payload(key=other.key), other.key)

    def test_a_batch_is_produced_once(self, cast: Cast) -> None:
        cast.log.refuse(errors.BatchExists, cast.production_payload(1, quantity=5), cast.producer.key)

    @pytest.mark.parametrize("category", ["drug", "medical_device", "agricultural_input"])
    def test_the_category_needs_its_production_licence(self, cast: Cast, category: str) -> None:
        cast.log.refuse(errors.LicenceMissing, cast.production_payload(category=category), cast.producer.key)

    def test_agricultural_products_need_no_licence(self, cast: Cast) -> None:
        farm = cast.log.register("陆良蔬菜合作社", "producer", prefixes=("690555",))
        payload = cast.production_payload(key=farm.key, category="agricultural_product", prefix="690555")
        cast.log.decide(payload, farm.key)
        assert cast.log.row("batches", payload.subject)["producer"] == farm.id

    def test_an_expired_licence_does_not_count(self, cast: Cast) -> None:
        producer = cast.log.register(
            "过期许可火腿厂", "producer", licences=("food_production",), prefixes=("690777",),
            valid_until="2020-01-01T00:00:00Z",
        )  # fmt: skip
        payload = cast.production_payload(key=producer.key, prefix="690777")
        cast.log.refuse(errors.LicenceMissing, payload, producer.key)


class TestInspection:
    @pytest.mark.parametrize("inspector", ["producer", "lab", "regulator"])
    def test_the_producer_a_lab_or_a_regulator_records_a_result(self, cast: Cast, inspector: str) -> None:
        key = getattr(cast, inspector).key
        payload = inspection_payload(key, cast.batch, cast.production, result="fail", standard="GB 2730-2015")
        event = cast.log.decide(payload, key)
        assert cast.log.row("batches", cast.batch)["inspections"] == [{"event": event, "result": "fail"}]

    def test_another_producer_cannot_inspect(self, cast: Cast) -> None:
        other = cast.log.register("另一家火腿厂", "producer", licences=("food_production",), prefixes=("690999",))
        payload = inspection_payload(other.key, cast.batch, cast.production, result="pass", standard="GB 2730-2015")
        cast.log.refuse(errors.NotAuthorized, payload, other.key)

    def test_a_merchant_cannot_inspect(self, cast: Cast) -> None:
        payload = inspection_payload(cast.merchant.key, cast.batch, cast.production, result="pass", standard="GB")
        cast.log.refuse(errors.NotAuthorized, payload, cast.merchant.key)

    def test_only_a_produced_batch_is_inspected(self, cast: Cast) -> None:
        payload = inspection_payload(cast.lab.key, NOWHERE, cast.production, result="pass", standard="GB 2730-2015")
        cast.log.refuse(errors.UnknownBatch, payload, cast.lab.key)

    def test_an_inspection_follows_the_production(self, cast: Cast) -> None:
        registration = str(cast.log.row("actors", cast.producer.id)["registration"])
        payload = inspection_payload(cast.lab.key, cast.batch, registration, result="pass", standard="GB 2730-2015")
        cast.log.refuse(errors.WrongParents, payload, cast.lab.key)


def inspect(cast: Cast, result: str, inspector: Party | None = None) -> str:
    key = (inspector or cast.lab).key
    return cast.log.decide(inspection_payload(key, cast.batch, cast.production, result=result, standard="GB 2730"), key)


class TestHold:
    """A failed inspection holds the batch: no listing and no dispatch until a later inspection passes."""

    def test_a_failed_batch_cannot_be_listed_or_dispatched(self, cast: Cast) -> None:
        inspect(cast, "pass")
        inspect(cast, "fail")
        listing = listing_payload(cast.merchant.key, cast.batch, cast.production, price=25800)
        assert "failed" in cast.log.refuse(errors.BatchOnHold, listing, cast.merchant.key)
        to_shop = cast.dispatch_payload(sscc(1), 10, to=cast.merchant)
        cast.log.refuse(errors.BatchOnHold, to_shop, cast.producer.key)
        to_consumer = cast.dispatch_payload(sscc(1), 1, consignee=SigningKey.from_seed(b"c".ljust(32, b"\0")))
        cast.log.refuse(errors.BatchOnHold, to_consumer, cast.producer.key)

    def test_a_passing_reinspection_lifts_the_hold(self, cast: Cast) -> None:
        inspect(cast, "fail")
        inspect(cast, "pass", cast.regulator)
        cast.log.decide(listing_payload(cast.merchant.key, cast.batch, cast.production, price=1), cast.merchant.key)
        cast.log.decide(cast.dispatch_payload(sscc(1), 10, to=cast.merchant), cast.producer.key)
        assert cast.log.row("batches", cast.batch)["in_transit"] == 10

    def test_held_goods_may_still_go_back_to_their_producer(self, cast: Cast) -> None:
        cast.log.decide(cast.dispatch_payload(sscc(1), 10, to=cast.merchant), cast.producer.key)
        for receiver in (cast.courier, cast.merchant):
            cast.log.decide(cast.handoff_payload(sscc(1), receiver), receiver.key)
        inspect(cast, "fail")
        back = cast.dispatch_payload(sscc(2), 10, sender=cast.merchant, to=cast.producer)
        cast.log.decide(back, cast.merchant.key)
        assert cast.log.row("batches", cast.batch)["holdings"] == {cast.producer.id: 90}


class TestListing:
    def test_a_licensed_merchant_lists_a_batch(self, cast: Cast) -> None:
        event = cast.log.decide(
            listing_payload(cast.merchant.key, cast.batch, cast.production, price=25800), cast.merchant.key
        )
        assert cast.log.row("batches", cast.batch)["listings"] == [{"event": event, "merchant": cast.merchant.id}]

    def test_only_a_merchant_lists(self, cast: Cast) -> None:
        payload = listing_payload(cast.courier.key, cast.batch, cast.production, price=25800)
        cast.log.refuse(errors.NotAuthorized, payload, cast.courier.key)

    def test_a_black_listed_merchant_cannot_list(self, cast: Cast) -> None:
        sanction(cast, cast.merchant)
        payload = listing_payload(cast.merchant.key, cast.batch, cast.production, price=25800)
        cast.log.refuse(errors.BlackListed, payload, cast.merchant.key)

    def test_the_merchant_needs_the_categorys_business_licence(self, cast: Cast) -> None:
        shop = cast.log.register("无证网店", "merchant")
        cast.log.refuse(
            errors.LicenceMissing, listing_payload(shop.key, cast.batch, cast.production, price=1), shop.key
        )

    def test_only_a_produced_batch_is_listed(self, cast: Cast) -> None:
        payload = listing_payload(cast.merchant.key, NOWHERE, cast.production, price=25800)
        cast.log.refuse(errors.UnknownBatch, payload, cast.merchant.key)

    def test_a_listing_follows_the_production(self, cast: Cast) -> None:
        registration = str(cast.log.row("actors", cast.merchant.id)["registration"])
        payload = listing_payload(cast.merchant.key, cast.batch, registration, price=25800)
        cast.log.refuse(errors.WrongParents, payload, cast.merchant.key)

    def test_a_recalled_batch_cannot_be_listed(self, cast: Cast) -> None:
        recall = recall_payload(cast.producer.key, cast.batch, cast.production, reason="safety", level=1)
        cast.log.decide(recall, cast.producer.key)
        payload = listing_payload(cast.merchant.key, cast.batch, cast.production, price=25800)
        cast.log.refuse(errors.BatchRecalled, payload, cast.merchant.key)

    def test_an_expired_batch_cannot_be_listed(self, cast: Cast) -> None:
        today = datetime.now(UTC)
        produced = cast.production_payload(2, expiry=(today.date() + timedelta(days=1)).isoformat())
        production = cast.log.decide(produced, cast.producer.key)
        payload = listing_payload(cast.merchant.key, produced.subject, production, price=25800)
        cast.log.decide(payload, cast.merchant.key)  # on its last day it may still be listed
        later = datetime.combine(today.date() + timedelta(days=2), datetime.min.time(), UTC)
        cast.log.refuse(errors.BatchExpired, at_time(payload, later), cast.merchant.key, at=later)
        assert date.fromisoformat(str(cast.log.row("batches", produced.subject)["expiry"])) < later.date()


class TestRecall:
    @pytest.mark.parametrize("signer", ["producer", "regulator"])
    def test_the_producer_or_a_regulator_recalls(self, cast: Cast, signer: str) -> None:
        key = getattr(cast, signer).key
        event = cast.log.decide(recall_payload(key, cast.batch, cast.production, reason="quality", level=2), key)
        assert cast.log.row("batches", cast.batch)["recall"] == event

    def test_another_producer_cannot_recall(self, cast: Cast) -> None:
        other = cast.log.register("另一家火腿厂", "producer", licences=("food_production",), prefixes=("690999",))
        payload = recall_payload(other.key, cast.batch, cast.production, reason="quality", level=2)
        cast.log.refuse(errors.NotAuthorized, payload, other.key)

    def test_a_merchant_cannot_recall(self, cast: Cast) -> None:
        payload = recall_payload(cast.merchant.key, cast.batch, cast.production, reason="quality", level=2)
        cast.log.refuse(errors.NotAuthorized, payload, cast.merchant.key)

    def test_a_batch_is_recalled_once(self, cast: Cast) -> None:
        cast.log.decide(
            recall_payload(cast.producer.key, cast.batch, cast.production, reason="safety", level=1), cast.producer.key
        )
        again = recall_payload(cast.regulator.key, cast.batch, cast.production, reason="regulatory", level=1)
        cast.log.refuse(errors.BatchRecalled, again, cast.regulator.key)

    def test_only_a_produced_batch_is_recalled(self, cast: Cast) -> None:
        payload = recall_payload(cast.producer.key, NOWHERE, cast.production, reason="safety", level=1)
        cast.log.refuse(errors.UnknownBatch, payload, cast.producer.key)

    def test_a_recall_follows_the_production(self, cast: Cast) -> None:
        registration = str(cast.log.row("actors", cast.producer.id)["registration"])
        payload = recall_payload(cast.producer.key, cast.batch, registration, reason="safety", level=1)
        cast.log.refuse(errors.WrongParents, payload, cast.producer.key)
