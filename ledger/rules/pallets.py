"""Rules for pallets (aggregation): dispatched parcels (cases) loaded onto a new parcel (a pallet) by their
custodian travel as one: one handoff of the pallet moves every case aboard, and a case aboard cannot be handed
off, signed for or loaded again on its own. The pallet is split when it reaches a case's destination (that case
arrives, its goods credited) or when its custodian disaggregates it; each case then continues alone.

A pallet carries no goods of its own (its cases do), so conservation holds through every step as it does for the
cases. The pallet's events are the custody heads of all its cases at once, so a case spends a head under its own
key (``custody.spend_key``).
"""

from __future__ import annotations

from ledger.errors import (
    AlreadySigned,
    NotAPallet,
    NotAuthorized,
    ParcelExists,
    ParcelOnPallet,
    WrongCustodian,
    WrongParents,
)
from ledger.events.schemas import Aggregation, Disaggregation, Dispatch
from ledger.rules import custody
from ledger.rules.context import Context
from ledger.rules.views import PARCELS, SPENDS, ParcelRow, SpendRow

#: The statuses of a parcel still under way, which may go onto a pallet (a refused one goes back to its sender).
MOVING = ("in_transit", "refused")


def shipment(ctx: Context) -> None:
    """Route a shipment event: aggregation and disaggregation here, a pallet's handoff here, the rest to custody
    (refusing a handoff of a case while it is aboard a pallet)."""
    data = ctx.event.data
    if isinstance(data, Aggregation):
        aggregate(ctx, data)
    elif isinstance(data, Disaggregation):
        disaggregate(ctx)
    elif isinstance(data, Dispatch):
        custody.dispatch(ctx)
    else:
        parcel = custody.parcel_row(ctx)
        if "cases" in parcel:
            pallet_handoff(ctx, parcel)
        else:
            check_loose(ctx.subject, parcel)
            custody.handoff(ctx)


def signature(ctx: Context) -> None:
    """A consignee signs for a case only once it is off its pallet."""
    check_loose(ctx.subject, custody.parcel_row(ctx))
    custody.signature(ctx)


def check_loose(path: str, parcel: ParcelRow) -> None:
    if parcel.get("aboard"):
        raise ParcelOnPallet(
            f"parcel {path} is on pallet {parcel.get('pallet')}: it moves with the pallet until the pallet is split"
        )


def aggregate(ctx: Context, data: Aggregation) -> None:
    """The custodian of every case loads them onto a new pallet, spending each case's custody head (its parents)."""
    loader = ctx.registered_signer()
    ctx.only_signed_by_actor()
    ctx.not_black_listed(loader)
    if ctx.state.get(PARCELS, ctx.subject) is not None:
        raise ParcelExists(f"parcel {ctx.subject} was already dispatched")
    cases = {path: custody.parcel_row(ctx, path) for path in data.parcels}
    for path, case in cases.items():
        if "cases" in case:
            raise ParcelOnPallet(f"parcel {path} is a pallet; a pallet does not travel on another pallet")
        check_loose(path, case)
        if case["status"] not in MOVING:
            raise AlreadySigned(f"parcel {path} was already delivered")
        if case["custodian"] != loader["id"]:
            raise WrongCustodian(f"parcel {path} is held by {case['custodian']}, not {loader['id']}")
    if set(ctx.parents()) != {case["head"] for case in cases.values()}:  # cases split off one pallet share one
        raise WrongParents("the parents must be the custody heads of the parcels loaded")
    spend: SpendRow = {"by": ctx.event_id}
    for path, case in cases.items():
        ctx.state.put(SPENDS, custody.spend_key(path, case, case["head"]), spend)
        loaded: ParcelRow = {**case, "head": ctx.event_id, "pallet": ctx.subject, "aboard": True}
        ctx.state.put(PARCELS, path, loaded)
    pallet: ParcelRow = {
        "sender": loader["id"], "to": None, "consignee": None, "contents": [], "head": ctx.event_id,
        "custodian": loader["id"], "status": "in_transit", "items": [], "dispatch": ctx.event_id, "handoffs": [],
        "signature": None, "cases": list(data.parcels),
    }  # fmt: skip
    ctx.state.put(PARCELS, ctx.subject, pallet)


def _aboard(ctx: Context, pallet: ParcelRow) -> dict[str, ParcelRow]:
    """The cases on ``pallet`` now."""
    cases = {path: custody.parcel_row(ctx, path) for path in pallet.get("cases", [])}
    return {path: case for path, case in cases.items() if case.get("aboard") and case.get("pallet") == ctx.subject}


def _arrival(case: ParcelRow, receiver: str) -> str | None:
    """What a case becomes when ``receiver`` takes it: delivered at its destination, returned to its sender after
    a refusal, or None while it is still on its way."""
    if case["status"] == "in_transit" and receiver == case["to"]:
        return "delivered"
    if case["status"] == "refused" and receiver == case["sender"]:
        return "returned"
    return None


def pallet_handoff(ctx: Context, pallet: ParcelRow) -> None:
    """A courier takes the pallet, and so every case aboard; at a case's destination that case arrives (credited to
    its destination, as a handoff of it alone would) and leaves the pallet. A pallet with no case left is done."""
    receiver = custody.take_over(ctx, pallet)
    if pallet["status"] != "in_transit":
        raise AlreadySigned(f"pallet {ctx.subject} was already split")
    aboard = _aboard(ctx, pallet)
    arrivals = {path: _arrival(case, receiver["id"]) for path, case in aboard.items()}
    if not any(arrivals.values()) and "courier" not in receiver["roles"]:
        raise NotAuthorized(f"actor {receiver['id']} is neither a courier nor the destination of a parcel on it")
    for path, case in aboard.items():
        arrived = arrivals[path]
        if arrived is not None:
            custody.move_goods(ctx, case, give_to=receiver["id"], in_transit=-1)
        moved: ParcelRow = {
            **case, "head": ctx.event_id, "custodian": receiver["id"], "status": arrived or case["status"],
            "handoffs": [*case["handoffs"], ctx.event_id], "aboard": arrived is None,
        }  # fmt: skip
        ctx.state.put(PARCELS, path, moved)
    left = any(arrived is None for arrived in arrivals.values())
    handed: ParcelRow = {
        **pallet, "head": ctx.event_id, "custodian": receiver["id"], "status": "in_transit" if left else "delivered",
        "handoffs": [*pallet["handoffs"], ctx.event_id],
    }  # fmt: skip
    ctx.state.put(PARCELS, ctx.subject, handed)


def disaggregate(ctx: Context) -> None:
    """The pallet's custodian splits it: every case aboard continues alone from here (this event its head)."""
    pallet = custody.parcel_row(ctx)
    if "cases" not in pallet:
        raise NotAPallet(f"parcel {ctx.subject} was not made by an aggregation")
    custody.spend_head(ctx, pallet)
    splitter = ctx.registered_signer()
    ctx.only_signed_by_actor()
    if splitter["id"] != pallet["custodian"]:
        raise WrongCustodian(f"pallet {ctx.subject} is held by {pallet['custodian']}, not {splitter['id']}")
    if pallet["status"] != "in_transit":
        raise AlreadySigned(f"pallet {ctx.subject} was already split")
    for path, case in _aboard(ctx, pallet).items():
        off: ParcelRow = {**case, "head": ctx.event_id, "aboard": False}
        ctx.state.put(PARCELS, path, off)
    split: ParcelRow = {**pallet, "head": ctx.event_id, "status": "split"}
    ctx.state.put(PARCELS, ctx.subject, split)
