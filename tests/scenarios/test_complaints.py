"""Complaints through the store: channels, reasons and resolution times, and old entries that replay without them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from ledger.audit import audit_log
from ledger.audit.database import DatabaseSource
from ledger.errors import ReasonRequired
from ledger.events.builders import complaint_payload, resolution_payload
from ledger.rules.feedback import REASON_REQUIRED_FROM
from signer.keys import SigningKey
from signer.note import NoteVerifier
from tests.ledger.conftest import ORIGIN, create_ledger
from tests.scenarios.world import Party, World, gtin, sscc

BEFORE = REASON_REQUIRED_FROM - timedelta(days=10)


class _Clock(datetime):
    """``datetime`` whose ``now`` is a set moment: the signers' and the log's clock, for entries logged long ago."""

    moment: ClassVar[datetime] = BEFORE

    @classmethod
    def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
        return cls.moment


@contextmanager
def clock_at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> Iterator[None]:
    """Events signed and logged at ``moment`` (and a second on for each one), as a ledger kept since then was."""
    _Clock.moment = moment
    with monkeypatch.context() as patched:
        patched.setattr("ledger.events.builders.datetime", _Clock)
        patched.setattr("ledger.store.ledger.datetime", _Clock)
        yield


@dataclasses.dataclass
class Shop:
    """Who a complaint story needs: the producer complained about, a regulator, and a consumer with a receipt."""

    producer: Party
    regulator: Party
    batch: str
    consumer: SigningKey
    receipt: str


def audited(world: World) -> None:
    """The whole log replays from nothing to the stored views and checkpoints."""
    vkey = world.fixture.home.settings()["log_vkey"]
    with DatabaseSource(world.fixture.home.database_url(), []) as source:
        report = audit_log(source, NoteVerifier.from_vkey(vkey), ORIGIN)
    assert report.ok, [str(finding) for finding in report.findings]


def open_shop(world: World) -> Shop:
    """A producer who ships a ham to a consumer, who signs for it; and a regulator."""
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    world.produce(producer, gtin("690123", 1), "XW-1", 10)
    batch = f"01/{gtin('690123', 1)}/10/XW-1"
    consumer = SigningKey.generate()
    parcel = sscc(1)
    world.dispatch(producer, parcel, [(batch, 1)], consignee=consumer)
    return Shop(producer, regulator, batch, consumer, world.sign_for(consumer, parcel))


@pytest.fixture
def old_world(tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A ledger begun before resolutions named their reasons."""
    with clock_at(monkeypatch, BEFORE):
        fixture = create_ledger(tmp_path / "home", database_url)
    yield World(fixture)
    fixture.ledger.close()


def test_complaints_logged_before_channels_and_reasons_replay(
    old_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock_at(monkeypatch, BEFORE):
        shop = open_shop(old_world)
        consumers = complaint_payload(shop.consumer, shop.batch, category="quality", parents=[shop.receipt])
        assert "channel" not in consumers.data
        first = old_world.append(consumers, shop.consumer).event_id
        platform = complaint_payload(shop.regulator.key, shop.batch, category="mismatch", channel="platform")
        second = old_world.append(platform, shop.regulator.key).event_id
        for complaint in (first, second):
            payload = resolution_payload(
                shop.regulator.key, shop.batch, complaint, outcome="upheld", reason="violation_found"
            )
            old_world.append(dataclasses.replace(payload, data={"outcome": "upheld"}), shop.regulator.key)
    # Today: a resolution without its reason is refused, with one.
    hotline = complaint_payload(shop.regulator.key, shop.batch, category="counterfeit", channel="12312")
    third = old_world.append(hotline, shop.regulator.key).event_id
    payload = resolution_payload(shop.regulator.key, shop.batch, third, outcome="rejected", reason="no_violation")
    with old_world.rejected(ReasonRequired) as refused:
        old_world.append(dataclasses.replace(payload, data={"outcome": "rejected"}), shop.regulator.key)
    assert "data.reason" in refused.value.detail
    old_world.append(payload, shop.regulator.key)

    rows = {c: old_world.ledger.view("complaints", c) for c in (first, second, third)}
    assert [(r["channel"], r["reason"]) for r in rows.values() if r] == [
        ("consumer", None), ("platform", None), ("12312", "no_violation"),
    ]  # fmt: skip
    audited(old_world)
    views = old_world.ledger.views()
    old_world.ledger.reindex()
    assert old_world.ledger.views() == views
