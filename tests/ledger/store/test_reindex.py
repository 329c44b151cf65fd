"""Reindex rebuilds every derived view from the log alone, and the conservation check catches corrupt batch rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, update

from ledger.errors import ConservationError
from ledger.events.builders import (
    Content,
    commitment_payload,
    complaint_payload,
    dispatch_payload,
    inspection_payload,
    key_update_payload,
    listing_payload,
    production_payload,
    rating_payload,
    recall_payload,
    registration_payload,
    resolution_payload,
    return_request_payload,
    review_payload,
    sanction_payload,
)
from ledger.identifiers import batch_subject, item_subject
from ledger.rules import check_conservation
from ledger.store.tables import VIEWS
from signer.keys import SigningKey
from tests.ledger.conftest import create_ledger
from tests.scenarios.world import Party, World, gtin, sscc

ViewRows = dict[tuple[str, str], str]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    fixture = create_ledger(tmp_path / "home")
    yield World(fixture)
    fixture.ledger.close()


def build_varied_ledger(world: World) -> dict[str, str]:
    """A ledger with every event kind; returns the names of a few of its subjects."""
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    processor = world.register("昆明云腿食品加工厂", "producer", licences=("food_production",), prefixes=("690456",))
    merchant = world.register("曲靖云品优选电子商务有限公司", "merchant", licences=("food_business",))
    couriers = [world.register(f"曲靖速达快递 {i}", "courier") for i in range(2)]
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    lab = world.register("云南省食品检验所", "lab")

    # A registration update and a key rotation: the merchant adds a key, the registrar revokes the old one.
    registration = str(world.ledger.view("actors", lab.id)["registration"])  # type: ignore[index]
    world.append(
        registration_payload(
            world.registrar, lab.id, "云南省食品检验研究院", ["lab", "witness"], [lab.key.public_key],
            parents=[registration],
        ),
        world.registrar,
    )  # fmt: skip
    new_key = SigningKey.generate()
    key_event = str(world.ledger.view("actors", merchant.id)["key_event"])  # type: ignore[index]
    key_event = world.append(
        key_update_payload(merchant.key, merchant.id, key_event, add=[(new_key.public_key, None)]), merchant.key
    ).event_id
    world.append(
        key_update_payload(world.registrar, merchant.id, key_event, revoke=[merchant.key.kid]), world.registrar
    )
    merchant = Party(merchant.id, merchant.name, new_key)  # from now on the merchant signs with its new key

    # Production, a processed batch with an input, an inspection and a listing.
    ham = batch_subject(gtin("690123", 1), "XW2026-11").path
    ham_production = world.produce(producer, gtin("690123", 1), "XW2026-11", 100, expiry="2099-12-31")
    canned = batch_subject(gtin("690456", 1), "CAN-1").path
    world.append(
        production_payload(
            processor.key, gtin("690456", 1), "CAN-1", product="火腿罐头", category="food", quantity=40, unit="罐",
            place="昆明市", inputs=[ham_production],
        ),
        processor.key,
    )  # fmt: skip
    world.append(inspection_payload(lab.key, ham, ham_production, result="pass", standard="GB 2730-2015"), lab.key)
    world.append(listing_payload(new_key, ham, ham_production, price=25800), new_key)

    # To an actor: dispatch, two handoffs, arrival; then the merchant sells on to a consumer, by serial.
    world.dispatch(producer, sscc(1), [(ham, 20)], to=merchant)
    world.handoff(couriers[0], sscc(1))
    world.append(world.handoff_payload(couriers[1], sscc(1)), couriers[1].key, couriers[0].key)
    world.handoff(merchant, sscc(1), "曲靖云品仓库")
    consumer = SigningKey.generate()
    promise = commitment_payload(new_key, merchant.id, valid_until="2099-12-31T00:00:00Z", returns_7d=True)
    world.append(promise, new_key)  # issue 11: the merchant promises 7-day returns before it sells
    world.append(
        dispatch_payload(
            new_key, sscc(2), [Content(ham, 2, ("0001", "0002"))], [ham_production], location="曲靖市",
            consignee_key=consumer.public_key,
        ),
        new_key,
    )  # fmt: skip
    world.handoff(couriers[0], sscc(2))
    receipt = world.sign_for(consumer, sscc(2))
    item = item_subject(gtin("690123", 1), "XW2026-11", "0001").path
    first = world.append(review_payload(consumer, item, receipt, rating=2), consumer).event_id
    world.append(review_payload(consumer, item, first, rating=1), consumer)
    # Mutual ratings (issue 11): the consumer rates the courier (with a follow-up) and the shop rates the buyer.
    rated = world.append(rating_payload(consumer, couriers[0].subject, receipt, rating=3), consumer).event_id
    world.append(rating_payload(consumer, couriers[0].subject, rated, rating=4), consumer)
    world.append(rating_payload(new_key, sscc(2), receipt, rating=5), new_key)
    # ... and a 7-day return: the consumer hands the goods to a courier (who co-signs), the merchant takes them back.
    back = return_request_payload(consumer, sscc(4), receipt, courier=couriers[0].id, location="曲靖市")
    world.append(back, consumer, couriers[0].key)
    world.handoff(merchant, sscc(4), "曲靖云品仓库")

    # A refused parcel that goes back to its sender.
    refuser = SigningKey.generate()
    world.dispatch(processor, sscc(3), [(canned, 5)], consignee=refuser)
    world.handoff(couriers[1], sscc(3))
    world.sign_for(refuser, sscc(3), "refused")
    world.handoff(processor, sscc(3), "昆明仓库")

    # Complaints: a consumer's, resolved by the merchant; a regulator's 12315 complaint, left open.
    complaint = world.append(
        complaint_payload(consumer, merchant.subject, category="quality", parents=[receipt]), consumer
    ).event_id
    world.append(
        resolution_payload(
            new_key, merchant.subject, complaint, outcome="compensated", reason="mediation_agreement", compensation=500
        ),
        new_key,
    )
    world.append(complaint_payload(regulator.key, ham, category="quality", channel="12315"), regulator.key)

    # A recall, a black-list sanction and its lifting, a red-list sanction.
    world.append(recall_payload(producer.key, ham, ham_production, reason="safety", level=2), producer.key)
    black = world.append(
        sanction_payload(regulator.key, couriers[1].id, list_="black", reason="伪造签收"), regulator.key
    ).event_id
    world.append(
        sanction_payload(regulator.key, couriers[1].id, list_="black", reason="整改完成", lifts=black), regulator.key
    )
    world.append(sanction_payload(regulator.key, merchant.id, list_="red", reason="诚信经营"), regulator.key)
    return {"ham": ham, "canned": canned, "item": item, "merchant": merchant.id, "courier": couriers[0].id}


def batch_rows(views: ViewRows) -> dict[str, dict[str, Any]]:
    return {key: json.loads(value) for (view, key), value in views.items() if view == "batches"}


def test_reindex_rebuilds_exactly_the_views_appends_made(world: World) -> None:
    names = build_varied_ledger(world)
    before = world.ledger.views()
    present = {view for view, _ in before}
    # Every view but ``events``, whose rows the entries table holds.
    assert present == {
        "public_keys", "keys", "actors", "gs1_prefixes", "sanctions", "batches", "items", "parcels",
        "spends", "receipts", "reviews", "complaints", "log", "credit", "ratings", "rated", "rating_totals",
        "commitments", "actor_commitments", "committed_parcels", "returns", "returned",
    }  # fmt: skip
    assert len(before) > 50
    assert json.loads(before[("batches", names["ham"])])["recall"] is not None

    assert world.ledger.reindex() == world.ledger.size()
    assert world.ledger.views() == before


def test_reindex_repairs_a_corrupted_view(world: World) -> None:
    names = build_varied_ledger(world)
    before = world.ledger.views()
    with world.ledger.engine.begin() as conn:
        conn.execute(
            update(VIEWS)
            .where(VIEWS.c.view == "batches", VIEWS.c.key == names["ham"])
            .values(value=json.dumps({**json.loads(before[("batches", names["ham"])]), "quantity": 1_000_000}))
        )
        conn.execute(delete(VIEWS).where(VIEWS.c.view == "actors", VIEWS.c.key == names["merchant"]))
        conn.execute(insert(VIEWS).values(view="items", key=names["item"] + "0", value="{}"))
    corrupted = world.ledger.views()
    assert corrupted != before
    with pytest.raises(ConservationError):
        check_conservation(names["ham"], json.loads(corrupted[("batches", names["ham"])]))

    world.ledger.reindex()
    assert world.ledger.views() == before


def test_every_batch_of_the_ledger_is_conserved(world: World) -> None:
    names = build_varied_ledger(world)
    batches = batch_rows(world.ledger.views())
    assert set(batches) == {names["ham"], names["canned"]}
    for path, row in batches.items():
        check_conservation(path, row)
    ham = batches[names["ham"]]
    assert (ham["quantity"], ham["in_transit"], ham["delivered"]) == (100, 0, 0)  # the consumer's 2 were returned


@pytest.mark.parametrize(
    "field",
    ["quantity", "in_transit", "delivered", "holdings"],
)
def test_a_batch_whose_numbers_do_not_add_up_is_corrupt(world: World, field: str) -> None:
    names = build_varied_ledger(world)
    row = batch_rows(world.ledger.views())[names["ham"]]
    if field == "holdings":
        holder = next(iter(row["holdings"]))
        row["holdings"] = {**row["holdings"], holder: row["holdings"][holder] - 1}
    else:
        row[field] += 1
    with pytest.raises(ConservationError, match=names["ham"]):
        check_conservation(names["ham"], row)
