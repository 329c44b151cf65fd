"""Trace (issue 12): where a lot went, who holds it, which consumers got it, and what it was made from."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from ledger.errors import ConservationError, InvalidIdentifier, NotFound
from ledger.events.builders import Content, dispatch_payload, production_payload
from ledger.identifiers import batch_subject, item_subject
from ledger.trace import Step, Trace, recall_scope, trace
from signer.keys import SigningKey
from tests.scenarios.world import Party, World, gtin, sscc

PORK_GTIN, HAM_GTIN = gtin("690456", 1), gtin("690123", 1)
PORK, HAM = batch_subject(PORK_GTIN, "P1").path, batch_subject(HAM_GTIN, "H1").path
ITEM = item_subject(HAM_GTIN, "H1", "0001").path


@dataclass
class Chain:
    farm: Party
    ham_maker: Party
    shop: Party
    courier: Party
    buyer: SigningKey  # signs for parcel 3, which holds item 0001
    waiting: SigningKey  # parcel 4 is still with the courier
    refuser: SigningKey  # refuses parcel 5, which goes back to the shop


def build_chain(world: World) -> Chain:
    """Pork (100) → 40 to the ham maker, who makes ham (50) from it → 20 to a shop → three consumers, one each:
    one signs (parcel 3, item 0001), one is still waiting (parcel 4), one refuses and the parcel returns (5)."""
    farm = world.register("宣威生猪养殖场", "producer", prefixes=("690456",))
    ham_maker = world.register("宣威火腿厂", "producer", licences=("food_production",), prefixes=("690123",))
    shop = world.register("商店", "merchant", licences=("food_business",))
    courier = world.register("快递", "courier")
    pork = world.produce(farm, PORK_GTIN, "P1", 100, category="agricultural_product", product="生猪")
    world.dispatch(farm, sscc(1), [(PORK, 40)], to=ham_maker)
    world.handoff(courier, sscc(1))
    world.handoff(ham_maker, sscc(1))
    ham = production_payload(ham_maker.key, HAM_GTIN, "H1", product="宣威火腿", category="food", quantity=50,
                             unit="件", place="宣威", inputs=[pork])  # fmt: skip
    world.append(ham, ham_maker.key)
    world.dispatch(ham_maker, sscc(2), [(HAM, 20)], to=shop)
    world.handoff(courier, sscc(2))
    world.handoff(shop, sscc(2))
    chain = Chain(farm, ham_maker, shop, courier, SigningKey.generate(), SigningKey.generate(), SigningKey.generate())
    production = str(world.batch(HAM)["production"])
    with_item = dispatch_payload(shop.key, sscc(3), [Content(HAM, 1, ("0001",))], [production], location="曲靖",
                                 consignee_key=chain.buyer.public_key)  # fmt: skip
    world.append(with_item, shop.key)
    world.handoff(courier, sscc(3))
    world.sign_for(chain.buyer, sscc(3))
    world.dispatch(shop, sscc(4), [(HAM, 1)], consignee=chain.waiting)
    world.handoff(courier, sscc(4))
    world.dispatch(shop, sscc(5), [(HAM, 1)], consignee=chain.refuser)
    world.handoff(courier, sscc(5))
    world.sign_for(chain.refuser, sscc(5), condition="refused")
    world.handoff(shop, sscc(5))
    return chain


def _moves(found: Trace, batch: str | None = None) -> list[tuple[str, str | None, str | None, str | None]]:
    """(relation, parcel, from, to) of each step, of one batch's goods when ``batch`` is given."""
    return [(s.relation, s.parcel, s.from_actor, s.to_actor) for s in found.steps if batch in (None, s.batch)]


def _proved(world: World, steps: list[Step]) -> None:
    """Each step names the entry that proves it: its event id, leaf index and leaf hash agree with the log's."""
    for step in steps:
        entry = world.ledger.entry(step.leaf_index)
        assert (entry.event_id, entry.leaf_hash, entry.logged_at) == (step.event_id, step.leaf_hash, step.logged_at)


def test_a_forward_trace_follows_every_parcel_holder_and_consumer_and_what_was_made_from_it(world: World) -> None:
    c = build_chain(world)
    found = trace(world.ledger, PORK)
    assert (found.subject, found.subject_kind, found.direction) == (PORK, "batch", "forward")
    assert [(b.path, b.depth) for b in found.batches] == [(PORK, 0), (HAM, 1)]
    pork, ham = found.batches
    assert (pork.held, pork.received) == ({c.farm.id: 60, c.ham_maker.id: 40}, {c.ham_maker.id: 40})
    assert ham.received == {c.shop.id: 21}  # 20 delivered, and the refused one back
    assert ham.held == {c.ham_maker.id: 30, c.shop.id: 18}
    assert _moves(found, PORK) == [
        ("dispatched", sscc(1), c.farm.id, c.ham_maker.id),
        ("handed_over", sscc(1), c.farm.id, c.courier.id),
        ("received", sscc(1), c.courier.id, c.ham_maker.id),
    ]
    ham_steps = [s for s in found.steps if s.batch == HAM]
    assert ham_steps[0].relation == "derived"
    assert (ham_steps[0].depth, ham_steps[0].event_id) == (1, world.batch(HAM)["production"])
    assert _moves(found, HAM)[1:4] == [
        ("dispatched", sscc(2), c.ham_maker.id, c.shop.id),
        ("handed_over", sscc(2), c.ham_maker.id, c.courier.id),
        ("received", sscc(2), c.courier.id, c.shop.id),
    ]
    receipts = [s for s in found.steps if s.relation.startswith("consumer")]
    assert [(s.relation, s.parcel, s.consignee, s.quantity) for s in receipts] == [
        ("consumer_receipt", sscc(3), c.buyer.kid, 1),
        ("consumer_refused", sscc(5), c.refuser.kid, 1),
    ]  # by key id only
    assert _moves(found, HAM)[-1] == ("returned", sscc(5), c.courier.id, c.shop.id)
    assert [p.path for p in found.parcels] == [sscc(n) for n in range(1, 6)]
    assert [p.status for p in found.parcels] == ["delivered", "delivered", "signed", "in_transit", "returned"]
    _proved(world, found.steps)

    shallow = trace(world.ledger, PORK, depth=0)
    assert [b.path for b in shallow.batches] == [PORK]
    assert {s.batch for s in shallow.steps} == {PORK}


