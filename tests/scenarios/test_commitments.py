"""Commitments and 7-day no-reason returns through the public API (issue 11): a return on day 6 is accepted and on
day 8 refused, and a sender that takes a return back later than it promised has a broken commitment in its credit
file. Days pass on the log's clock (``Ledger.clock``, of the API's ledger and the world's), never by sleeping; each
event is signed at the log time it is posted at. The ``world`` fixture then reindexes and compares every view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from ledger.events import EventPayload
from ledger.events.builders import commitment_payload, handoff_payload, return_request_payload
from ledger.store.ledger import Ledger
from signer.keys import SigningKey
from tests.api.conftest import problem, signed
from tests.scenarios.world import World, gtin, sscc
from tests.verify_portal.conftest import page_text, portal_app

BATCH = "01/" + gtin("690123", 1) + "/10/L1"
START = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def client(world: World) -> Iterator[TestClient[Litestar]]:
    """The API with the portal's pages (the actor page among them), without rate limits."""
    with TestClient(portal_app(world.fixture)) as client:
        yield client


def _days_later(world: World, client: TestClient[Litestar], days: int) -> datetime:
    """Move the log's clock ``days`` on from the story's start, for the API's ledger and the world's."""
    moment = START + timedelta(days=days)
    api_ledger: Ledger = client.app.state["ledger"]
    for ledger in (api_ledger, world.ledger):
        ledger.clock = lambda: moment
    return moment


def _post(client: TestClient[Litestar], payload: EventPayload, *keys: SigningKey) -> Any:
    return client.post("/v1/events", json=signed(payload, *keys))


def test_returns_on_day_6_and_day_8_and_a_return_taken_back_late(world: World, client: TestClient[Litestar]) -> None:
    shop = world.register("宣威火腿厂", "producer", licences=("food_production",), prefixes=("690123",))
    courier = world.register("曲靖速达快递", "courier")
    world.produce(shop, gtin("690123", 1), "L1", 10)
    promise = commitment_payload(shop.key, shop.id, valid_until="2099-12-31T00:00:00Z", returns_7d=True,
                                 compensation_first=True, return_within_hours=24)  # fmt: skip
    response = _post(client, promise, shop.key)
    assert response.status_code == 201, response.text
    commitment = response.json()["entries"][0]["event_id"]
    buyers = [SigningKey.generate(), SigningKey.generate()]
    receipts = []
    for n, buyer in enumerate(buyers, start=1):
        world.dispatch(shop, sscc(n), [(BATCH, 2)], consignee=buyer)
        world.handoff(courier, sscc(n))
        receipts.append(world.sign_for(buyer, sscc(n)))
    assert world.batch(BATCH)["delivered"] == 4

    day6 = _days_later(world, client, 6)
    back = return_request_payload(buyers[0], sscc(81), receipts[0], courier=courier.id, location="五华区", time=day6)
    response = _post(client, back, buyers[0], courier.key)
    assert response.status_code == 201, response.text
    assert (world.batch(BATCH)["delivered"], world.batch(BATCH)["in_transit"]) == (2, 2)

    day8 = _days_later(world, client, 8)
    before = world.fixture.table_snapshot()
    late = return_request_payload(buyers[1], sscc(82), receipts[1], courier=courier.id, location="五华区", time=day8)
    body = problem(_post(client, late, buyers[1], courier.key), 422, "return-window-closed")
    assert sscc(2) in body["detail"]
    assert world.fixture.table_snapshot() == before
    assert client.get("/problems/return-window-closed").status_code == 200

    head = world.parcel(sscc(81))["head"]
    arrival = handoff_payload(shop.key, sscc(81), str(head), from_actor=courier.id, location="宣威仓库", time=day8)
    response = _post(client, arrival, shop.key)  # two days after the request: 24 hours were promised
    assert response.status_code == 201, response.text
    taken_back = response.json()["entries"][0]["event_id"]
    batch = world.batch(BATCH)
    assert (batch["holdings"], batch["in_transit"], batch["delivered"]) == ({shop.id: 8}, 0, 2)
    world.conserved(BATCH)

    record = client.get(f"/v1/actors/{shop.id}/record").json()
    facts = {f["commitment"]: f for f in record["sections"]["commitments"]}
    assert (facts["returns_7d"]["status"], facts["returns_7d"]["broken_by"]) == ("broken", taken_back)
    assert facts["compensation_first"]["status"] == "made"
    assert {f["event"] for f in facts.values()} == {commitment}
    reasons = {r["reason"]: r["events"] for r in record["level"]["because"]}
    assert reasons["broken_commitments"] == [commitment]
    zh, en = (page_text(client.get(f"/actor/{shop.id}{query}").text) for query in ("", "?lang=en"))
    assert "七天无理由退货 · 已违背" in zh
    assert "先行赔付 · 已承诺" in zh
    assert "7-day no-reason returns · broken" in en
    [broken] = world.ledger.view("actor_commitments", shop.id)["broken"]  # type: ignore[index]
    assert (broken["term"], broken["parcel"], broken["event"]) == ("return", sscc(81), taken_back)
