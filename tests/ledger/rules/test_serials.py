"""One code, one sale (ledger.rules.serials): a batch issues the serials its labels carry, 1 to its quantity
zero-padded as ``traceledger producer labels`` prints them, and an item a consumer signed for is not sold again
until its parcel comes back refused (issue 10, item 6)."""

from __future__ import annotations

import pytest

from ledger import errors
from ledger.events.builders import Content, complaint_payload, dispatch_payload
from ledger.identifiers import batch_subject, item_subject
from ledger.rules.serials import issued, serial_width
from qr import MAX_LABELS, serial_numbers
from signer.keys import SigningKey
from tests.ledger.rules.conftest import LOT, PLACE, PREFIX, Cast
from tests.scenarios.world import gtin, sscc

CONSUMERS = [SigningKey.from_seed(bytes([n]) * 32) for n in range(1, 4)]


def item(serial: str) -> str:
    return item_subject(gtin(PREFIX, 1), LOT, serial).path


def sell(cast: Cast, number: int, serial: str, consumer: SigningKey, condition: str = "intact") -> str:
    """The producer sends item ``serial`` to ``consumer`` in parcel ``number``, the courier carries it and the
    consumer signs for it: the signature's event id."""
    parcel = sscc(number)
    cast.log.decide(cast.dispatch_payload(parcel, consignee=consumer, serials=(serial,)), cast.producer.key)
    cast.log.decide(cast.handoff_payload(parcel, cast.courier), cast.courier.key)
    return cast.log.decide(cast.signature_payload(parcel, consumer, condition), consumer)


def labels(quantity: int) -> list[str]:
    """Every serial `traceledger producer labels` prints for a batch of ``quantity``, in runs of at most MAX_LABELS."""
    width = serial_width(quantity)
    runs = range(1, quantity + 1, MAX_LABELS)
    return [s for first in runs for s in serial_numbers(min(MAX_LABELS, quantity - first + 1), first, width)]


class TestIssuedSerials:
    @pytest.mark.parametrize("quantity", [1, 9, 100, 200, 9999, 10000, 12345])
    def test_exactly_the_serials_the_labels_print_are_issued(self, quantity: int) -> None:
        printed = labels(quantity)
        assert printed[0] == "1".zfill(max(4, len(str(quantity))))
        assert all(issued(serial, quantity) for serial in printed)
        width = len(printed[0])
        never = ["0" * width, str(quantity + 1).zfill(width), "1", "0" + printed[0], "ABC", "-001", " 001", "1e3"]
        assert not [serial for serial in never if issued(serial, quantity)]

    def test_a_batch_of_200_issues_0001_to_0200(self) -> None:
        candidates = ("0001", "0200", "0201", "9999", "200", "00200", "ABC")
        assert [serial for serial in candidates if issued(serial, 200)] == ["0001", "0200"]


class TestDispatch:
    @pytest.mark.parametrize("serial", ["0101", "9999", "0000", "1", "00001", "ABC", "SN-001"])
    def test_a_serial_outside_the_batch_is_refused(self, cast: Cast, serial: str) -> None:
        payload = cast.dispatch_payload(sscc(1), consignee=CONSUMERS[0], serials=(serial,))
        detail = cast.log.refuse(errors.SerialNotIssued, payload, cast.producer.key)
        assert f"serial {serial!r}" in detail
        assert "0001 to 0100" in detail  # the batch of 100 issued these

    def test_one_bad_serial_among_good_ones_refuses_the_dispatch(self, cast: Cast) -> None:
        payload = cast.dispatch_payload(sscc(1), 3, to=cast.merchant, serials=("0001", "0100", "0101"))
        assert "'0101'" in cast.log.refuse(errors.SerialNotIssued, payload, cast.producer.key)

    def test_the_first_and_last_serial_of_the_batch_are_accepted(self, cast: Cast) -> None:
        payload = cast.dispatch_payload(sscc(1), 2, to=cast.merchant, serials=("0001", "0100"))
        cast.log.decide(payload, cast.producer.key)
        assert cast.log.row("items", item("0100"))["parcels"] == [sscc(1)]

    def test_a_serial_of_another_batch_in_the_same_parcel_is_checked_against_its_own_batch(self, cast: Cast) -> None:
        small = cast.log.decide(cast.production_payload(2, quantity=5), cast.producer.key)
        other = batch_subject(gtin(PREFIX, 2), LOT).path
        contents = [Content(cast.batch, 1, ("0050",)), Content(other, 1, ("0050",))]
        payload = dispatch_payload(cast.producer.key, sscc(1), contents, sorted([cast.production, small]),
                                   location=PLACE, to=cast.merchant.id)  # fmt: skip
        detail = cast.log.refuse(errors.SerialNotIssued, payload, cast.producer.key)
        assert other in detail
        assert "0001 to 0005" in detail


