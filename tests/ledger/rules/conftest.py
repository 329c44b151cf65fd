"""The cast of the rules tests: a food producer with a batch of 100, a merchant, a courier, a lab and a regulator,
registered on a log kept in memory, and the steps of a parcel's journey that many tests take."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from ledger.events import EventPayload
from ledger.events.builders import (
    Content,
    dispatch_payload,
    handoff_payload,
    production_payload,
    signature_payload,
)
from ledger.identifiers import batch_subject
from signer.keys import SigningKey
from tests.ledger.rules.memory import MemoryLog
from tests.scenarios.world import Party, gtin, sscc

PREFIX = "690123"
LOT = "XW2026-11"
PLACE = "曲靖市麒麟区"


@dataclass(frozen=True)
class Cast:
    log: MemoryLog
    producer: Party
    merchant: Party
    courier: Party
    lab: Party
    regulator: Party
    batch: str
    production: str

    def production_payload(
        self, item: int = 2, *, quantity: int = 10, category: str = "food", key: SigningKey | None = None,
        inputs: tuple[str, ...] = (), expiry: str | None = None, prefix: str = PREFIX,
    ) -> EventPayload:  # fmt: skip
        """A new batch (lot ``LOT``) of item ``item`` under ``prefix``, signed by the producer (or ``key``)."""
        return production_payload(
            key or self.producer.key, gtin(prefix, item), LOT, product="宣威火腿", category=category,
            quantity=quantity, unit="件", place="宣威市", expiry=expiry, inputs=inputs,
        )  # fmt: skip

    def dispatch_payload(
        self, parcel: str, quantity: int = 1, *, sender: Party | None = None, to: Party | None = None,
        consignee: SigningKey | None = None, batch: str | None = None, serials: tuple[str, ...] = (),
    ) -> EventPayload:  # fmt: skip
        """A parcel of ``quantity`` from one batch (default the cast's) to an actor or a consumer's key."""
        path = batch or self.batch
        parents = [str(self.log.row("batches", path)["production"])]
        return dispatch_payload(
            (sender or self.producer).key, parcel, [Content(path, quantity, serials)], parents, location=PLACE,
            to=None if to is None else to.id, consignee_key=None if consignee is None else consignee.public_key,
        )  # fmt: skip

    def handoff_payload(self, parcel: str, receiver: Party, *, head: str | None = None) -> EventPayload:
        """``receiver`` takes the parcel from its current custodian, spending its custody head."""
        row = self.log.row("parcels", parcel)
        return handoff_payload(
            receiver.key, parcel, head or str(row["head"]), from_actor=str(row["custodian"]), location=PLACE
        )

    def signature_payload(self, parcel: str, consumer: SigningKey, condition: str = "intact") -> EventPayload:
        return signature_payload(consumer, parcel, str(self.log.row("parcels", parcel)["head"]), condition=condition)

    def deliver(self, number: int, quantity: int = 1, condition: str = "intact") -> tuple[SigningKey, str, str]:
        """A consumer's parcel from the producer, carried by the courier and signed for: (key, parcel, receipt)."""
        consumer, parcel = SigningKey.from_seed(number.to_bytes(32, "little")), sscc(number)
        self.log.decide(self.dispatch_payload(parcel, quantity, consignee=consumer), self.producer.key)
        self.log.decide(self.handoff_payload(parcel, self.courier), self.courier.key)
        return consumer, parcel, self.log.decide(self.signature_payload(parcel, consumer, condition), consumer)


@pytest.fixture
def log() -> MemoryLog:
    return MemoryLog()


def new_cast(log: MemoryLog) -> Cast:
    """Register the cast on ``log`` and produce its batch of 100."""
    producer = log.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=(PREFIX,))
    merchant = log.register("曲靖云品优选电子商务有限公司", "merchant", licences=("food_business",))
    courier = log.register("曲靖速达快递", "courier")
    lab = log.register("云南省食品检验研究院", "lab")
    regulator = log.register("曲靖市市场监督管理局", "regulator")
    batch = batch_subject(gtin(PREFIX, 1), LOT).path
    cast = Cast(log, producer, merchant, courier, lab, regulator, batch, production="")
    return replace(cast, production=log.decide(cast.production_payload(1, quantity=100), producer.key))


@pytest.fixture
def cast(log: MemoryLog) -> Cast:
    return new_cast(log)
