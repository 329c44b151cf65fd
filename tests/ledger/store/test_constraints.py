"""Database constraints hold even when the rules are bypassed: the log cannot fork or repeat itself."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from ledger.errors import ConflictError
from ledger.identifiers import batch_subject
from ledger.store.tables import ENTRIES, VIEWS
from tests.scenarios.world import World, gtin, sscc


def test_a_custody_head_can_be_spent_only_once_in_the_database(world: World) -> None:
    producer = world.register("宣威火腿厂", "producer", licences=("food_production",), prefixes=("690123",))
    merchant = world.register("商店", "merchant")
    courier = world.register("快递", "courier")
    batch = batch_subject(gtin("690123", 1), "L1").path
    world.produce(producer, gtin("690123", 1), "L1", 10)
    dispatch = world.dispatch(producer, sscc(1), [(batch, 1)], to=merchant)
    handoff = world.handoff_payload(courier, sscc(1))
    # Another writer spent the head behind the rules' back (e.g. a racing process): the insert must fail.
    with world.ledger.engine.begin() as conn:
        conn.execute(insert(VIEWS).values(view="spends", key=dispatch, value='{"by":"elsewhere"}'))
    before = world.fixture.table_snapshot()
    with pytest.raises(ConflictError):
        world.append(handoff, courier.key)
    assert world.fixture.table_snapshot() == before
    with world.ledger.engine.begin() as conn:  # restore, so the story's reindex check at teardown holds
        conn.execute(VIEWS.delete().where(VIEWS.c.view == "spends", VIEWS.c.key == dispatch))


def test_event_ids_and_indices_are_unique(world: World) -> None:
    world.register("商店", "merchant")
    entry = world.ledger.entry(0)
    with pytest.raises(IntegrityError), world.ledger.engine.begin() as conn:
        conn.execute(insert(ENTRIES).values(
            leaf_index=999, event_id=entry.event_id, leaf_hash=entry.leaf_hash, kind=entry.kind,
            subject=entry.subject, actor="00" * 16, time="t", logged_at=entry.logged_at, data=entry.data,
        ))  # fmt: skip
    with pytest.raises(IntegrityError), world.ledger.engine.begin() as conn:
        conn.execute(update(ENTRIES).where(ENTRIES.c.leaf_index == 0).values(leaf_index=1))
