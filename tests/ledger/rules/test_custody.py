"""Parcels (ledger.rules.custody): dispatch, handoffs and the consignee's signature, decided in memory; the
quantities of every batch are conserved along any journey."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from hypothesis import given, settings

from ledger import errors
from ledger.events.builders import Content, dispatch_payload, handoff_payload, recall_payload, sanction_payload
from ledger.identifiers import batch_subject, item_subject
from ledger.rules import check_conservation
from signer.keys import SigningKey
from tests.ledger.conftest import make_uscc
from tests.ledger.rules.conftest import LOT, PLACE, PREFIX, Cast, new_cast
from tests.ledger.rules.memory import MemoryLog
from tests.scenarios.world import Party, gtin, sscc
from tests.strategies import ParcelPlan, parcel_plans

PARCEL = sscc(1)
CONSUMER = SigningKey.from_seed(b"consumer".ljust(32, b"\0"))


def to_merchant(cast: Cast, quantity: int = 10, parcel: str = PARCEL) -> str:
    """The producer dispatches ``quantity`` of the batch to the merchant; the dispatch event."""
    return cast.log.decide(cast.dispatch_payload(parcel, quantity, to=cast.merchant), cast.producer.key)


def to_consumer(cast: Cast, quantity: int = 1, parcel: str = PARCEL) -> str:
    return cast.log.decide(cast.dispatch_payload(parcel, quantity, consignee=CONSUMER), cast.producer.key)


def hand(cast: Cast, receiver: Party, parcel: str = PARCEL) -> str:
    return cast.log.decide(cast.handoff_payload(parcel, receiver), receiver.key)


def batch(cast: Cast, path: str | None = None) -> dict[str, object]:
    return cast.log.row("batches", path or cast.batch)


class TestDispatch:
    def test_a_dispatch_to_an_actor_moves_goods_from_the_sender_into_transit(self, cast: Cast) -> None:
        dispatch = to_merchant(cast, 10)
        assert (batch(cast)["holdings"], batch(cast)["in_transit"]) == ({cast.producer.id: 90}, 10)
        parcel = cast.log.row("parcels", PARCEL)
        assert (parcel["sender"], parcel["to"], parcel["consignee"]) == (cast.producer.id, cast.merchant.id, None)
        assert (parcel["head"], parcel["custodian"], parcel["status"]) == (dispatch, cast.producer.id, "in_transit")

    def test_a_dispatch_to_a_consumer_declares_the_consignee_key(self, cast: Cast) -> None:
        dispatch = to_consumer(cast)
        assert cast.log.row("parcels", PARCEL)["consignee"] == CONSUMER.kid
        assert cast.log.row("public_keys", CONSUMER.kid)["event"] == dispatch

    def test_serialised_items_are_traced_to_their_parcels(self, cast: Cast) -> None:
        cast.log.decide(
            cast.dispatch_payload(PARCEL, 2, consignee=CONSUMER, serials=("0001", "0002")), cast.producer.key
        )
        item = item_subject(gtin(PREFIX, 1), LOT, "0001").path
        assert cast.log.row("items", item) == {"batch": cast.batch, "parcels": [PARCEL]}
        assert cast.log.row("parcels", PARCEL)["items"] == [item, item_subject(gtin(PREFIX, 1), LOT, "0002").path]

    def test_the_sender_holds_what_it_sends(self, cast: Cast) -> None:
        to_merchant(cast, 60)
        cast.log.refuse(
            errors.InsufficientQuantity, cast.dispatch_payload(sscc(2), 41, to=cast.merchant), cast.producer.key
        )

    def test_only_a_producer_or_merchant_dispatches(self, cast: Cast) -> None:
        payload = cast.dispatch_payload(PARCEL, 1, sender=cast.courier, to=cast.merchant)
        cast.log.refuse(errors.NotAuthorized, payload, cast.courier.key)

    def test_a_black_listed_sender_cannot_dispatch(self, cast: Cast) -> None:
        payload = sanction_payload(cast.regulator.key, cast.producer.id, list_="black", reason="伪造检验报告")
        cast.log.decide(payload, cast.regulator.key)
        cast.log.refuse(errors.BlackListed, cast.dispatch_payload(PARCEL, 1, to=cast.merchant), cast.producer.key)

    def test_a_parcel_is_dispatched_once(self, cast: Cast) -> None:
        to_merchant(cast, 1)
        cast.log.refuse(errors.ParcelExists, cast.dispatch_payload(PARCEL, 2, to=cast.merchant), cast.producer.key)

    def test_the_destination_is_a_registered_actor(self, cast: Cast) -> None:
        nobody = Party(make_uscc(9999), "未登记", SigningKey.generate())
        cast.log.refuse(errors.UnknownActor, cast.dispatch_payload(PARCEL, 1, to=nobody), cast.producer.key)

    def test_the_goods_come_from_a_produced_batch(self, cast: Cast) -> None:
        nowhere = batch_subject(gtin(PREFIX, 77), LOT).path
        payload = dispatch_payload(
            cast.producer.key, PARCEL, [Content(nowhere, 1)], [cast.production], location=PLACE, to=cast.merchant.id
        )
        cast.log.refuse(errors.UnknownBatch, payload, cast.producer.key)

    def test_the_parents_are_the_productions_of_the_batches(self, cast: Cast) -> None:
        payload = dataclasses.replace(cast.dispatch_payload(PARCEL, 1, to=cast.merchant), parents=())
        cast.log.refuse(errors.WrongParents, payload, cast.producer.key)

    def test_a_recalled_batch_only_goes_back_to_its_producer(self, cast: Cast) -> None:
        to_merchant(cast, 10)
        hand(cast, cast.courier)
        hand(cast, cast.merchant)
        recall = recall_payload(cast.producer.key, cast.batch, cast.production, reason="safety", level=1)
        cast.log.decide(recall, cast.producer.key)
        log, merchant = cast.log, cast.merchant
        log.refuse(
            errors.BatchRecalled, cast.dispatch_payload(sscc(2), 1, sender=merchant, consignee=CONSUMER), merchant.key
        )
        log.decide(cast.dispatch_payload(sscc(2), 10, sender=merchant, to=cast.producer), merchant.key)
        assert batch(cast)["holdings"] == {cast.producer.id: 90}


class TestHandoff:
    def test_a_courier_takes_custody_by_spending_the_head(self, cast: Cast) -> None:
        dispatch = to_merchant(cast)
        handoff, changes = cast.log.changes(cast.handoff_payload(PARCEL, cast.courier), cast.courier.key)
        assert changes[("spends", dispatch)] == {"by": handoff}
        parcel = cast.log.row("parcels", PARCEL)
        assert (parcel["head"], parcel["custodian"], parcel["handoffs"]) == (handoff, cast.courier.id, [handoff])
        assert ("batches", cast.batch) not in changes  # the goods stay in transit

    def test_a_handoff_may_carry_the_givers_signature_too(self, cast: Cast) -> None:
        to_merchant(cast)
        cast.log.decide(cast.handoff_payload(PARCEL, cast.courier), cast.courier.key, cast.producer.key)
        assert cast.log.row("parcels", PARCEL)["custodian"] == cast.courier.id

    def test_arrival_at_the_destination_credits_it(self, cast: Cast) -> None:
        to_merchant(cast, 10)
        hand(cast, cast.courier)
        hand(cast, cast.merchant)
        assert cast.log.row("parcels", PARCEL)["status"] == "delivered"
        assert batch(cast)["holdings"] == {cast.producer.id: 90, cast.merchant.id: 10}
        assert batch(cast)["in_transit"] == 0

    def test_a_refused_parcel_goes_back_to_its_sender(self, cast: Cast) -> None:
        to_consumer(cast, 3)
        hand(cast, cast.courier)
        cast.log.decide(cast.signature_payload(PARCEL, CONSUMER, "refused"), CONSUMER)
        hand(cast, cast.producer)
        assert cast.log.row("parcels", PARCEL)["status"] == "returned"
        assert (batch(cast)["holdings"], batch(cast)["in_transit"]) == ({cast.producer.id: 100}, 0)

    def test_only_a_dispatched_parcel_is_handed_on(self, cast: Cast) -> None:
        payload = handoff_payload(
            cast.courier.key, PARCEL, cast.production, from_actor=cast.producer.id, location=PLACE
        )
        cast.log.refuse(errors.UnknownParcel, payload, cast.courier.key)

    def test_a_custody_head_is_spent_once(self, cast: Cast) -> None:
        dispatch = to_merchant(cast)
        hand(cast, cast.courier)
        other = cast.log.register("另一家快递", "courier")
        payload = handoff_payload(other.key, PARCEL, dispatch, from_actor=cast.producer.id, location=PLACE)
        cast.log.refuse(errors.CustodyFork, payload, other.key)

    def test_a_handoff_follows_the_custody_head(self, cast: Cast) -> None:
        to_merchant(cast)
        cast.log.refuse(
            errors.WrongParents, cast.handoff_payload(PARCEL, cast.courier, head=cast.production), cast.courier.key
        )

    def test_the_giver_is_the_current_custodian(self, cast: Cast) -> None:
        to_merchant(cast)
        payload = dataclasses.replace(
            cast.handoff_payload(PARCEL, cast.courier), data={"type": "handoff", "from": cast.lab.id, "location": PLACE}
        )
        cast.log.refuse(errors.WrongCustodian, payload, cast.courier.key)

    def test_a_custodian_cannot_hand_a_parcel_to_itself(self, cast: Cast) -> None:
        to_merchant(cast)
        hand(cast, cast.courier)
        cast.log.refuse(errors.WrongCustodian, cast.handoff_payload(PARCEL, cast.courier), cast.courier.key)

    def test_only_a_courier_or_the_destination_takes_a_parcel(self, cast: Cast) -> None:
        to_merchant(cast)
        cast.log.refuse(errors.NotAuthorized, cast.handoff_payload(PARCEL, cast.lab), cast.lab.key)

    def test_a_second_signature_is_the_givers(self, cast: Cast) -> None:
        to_merchant(cast)
        payload = cast.handoff_payload(PARCEL, cast.courier)
        cast.log.refuse(errors.NotAuthorized, payload, cast.courier.key, cast.lab.key)

    def test_a_delivered_parcel_is_not_handed_on(self, cast: Cast) -> None:
        to_merchant(cast)
        hand(cast, cast.courier)
        hand(cast, cast.merchant)
        cast.log.refuse(errors.AlreadySigned, cast.handoff_payload(PARCEL, cast.courier), cast.courier.key)

    def test_a_black_listed_courier_cannot_take_a_parcel(self, cast: Cast) -> None:
        to_merchant(cast)
        payload = sanction_payload(cast.regulator.key, cast.courier.id, list_="black", reason="丢件")
        cast.log.decide(payload, cast.regulator.key)
        cast.log.refuse(errors.BlackListed, cast.handoff_payload(PARCEL, cast.courier), cast.courier.key)


class TestSignature:
    @pytest.mark.parametrize("condition", ["intact", "damaged"])
    def test_the_consignee_signs_for_the_goods_and_holds_a_receipt(self, cast: Cast, condition: str) -> None:
        to_consumer(cast, 2)
        hand(cast, cast.courier)
        signature = cast.log.decide(cast.signature_payload(PARCEL, CONSUMER, condition), CONSUMER)
        assert (batch(cast)["in_transit"], batch(cast)["delivered"]) == (0, 2)
        assert cast.log.row("parcels", PARCEL)["status"] == "signed"
        receipt = cast.log.row("receipts", signature)
        assert (receipt["consignee"], receipt["batches"], receipt["reviews"]) == (CONSUMER.kid, [cast.batch], [])

    def test_a_refusal_leaves_the_goods_in_transit_and_gives_no_receipt(self, cast: Cast) -> None:
        to_consumer(cast, 2)
        signature = cast.log.decide(cast.signature_payload(PARCEL, CONSUMER, "refused"), CONSUMER)
        assert cast.log.row("parcels", PARCEL)["status"] == "refused"
        assert (batch(cast)["in_transit"], batch(cast)["delivered"]) == (2, 0)
        assert cast.log.absent("receipts", signature)

    def test_only_the_consignee_key_signs(self, cast: Cast) -> None:
        to_consumer(cast)
        other = SigningKey.generate()  # a consignee of another parcel, so a key the log knows
        cast.log.decide(cast.dispatch_payload(sscc(2), consignee=other), cast.producer.key)
        cast.log.refuse(errors.NotConsignee, cast.signature_payload(PARCEL, other), other)

    def test_a_parcel_to_an_actor_has_no_consignee_to_sign(self, cast: Cast) -> None:
        to_merchant(cast)
        cast.log.refuse(errors.NotConsignee, cast.signature_payload(PARCEL, cast.merchant.key), cast.merchant.key)

    def test_a_parcel_is_signed_for_once(self, cast: Cast) -> None:
        to_consumer(cast)
        cast.log.decide(cast.signature_payload(PARCEL, CONSUMER), CONSUMER)
        cast.log.refuse(errors.AlreadySigned, cast.signature_payload(PARCEL, CONSUMER, "damaged"), CONSUMER)

    def test_only_a_dispatched_parcel_is_signed_for(self, cast: Cast) -> None:
        to_consumer(cast)
        payload = dataclasses.replace(cast.signature_payload(PARCEL, CONSUMER), subject=sscc(2))
        cast.log.refuse(errors.UnknownParcel, payload, CONSUMER)

    def test_the_signature_spends_the_custody_head(self, cast: Cast) -> None:
        dispatch = to_consumer(cast)
        hand(cast, cast.courier)
        payload = dataclasses.replace(cast.signature_payload(PARCEL, CONSUMER), parents=(dispatch,))
        cast.log.refuse(errors.CustodyFork, payload, CONSUMER)


def test_a_batch_that_does_not_add_up_is_a_conservation_error(cast: Cast) -> None:
    row = {**batch(cast), "delivered": 1}
    with pytest.raises(errors.ConservationError):
        check_conservation(cast.batch, row)


#: What a journey does to the batch, per unit sent: (producer's holding, merchant's, in transit, delivered).
EFFECTS = {
    "in transit": (-1, 0, 1, 0),
    "to merchant": (-1, 1, 0, 0),
    "signed": (-1, 0, 0, 1),
    "refused and returned": (0, 0, 0, 0),
}


def take_journey(cast: Cast, parcel: str, quantity: int, route: str) -> None:
    """Send ``quantity`` on ``route`` (see EFFECTS), checking conservation after each event."""
    log, consumer = cast.log, SigningKey.from_seed(parcel[-8:].encode().ljust(32, b"\0"))
    to = cast.merchant if route in ("in transit", "to merchant") else None
    dispatch = cast.dispatch_payload(parcel, quantity, to=to, consignee=None if to else consumer)
    steps: list[Callable[[], str]] = [
        lambda: log.decide(dispatch, cast.producer.key),
        lambda: hand(cast, cast.courier, parcel),
    ]
    if route == "to merchant":
        steps.append(lambda: hand(cast, cast.merchant, parcel))
    if route == "signed":
        steps.append(lambda: log.decide(cast.signature_payload(parcel, consumer), consumer))
    if route == "refused and returned":
        steps.append(lambda: log.decide(cast.signature_payload(parcel, consumer, "refused"), consumer))
        steps.append(lambda: hand(cast, cast.producer, parcel))
    for step in steps:
        step()
        check_conservation(cast.batch, batch(cast))


@settings(max_examples=40, deadline=None)
@given(plans=parcel_plans())
def test_quantities_are_conserved_along_any_journeys(plans: list[ParcelPlan]) -> None:
    """Whatever parcels go where, produced = held + in transit + delivered after every event, and each counter is
    what the journeys add up to; a dispatch of more than the sender holds is refused."""
    cast = new_cast(MemoryLog())
    producer, merchant, in_transit, delivered = 100, 0, 0, 0
    for number, (quantity, route) in enumerate(plans, start=1):
        if quantity > producer:
            payload = cast.dispatch_payload(sscc(number), quantity, to=cast.merchant)
            cast.log.refuse(errors.InsufficientQuantity, payload, cast.producer.key)
            continue
        take_journey(cast, sscc(number), quantity, route)
        effect = EFFECTS[route]
        producer, merchant = producer + effect[0] * quantity, merchant + effect[1] * quantity
        in_transit, delivered = in_transit + effect[2] * quantity, delivered + effect[3] * quantity
    row = batch(cast)
    held = {cast.producer.id: producer, cast.merchant.id: merchant}
    assert row["holdings"] == {actor: units for actor, units in held.items() if units}
    assert (row["in_transit"], row["delivered"]) == (in_transit, delivered)
