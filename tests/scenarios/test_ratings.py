"""Mutual ratings through the public API (issue 11): consignees rate the courier that carried their parcels and
the sender, each once with one follow-up; the shop rates its buyers' keys; the averages are views (the ``world``
fixture reindexes each story and requires the same views back)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from ledger.events.builders import rating_payload
from signer.keys import SigningKey
from tests.api.conftest import problem, signed
from tests.scenarios.world import Party, World, gtin, sscc
from tests.verify_portal.conftest import page_text, portal_app

BATCH = "01/" + gtin("690123", 1) + "/10/L1"


@pytest.fixture
def client(world: World) -> Iterator[TestClient[Litestar]]:
    """The API with the portal's pages (the actor page among them), without rate limits."""
    with TestClient(portal_app(world.fixture)) as client:
        yield client


def _deliveries(world: World, count: int) -> tuple[Party, Party, list[tuple[SigningKey, str, str]]]:
    """A shop's parcels to ``count`` consumers, each carried by one courier and signed for: (key, parcel, receipt)."""
    producer = world.register("宣威火腿厂", "producer", licences=("food_production",), prefixes=("690123",))
    courier = world.register("曲靖速达快递", "courier")
    world.produce(producer, gtin("690123", 1), "L1", 100)
    sold = []
    for n in range(1, count + 1):
        consumer = SigningKey.generate()
        world.dispatch(producer, sscc(n), [(BATCH, 1)], consignee=consumer)
        world.handoff(courier, sscc(n))
        sold.append((consumer, sscc(n), world.sign_for(consumer, sscc(n))))
    return producer, courier, sold


def _rate(client: TestClient[Litestar], key: SigningKey, subject: str, parent: str, rating: int) -> str:
    response = client.post("/v1/events", json=signed(rating_payload(key, subject, parent, rating=rating), key))
    assert response.status_code == 201, response.text
    return str(response.json()["entries"][0]["event_id"])


def test_a_courier_rated_by_three_consignees_shows_the_average(world: World, client: TestClient[Litestar]) -> None:
    producer, courier, sold = _deliveries(world, 3)
    for (consumer, _, receipt), rating in zip(sold, (5, 4, 2), strict=True):
        _rate(client, consumer, courier.subject, receipt, rating)
    _rate(client, sold[0][0], producer.subject, sold[0][2], 3)
    answer = client.get(f"/v1/ratings/{courier.id}").json()
    assert answer == {"party": courier.id, "received": {"courier": {"count": 3, "sum": 11, "average": "3.7"}}}
    assert client.get(f"/v1/ratings/{producer.id}").json()["received"] == {
        "sender": {"count": 1, "sum": 3, "average": "3.0"}
    }
    zh, en = (page_text(client.get(f"/actor/{courier.id}{query}").text) for query in ("", "?lang=en"))
    assert "作为快递收到的评价" in zh
    assert "平均 3.7 星，共 3 条" in zh
    assert "Ratings as a courier" in en
    assert "3.7 stars on average, 3 ratings" in en
    assert client.get(f"/v1/ratings/{world.register('无人评价', 'courier').id}").json()["received"] == {}
    problem(client.get("/v1/ratings/nobody"), 400, "invalid-identifier")


def test_rating_twice_is_a_conflict_and_one_follow_up_is_allowed(world: World, client: TestClient[Litestar]) -> None:
    producer, courier, sold = _deliveries(world, 1)
    consumer, parcel, receipt = sold[0]
    first = _rate(client, consumer, courier.subject, receipt, 1)
    before = world.fixture.table_snapshot()
    again = signed(rating_payload(consumer, courier.subject, receipt, rating=5), consumer)
    body = problem(client.post("/v1/events", json=again), 409, "rating-exists")
    assert first in body["detail"]
    assert world.fixture.table_snapshot() == before
    follow_up = _rate(client, consumer, courier.subject, first, 4)
    for parent in (first, follow_up):
        more = signed(rating_payload(consumer, courier.subject, parent, rating=5), consumer)
        problem(client.post("/v1/events", json=more), 409, "rating-exists")
    assert client.get(f"/v1/ratings/{courier.id}").json()["received"]["courier"] == {
        "count": 2, "sum": 5, "average": "2.5",
    }  # fmt: skip
    shop_rates = _rate(client, producer.key, parcel, receipt, 5)
    assert shop_rates
    assert client.get(f"/v1/ratings/{consumer.kid}").json()["received"] == {
        "buyer": {"count": 1, "sum": 5, "average": "5.0"}
    }
    stranger = world.register("别的快递", "courier")
    refused = signed(rating_payload(consumer, stranger.subject, receipt, rating=1), consumer)
    problem(client.post("/v1/events", json=refused), 422, "not-a-party")
    assert client.get("/problems/not-a-party").status_code == 200
    assert client.get("/problems/rating-exists").status_code == 200