class TestItemSubjects:
    @pytest.mark.parametrize("serial", ["0101", "ABC"])
    def test_an_event_about_an_item_never_issued_is_refused(self, cast: Cast, serial: str) -> None:
        payload = complaint_payload(cast.regulator.key, item(serial), category="counterfeit", channel="12315")
        assert f"serial {serial!r}" in cast.log.refuse(errors.SerialNotIssued, payload, cast.regulator.key)

    def test_an_event_about_an_issued_item_is_decided_by_its_rule(self, cast: Cast) -> None:
        payload = complaint_payload(cast.regulator.key, item("0042"), category="counterfeit", channel="12315")
        cast.log.decide(payload, cast.regulator.key)


class TestOneSale:
    def test_a_sale_is_recorded_on_the_item(self, cast: Cast) -> None:
        receipt = sell(cast, 1, "0007", CONSUMERS[0])
        assert cast.log.row("items", item("0007")) == {"batch": cast.batch, "parcels": [sscc(1)], "receipt": receipt}

    def test_an_item_signed_for_is_not_dispatched_again(self, cast: Cast) -> None:
        receipt = sell(cast, 1, "0007", CONSUMERS[0])
        for payload in (
            cast.dispatch_payload(sscc(2), consignee=CONSUMERS[1], serials=("0007",)),
            cast.dispatch_payload(sscc(2), to=cast.merchant, serials=("0007",)),
        ):
            detail = cast.log.refuse(errors.SerialAlreadySold, payload, cast.producer.key)
            assert item("0007") in detail
            assert receipt in detail

    def test_of_two_parcels_carrying_one_item_only_the_first_signed_for_is_a_sale(self, cast: Cast) -> None:
        for number, consumer in ((1, CONSUMERS[0]), (2, CONSUMERS[1])):
            parcel = sscc(number)
            cast.log.decide(cast.dispatch_payload(parcel, consignee=consumer, serials=("0007",)), cast.producer.key)
            cast.log.decide(cast.handoff_payload(parcel, cast.courier), cast.courier.key)
        receipt = cast.log.decide(cast.signature_payload(sscc(2), CONSUMERS[1]), CONSUMERS[1])
        detail = cast.log.refuse(errors.SerialAlreadySold, cast.signature_payload(sscc(1), CONSUMERS[0]), CONSUMERS[0])
        assert receipt in detail
        cast.log.decide(cast.signature_payload(sscc(1), CONSUMERS[0], "refused"), CONSUMERS[0])  # it may go back

    def test_after_a_refused_parcel_comes_back_its_item_is_sold_again(self, cast: Cast) -> None:
        sell(cast, 1, "0007", CONSUMERS[0], "refused")
        assert "receipt" not in cast.log.row("items", item("0007"))
        cast.log.decide(cast.handoff_payload(sscc(1), cast.producer), cast.producer.key)
        receipt = sell(cast, 2, "0007", CONSUMERS[1])
        assert cast.log.row("items", item("0007")) == {
            "batch": cast.batch, "parcels": [sscc(1), sscc(2)], "receipt": receipt,
        }  # fmt: skip
        cast.log.refuse(
            errors.SerialAlreadySold, cast.dispatch_payload(sscc(3), consignee=CONSUMERS[2], serials=("0007",)),
            cast.producer.key,
        )  # fmt: skip

    def test_a_damaged_delivery_is_a_sale_too(self, cast: Cast) -> None:
        sell(cast, 1, "0007", CONSUMERS[0], "damaged")
        payload = cast.dispatch_payload(sscc(2), consignee=CONSUMERS[1], serials=("0007",))
        cast.log.refuse(errors.SerialAlreadySold, payload, cast.producer.key)

    def test_an_item_passed_on_between_actors_is_sold_once_at_the_end(self, cast: Cast) -> None:
        cast.log.decide(cast.dispatch_payload(sscc(1), to=cast.merchant, serials=("0007",)), cast.producer.key)
        cast.log.decide(cast.handoff_payload(sscc(1), cast.courier), cast.courier.key)
        cast.log.decide(cast.handoff_payload(sscc(1), cast.merchant), cast.merchant.key)
        payload = cast.dispatch_payload(sscc(2), sender=cast.merchant, consignee=CONSUMERS[0], serials=("0007",))
        cast.log.decide(payload, cast.merchant.key)
        cast.log.decide(cast.handoff_payload(sscc(2), cast.courier), cast.courier.key)
        receipt = cast.log.decide(cast.signature_payload(sscc(2), CONSUMERS[0]), CONSUMERS[0])
        assert cast.log.row("items", item("0007"))["receipt"] == receipt
