"""``GET /v1/complaints``: the complaint queue, filtered by status, actor and channel, with overdue flags judged at
a given time (the log's own filing times; nothing sleeps); a resolution without its reason is a problem."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from ledger.events import format_time, parse_time
from ledger.events.builders import complaint_payload, resolution_payload
from tests.api.conftest import Api, listed, problem, signed
from tests.scenarios.test_complaints import open_shop


def _queue(api: Api, query: str = "") -> list[dict[str, object]]:
    return listed(api, f"/v1/complaints{query}", "complaints")


def test_the_queue_filters_by_status_actor_and_channel_and_flags_the_overdue(api: Api) -> None:
    world = api.world
    shop = open_shop(world)
    other = world.register("曲靖云品优选电子商务有限公司", "merchant")
    assert _queue(api) == []
    own = complaint_payload(shop.consumer, shop.batch, category="quality", parents=[shop.receipt])
    filed = [world.append(own, shop.consumer).event_id]
    for channel, about in (("12315", shop.batch), ("12363", other.subject), ("12358", shop.producer.subject)):
        payload = complaint_payload(shop.regulator.key, about, category="price_fraud", channel=channel)
        filed.append(world.append(payload, shop.regulator.key).event_id)

    queue = _queue(api)
    assert [c["complaint"] for c in queue] == filed
    assert [c["channel"] for c in queue] == ["consumer", "12315", "12363", "12358"]
    assert [c["against"] for c in queue] == [shop.producer.id, shop.producer.id, other.id, shop.producer.id]
    assert {(c["status"], c["overdue"], c["resolution_seconds"]) for c in queue} == {("open", False, None)}
    assert [c["complaint"] for c in _queue(api, f"?actor={other.id}")] == [filed[2]]
    assert [c["complaint"] for c in _queue(api, "?channel=12315")] == [filed[1]]
    assert [c["complaint"] for c in _queue(api, f"?channel=consumer&actor={shop.producer.id}")] == [filed[0]]

    resolution = resolution_payload(
        shop.regulator.key, shop.batch, filed[1], outcome="upheld", reason="violation_found"
    )
    assert api.post(signed(resolution, shop.regulator.key)).status_code == 201
    [resolved] = _queue(api, "?status=resolved")
    assert (resolved["complaint"], resolved["outcome"], resolved["reason"]) == (filed[1], "upheld", "violation_found")
    assert isinstance(resolved["resolution_seconds"], int)
    assert resolved["resolution_seconds"] >= 0
    assert [c["complaint"] for c in _queue(api, "?status=open")] == [filed[0], filed[2], filed[3]]

    # Overdue: still open 7 days after filing, judged at a time given (the due time is filing + 7 days).
    first = queue[0]
    due = parse_time(first["filed_at"], "filed_at") + timedelta(days=7)
    assert first["due"] == format_time(due)
    early = _queue(api, f"?at={format_time(due - timedelta(seconds=1))}")
    assert not any(c["overdue"] for c in early)
    late = _queue(api, f"?at={format_time(due + timedelta(days=1))}")
    assert [c["overdue"] for c in late] == [True, False, True, True]  # the resolved one is not overdue
    response = api.client.get(f"/v1/complaints?at={format_time(due)}")
    assert response.json()["at"] == format_time(due)


def test_bad_filters_are_refused_with_a_problem(api: Api) -> None:
    problem(api.client.get("/v1/complaints?status=closed"), 400, "invalid-request")
    problem(api.client.get("/v1/complaints?channel=110"), 400, "invalid-request")
    assert (
        "not-a-uscc" in problem(api.client.get("/v1/complaints?actor=not-a-uscc"), 400, "invalid-identifier")["detail"]
    )
    assert "at" in problem(api.client.get("/v1/complaints?at=yesterday"), 400, "invalid-query")["detail"]


def test_a_resolution_without_its_reason_is_a_problem_and_nothing_is_stored(api: Api) -> None:
    shop = open_shop(api.world)
    payload = complaint_payload(shop.regulator.key, shop.batch, category="quality", channel="12315")
    complaint = api.world.append(payload, shop.regulator.key).event_id
    resolution = resolution_payload(shop.regulator.key, shop.batch, complaint, outcome="rejected", reason="other")
    bare = dataclasses.replace(resolution, data={"outcome": "rejected"})
    with api.unchanged():
        body = problem(api.post(signed(bare, shop.regulator.key)), 422, "reason-required")
    assert "data.reason" in body["detail"]
    assert [c["status"] for c in _queue(api)] == ["open"]
