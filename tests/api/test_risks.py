"""``GET /v1/risks``: the regulators' queue of logged findings, filtered, and closed by a sanction naming one."""

from __future__ import annotations

from ledger.events.builders import recall_payload, sanction_payload
from ledger.identifiers import batch_subject
from ledger.store.risks import risk_queue
from tests.api.conftest import Api, listed, problem, signed
from tests.scenarios.risky import empty_parcels, scan, shop_with_stock
from tests.scenarios.world import gtin


def _queue(api: Api, query: str = "") -> list[dict[str, object]]:
    return listed(api, f"/v1/risks{query}", "risks")


def test_the_queue_lists_findings_by_status_actor_and_detector(api: Api) -> None:
    world = api.world
    shop, _, batch = shop_with_stock(world)
    monitor = world.register("平台风险监测中心", "monitor")
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    assert _queue(api) == []
    sold = empty_parcels(world, shop, batch)
    scan(world, monitor)

    queue = _queue(api)
    assert [(r["subject"], r["evidence"]) for r in queue] == [(p, sorted([d, r])) for p, d, r in sold]
    assert {(r["detector"], r["actor"], r["status"]) for r in queue} == {("no_independent_custody", shop.id, "open")}
    assert [r["index"] for r in queue] == sorted(int(str(r["index"])) for r in queue)
    assert len(_queue(api, f"?actor={shop.id}&status=open&detector=no_independent_custody")) == 3
    assert _queue(api, f"?actor={regulator.id}") == []
    assert _queue(api, "?detector=receipt_burst") == []

    first = str(queue[0]["finding"])
    sanction = sanction_payload(regulator.key, shop.id, list_="red", reason="空包裹刷单", finding=first)
    assert api.post(signed(sanction, regulator.key)).status_code == 201
    acted = _queue(api, "?status=acted")
    assert [r["finding"] for r in acted] == [first]
    assert len(acted[0]["actions"]) == 1  # type: ignore[arg-type]
    assert len(_queue(api, "?status=open")) == 2


def test_bad_filters_are_refused_with_a_problem(api: Api) -> None:
    problem(api.client.get("/v1/risks?status=closed"), 400, "invalid-request")
    problem(api.client.get("/v1/risks?detector=gut_feeling"), 400, "invalid-request")
    problem(api.client.get("/v1/risks?actor=not-a-uscc"), 400, "invalid-identifier")


def test_a_sanction_naming_an_unknown_finding_is_refused_and_nothing_stored(api: Api) -> None:
    world = api.world
    shop, _, _ = shop_with_stock(world)
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    sanction = sanction_payload(regulator.key, shop.id, list_="red", reason="刷单", finding="ab" * 32)
    with api.unchanged():
        problem(api.post(signed(sanction, regulator.key)), 422, "unknown-finding")


def test_a_sanction_or_recall_naming_a_finding_about_others_is_refused_and_nothing_stored(api: Api) -> None:
    world = api.world
    shop, _, batch = shop_with_stock(world)
    monitor = world.register("平台风险监测中心", "monitor")
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    empty_parcels(world, shop, batch, count=1)
    scan(world, monitor)
    finding = risk_queue(world.ledger)[0].finding
    courier = world.register("曲靖另一家快递", "courier")
    sanction = sanction_payload(regulator.key, courier.id, list_="red", reason="刷单", finding=finding)
    maker = world.register("昆明某食品厂", "producer", licences=("food_production",), prefixes=("690999",))
    other = world.produce(maker, gtin("690999", 1), "OTHER", 10)
    recall = recall_payload(
        regulator.key,
        batch_subject(gtin("690999", 1), "OTHER").path,
        other,
        reason="regulatory",
        level=3,
        finding=finding,
    )
    with api.unchanged():
        assert shop.id in problem(api.post(signed(sanction, regulator.key)), 422, "finding-actor-mismatch")["detail"]
        assert finding in problem(api.post(signed(recall, regulator.key)), 422, "finding-batch-mismatch")["detail"]
