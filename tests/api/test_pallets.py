"""A case on a pallet moves only with it (issue 13): over HTTP, its own handoff is a 422 ``parcel-on-pallet``
problem naming the pallet, and nothing is stored; the pallet's own handoff moves it."""

from __future__ import annotations

from ledger.events.builders import aggregation_payload
from ledger.identifiers import batch_subject
from tests.api.conftest import Api, problem, signed
from tests.scenarios.world import gtin, sscc


def test_a_handoff_of_a_case_on_a_pallet_is_a_problem(api: Api) -> None:
    world = api.world
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    shop = world.register("曲靖云品优选电子商务有限公司", "merchant", licences=("food_business",))
    courier = world.register("曲靖速达快递", "courier")
    world.produce(producer, gtin("690123", 1), "XW2026-11", 10)
    lot = batch_subject(gtin("690123", 1), "XW2026-11").path
    cases = [sscc(1), sscc(2)]
    for case in cases:
        world.dispatch(producer, case, [(lot, 5)], to=shop)
    heads = [(case, str(world.parcel(case)["head"])) for case in cases]
    loaded = api.post(signed(aggregation_payload(producer.key, sscc(3), heads, location="宣威市"), producer.key))
    assert loaded.status_code == 201, loaded.text
    with api.unchanged():
        body = problem(api.post(signed(world.handoff_payload(courier, cases[0]), courier.key)), 422, "parcel-on-pallet")
    assert sscc(3) in body["detail"]
    assert cases[0] in body["detail"]
    assert api.post(signed(world.handoff_payload(courier, sscc(3)), courier.key)).status_code == 201
    assert [world.parcel(case)["custodian"] for case in cases] == [courier.id, courier.id]
    page = api.client.get("/problems/parcel-on-pallet")
    assert page.status_code == 200
    assert "answered with HTTP status 422" in page.text
