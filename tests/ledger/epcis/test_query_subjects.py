"""EPCIS queries naming parcels read only their entries (by the subject index) and find exactly what a scan of the
whole log finds: a parcel, a pallet, a case that travelled on one (left to the scan), a waybill, an item."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.epcis.export import entries_logged, epcis_events
from ledger.epcis.query import query_events
from ledger.events.builders import aggregation_payload
from ledger.identifiers import batch_subject
from signer.keys import SigningKey
from tests.scenarios.world import World, gtin, sscc

DL = "https://id.gs1.org/"
LOT = batch_subject(gtin("690123", 1), "XW2026-11").path
FIELDS = ("epcList", "childEPCs", "parentID")


def _scanned(world: World, epc: str, fields: tuple[str, ...]) -> list[str]:
    """The event ids a brute-force scan of the whole export finds naming ``epc`` in ``fields``."""
    events = epcis_events(world.ledger, entries_logged(world.ledger, None, None))
    return [e["eventID"] for e in events if any(epc == e.get(f) or epc in e.get(f, []) for f in fields)]


def _story(world: World) -> None:
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    shop = world.register("曲靖云品优选电子商务有限公司", "merchant", licences=("food_business",))
    courier = world.register("曲靖速达快递", "courier")
    world.produce(producer, gtin("690123", 1), "XW2026-11", 100)
    for n in range(1, 4):
        world.dispatch(producer, sscc(n), [(LOT, 5)], to=shop)
    world.dispatch(producer, "parcel/sf/SF1234567890", [(LOT, 1)], consignee=SigningKey.generate())
    world.handoff(courier, sscc(1))
    world.handoff(shop, sscc(1))
    heads = [(case, str(world.parcel(case)["head"])) for case in (sscc(2), sscc(3))]
    world.append(aggregation_payload(producer.key, sscc(9), heads, location="宣威市"), producer.key)
    world.handoff(courier, sscc(9))
    world.handoff(shop, sscc(9))


@pytest.mark.parametrize(
    ("parameter", "epc", "fields"),
    [
        ("MATCH_epc", DL + sscc(1), ("epcList", "childEPCs")),
        ("MATCH_anyEPC", DL + sscc(1), FIELDS),
        ("MATCH_parentID", DL + sscc(9), ("parentID",)),
        ("MATCH_anyEPC", DL + sscc(9), FIELDS),
        ("MATCH_anyEPC", DL + sscc(2), FIELDS),  # a case: its loading onto the pallet is about the pallet
        ("MATCH_anyEPC", "urn:traceledger:parcel:sf:SF1234567890", FIELDS),
        ("MATCH_anyEPC", DL + sscc(7), FIELDS),  # never dispatched: nothing
    ],
)
def test_a_query_by_parcel_finds_what_a_scan_finds(world: World, parameter: str, epc: str,
                                                     fields: tuple[str, ...]) -> None:  # fmt: skip
    _story(world)
    found: list[dict[str, Any]] = query_events(world.ledger, {parameter: [epc]}).events
    assert [e["eventID"] for e in found] == _scanned(world, epc, fields)
    assert found or epc.endswith(sscc(7)[3:])