def test_a_backward_trace_names_the_inputs_and_the_parcels_that_brought_them(world: World) -> None:
    c = build_chain(world)
    found = trace(world.ledger, HAM, "backward")
    assert [(b.path, b.depth) for b in found.batches] == [(HAM, 0), (PORK, 1)]
    assert _moves(found, HAM) == [
        ("dispatched", sscc(2), c.ham_maker.id, c.shop.id),
        ("handed_over", sscc(2), c.ham_maker.id, c.courier.id),
        ("received", sscc(2), c.courier.id, c.shop.id),
        ("dispatched", sscc(5), c.shop.id, None),
        ("handed_over", sscc(5), c.shop.id, c.courier.id),
        ("consumer_refused", sscc(5), c.courier.id, None),
        ("returned", sscc(5), c.courier.id, c.shop.id),
    ]  # parcels that reached an actor; not those to consumers or still on the way
    link = next(s for s in found.steps if s.relation == "input")
    assert (link.batch, link.depth, link.from_actor, link.to_actor) == (PORK, 1, c.farm.id, c.ham_maker.id)
    assert link.event_id == world.batch(HAM)["production"]  # the production that names its input proves the link
    assert [m[1] for m in _moves(found, PORK) if m[0] != "input"] == [sscc(1)] * 3
    _proved(world, found.steps)
    assert [b.path for b in trace(world.ledger, HAM, "backward", depth=0).batches] == [HAM]


def test_an_item_is_traced_through_the_parcels_that_carried_that_serial(world: World) -> None:
    c = build_chain(world)
    forward = trace(world.ledger, ITEM)
    assert (forward.subject_kind, [b.path for b in forward.batches]) == ("item", [HAM])
    assert [(s.relation, s.parcel, s.quantity) for s in forward.steps] == [
        ("dispatched", sscc(3), 1), ("handed_over", sscc(3), 1), ("consumer_receipt", sscc(3), 1),
    ]  # fmt: skip
    assert forward.steps[-1].consignee == c.buyer.kid
    backward = trace(world.ledger, ITEM, "backward")
    assert [b.path for b in backward.batches] == [HAM, PORK]
    assert {s.parcel for s in backward.steps if s.batch == PORK} == {None, sscc(1)}


def test_a_parcel_is_traced_through_its_custody_and_back_to_its_inputs(world: World) -> None:
    c = build_chain(world)
    forward = trace(world.ledger, sscc(4))
    assert _moves(forward) == [
        ("dispatched", sscc(4), c.shop.id, None),
        ("handed_over", sscc(4), c.shop.id, c.courier.id),
    ]
    assert forward.steps[0].consignee == c.waiting.kid
    backward = trace(world.ledger, sscc(2), "backward")
    assert [b.path for b in backward.batches] == [HAM, PORK]
    assert [s.relation for s in backward.steps][:3] == ["dispatched", "handed_over", "received"]


def test_the_recall_scope_accounts_for_every_unit_of_the_batch(world: World) -> None:
    c = build_chain(world)
    scope = recall_scope(trace(world.ledger, HAM))
    assert scope.holders == {c.ham_maker.id: 30, c.shop.id: 18}
    assert [(p.parcel, p.quantity, p.custodian, p.consignee) for p in scope.in_transit] == [
        (sscc(4), 1, c.courier.id, c.waiting.kid)
    ]
    assert [(d.parcel, d.quantity, d.consignee) for d in scope.consumers] == [(sscc(3), 1, c.buyer.kid)]
    assert scope.held + scope.transit + scope.delivered == scope.batch.quantity == 50
    assert scope.derived == []
    assert recall_scope(trace(world.ledger, PORK)).derived == [HAM]


def test_a_recall_scope_whose_parts_do_not_add_up_is_refused(world: World) -> None:
    build_chain(world)
    found = trace(world.ledger, HAM)
    ham = found.batches[0]
    with pytest.raises(ConservationError, match="produced 50"):
        recall_scope(replace(found, batches=[replace(ham, in_transit=ham.in_transit + 1)]))
    with pytest.raises(InvalidIdentifier, match="not the item 01/"):
        recall_scope(trace(world.ledger, ITEM))


@pytest.mark.parametrize("path", [f"01/{HAM_GTIN}/10/NOPE", sscc(9), "actor/91110000600037341L"])
def test_subjects_the_log_knows_nothing_of_are_not_found(world: World, path: str) -> None:
    with pytest.raises(NotFound):
        trace(world.ledger, path)


def test_a_malformed_subject_is_an_invalid_identifier(world: World) -> None:
    with pytest.raises(InvalidIdentifier):
        trace(world.ledger, "01/06901230000011/10/L1")  # a wrong check digit
