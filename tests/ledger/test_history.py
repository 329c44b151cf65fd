"""What a consumer sees about a subject: an item, its batch, the parcels that carried it, and who signed."""

from __future__ import annotations

import pytest

from ledger.errors import NotFound
from ledger.events import LogEntry
from ledger.events.builders import Content, dispatch_payload, inspection_payload, review_payload, sanction_payload
from ledger.history import subject_history
from ledger.identifiers import batch_subject, item_subject
from signer.keys import SigningKey
from tests.scenarios.world import World, gtin, sscc


def test_an_item_shows_its_batch_and_every_parcel_that_carried_it(world: World) -> None:
    producer = world.register("宣威火腿厂", "producer", licences=("food_production",), prefixes=("690123",))
    shop = world.register("商店", "merchant", licences=("food_business",))
    courier = world.register("快递", "courier")
    regulator = world.register("市场监管局", "regulator")
    batch = batch_subject(gtin("690123", 1), "L1").path
    item = item_subject(gtin("690123", 1), "L1", "0001").path
    production = world.produce(producer, gtin("690123", 1), "L1", 10)
    world.append(inspection_payload(regulator.key, batch, production, result="pass", standard="GB"), regulator.key)
    to_shop = dispatch_payload(producer.key, sscc(1), [Content(batch, 2, ("0001", "0002"))], [production],
                               location="宣威", to=shop.id)  # fmt: skip
    world.append(to_shop, producer.key)
    world.handoff(courier, sscc(1))
    world.handoff(shop, sscc(1))
    consumer = SigningKey.generate()
    to_consumer = dispatch_payload(shop.key, sscc(2), [Content(batch, 1, ("0001",))], [production],
                                   location="曲靖", consignee_key=consumer.public_key)  # fmt: skip
    world.append(to_consumer, shop.key)
    world.handoff(courier, sscc(2))
    world.sign_for(consumer, sscc(2))
    world.dispatch(shop, sscc(3), [(batch, 1)], consignee=SigningKey.generate())  # carries 0002's sibling lot only

    history = subject_history(world.ledger, item)
    assert history.parcels == [sscc(1), sscc(2)]
    subjects = [e.subject for e in history.entries]
    assert subjects == [batch, batch] + [sscc(1)] * 3 + [sscc(2)] * 3
    assert [e.leaf_index for e in history.entries] == sorted(e.leaf_index for e in history.entries)
    signer_registrations = {LogEntry.parse(e.data).event.payload.subject for e in history.registrations}
    # every signer's registration, and the chain behind them: the registrar's registration, made by genesis
    assert signer_registrations == {f"actor/{a.id}" for a in (producer, shop, courier, regulator)} | {"log"}
    assert subject_history(world.ledger, batch).parcels == [sscc(1), sscc(2), sscc(3)]  # its shipments (issue 12)
    assert history.distribution is not None
    assert history.distribution.delivered == 1
    assert history.distribution.in_transit == 1
    assert not history.recalled


def test_a_review_in_a_batch_history_comes_with_the_dispatch_that_declared_its_key(world: World) -> None:
    producer = world.register("宣威火腿厂", "producer", licences=("food_production",), prefixes=("690123",))
    courier = world.register("快递", "courier")
    batch = batch_subject(gtin("690123", 1), "L1").path
    world.produce(producer, gtin("690123", 1), "L1", 10)
    consumer = SigningKey.generate()
    dispatch = world.dispatch(producer, sscc(1), [(batch, 1)], consignee=consumer)
    world.handoff(courier, sscc(1))
    receipt = world.sign_for(consumer, sscc(1))
    world.append(review_payload(consumer, batch, receipt, rating=4), consumer)
    history = subject_history(world.ledger, batch)
    assert [e.kind for e in history.entries] == ["production", "review"]
    vouching = {e.event_id for e in history.registrations}
    assert dispatch in vouching  # where the consumer's key was declared, so a browser can check the review
    assert receipt not in vouching


def test_a_black_listed_party_is_named_in_the_history(world: World) -> None:
    producer = world.register("宣威火腿厂", "producer", licences=("food_production",), prefixes=("690123",))
    regulator = world.register("市场监管局", "regulator")
    batch = batch_subject(gtin("690123", 1), "L1").path
    world.produce(producer, gtin("690123", 1), "L1", 10)
    world.append(sanction_payload(regulator.key, producer.id, list_="black", reason="假冒"), regulator.key)
    assert subject_history(world.ledger, batch).black_listed == [producer.id]


@pytest.mark.parametrize("path", ["01/06901230000010/10/NOPE", "00/069012300000000010", "actor/91110000600037341L"])
def test_subjects_the_log_knows_nothing_of_are_not_found(world: World, path: str) -> None:
    with pytest.raises(NotFound):
        subject_history(world.ledger, path)
