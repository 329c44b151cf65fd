"""Rules for commitments (issue 11): what a producer or shop promises its buyers, the consumer's 7-day no-reason
return, and the promises it breaks.

A ``commitment`` (subject the actor's own ``actor/<USCC>``, following its current one when it has one) holds until
its ``valid_until``. A parcel is under the commitment in force when it was dispatched (``committed_parcels``). A
consignee returns goods it signed for with a ``return.request``: within 7 days (7 × 24 h, log time) of its receipt,
for a parcel dispatched under ``returns_7d``, handing them to a courier who co-signs it; it starts a return parcel
(its subject) to the sender, whose arrival handoff credits the sender again. A sender breaks its commitment when a
parcel under it is delivered (signed for, or received by its destination) after ``delivery_within_hours`` from
dispatch, or when it takes a return back (its arrival handoff) after ``return_within_hours`` from the request. Times
are log times throughout: a signer's claimed time may be up to 7 days early, which would double the window.
"""

from __future__ import annotations

from datetime import timedelta

from ledger.errors import (
    CommitmentExpired,
    NoReturnCommitment,
    NotAuthorized,
    NotConsignee,
    ParcelExists,
    ReceiptRequired,
    ReturnExists,
    ReturnWindowClosed,
    StaleUpdate,
)
from ledger.events import format_time, parse_time
from ledger.events.schemas import Commitment, Dispatch, ReturnRequest
from ledger.rules.context import Context
from ledger.rules.credit_file import commitment_broken, commitment_made, return_closed, return_opened
from ledger.rules.custody import move_goods
from ledger.rules.views import (
    ACTOR_COMMITMENTS,
    COMMITMENTS,
    COMMITTED_PARCELS,
    PARCELS,
    RECEIPTS,
    RETURNED,
    RETURNS,
    ActorCommitmentsRow,
    BrokenMark,
    CommitmentRow,
    CommittedParcelRow,
    OpenReturnFact,
    ParcelRow,
    ReturnedRow,
    ReturnRow,
)

RETURN_WINDOW = timedelta(days=7)  # 七天无理由退货: measured from the receipt's log time to the request's
DEFAULT_RETURN_HOURS = 7 * 24  # how long a sender takes to take a return back, unless its commitment says


def _later(stamp: str, hours: int) -> str:
    return format_time(parse_time(stamp, "stored time") + timedelta(hours=hours))


def _commitments_of(ctx: Context, actor_id: str) -> ActorCommitmentsRow:
    return ctx.state.get(ACTOR_COMMITMENTS, actor_id) or {"current": None, "made": [], "broken": []}


def commitment(ctx: Context) -> None:
    """A producer or merchant commits itself, replacing its current commitment (its one parent) if it has one."""
    actor = ctx.registered_signer("producer", "merchant")
    ctx.only_signed_by_actor()
    if ctx.subject != f"actor/{actor['id']}":
        raise NotAuthorized(f"actor {actor['id']} commits only itself, not {ctx.subject}")
    data = ctx.data(Commitment)
    if not parse_time(data.valid_until, "valid_until") > ctx.logged_at:
        raise CommitmentExpired(f"valid_until {data.valid_until} is not after the log time {ctx.stamp}")
    made = _commitments_of(ctx, actor["id"])
    current = made["current"]
    if list(ctx.parents()) != ([] if current is None else [current]):
        raise StaleUpdate(f"a commitment of {actor['id']} follows its current one ({current or 'none yet'})")
    if current is not None:
        replaced = ctx.state.get(COMMITMENTS, current)
        assert replaced is not None
        superseded: CommitmentRow = {**replaced, "replaced_by": ctx.event_id}
        ctx.state.put(COMMITMENTS, current, superseded)
    row: CommitmentRow = {
        "actor": actor["id"], "returns_7d": data.returns_7d, "compensation_first": data.compensation_first,
        "delivery_within_hours": data.delivery_within_hours,
        "return_within_hours": data.return_within_hours or DEFAULT_RETURN_HOURS, "valid_until": data.valid_until,
        "made_at": ctx.stamp, "replaced_by": None,
    }  # fmt: skip
    ctx.state.put(COMMITMENTS, ctx.event_id, row)
    updated: ActorCommitmentsRow = {**made, "current": ctx.event_id, "made": [*made["made"], ctx.event_id]}
    ctx.state.put(ACTOR_COMMITMENTS, actor["id"], updated)
    commitment_made(ctx, actor["id"], row, current)


def _collector(ctx: Context, courier_id: str) -> None:
    """The courier the goods are handed to co-signs the request (as a receiver signs a handoff)."""
    courier = ctx.actor_row(courier_id)
    others = [s.keyid for s in ctx.event.envelope.signatures if s.keyid != ctx.signer_kid]
    if len(others) != 1 or ctx.key_row(others[0])["actor"] != courier_id or "courier" not in courier["roles"]:
        raise NotAuthorized(f"a return request is co-signed by the courier collecting it, {courier_id}, only")
    ctx.not_black_listed(courier)


def return_request(ctx: Context) -> None:
    """The consignee sends the goods of its receipt back to their sender under the sender's returns_7d promise."""
    receipt_id = ctx.parents(1)[0]
    receipt = ctx.state.get(RECEIPTS, receipt_id)
    if receipt is None:
        raise ReceiptRequired(f"{receipt_id} is not a receipt signature")
    if receipt["consignee"] != ctx.signer_kid:
        raise NotConsignee("only the consignee who signed the receipt returns its goods")
    data = ctx.data(ReturnRequest)
    _collector(ctx, data.courier)
    if ctx.state.get(PARCELS, ctx.subject) is not None:
        raise ParcelExists(f"parcel {ctx.subject} was already dispatched")
    returned = ctx.state.get(RETURNED, receipt_id)
    if returned is not None:
        raise ReturnExists(f"the goods of receipt {receipt_id} already go back as {returned['parcel']}")
    terms = ctx.state.get(COMMITTED_PARCELS, receipt["parcel"])
    promised = ctx.state.get(COMMITMENTS, terms["commitment"]) if terms else None
    if terms is None or promised is None or not promised["returns_7d"]:
        raise NoReturnCommitment(f"{receipt['sender']} did not promise 7-day returns for {receipt['parcel']}")
    assert terms["received_at"] is not None  # the receipt's signature recorded it
    elapsed = ctx.logged_at - parse_time(terms["received_at"], "received_at")
    if elapsed > RETURN_WINDOW:
        raise ReturnWindowClosed(
            f"{receipt['parcel']} was signed for at {terms['received_at']}, {elapsed.days} days before this request"
        )
    original = ctx.state.get(PARCELS, receipt["parcel"])
    assert original is not None
    parcel: ParcelRow = {
        "sender": receipt["sender"], "to": receipt["sender"], "consignee": None, "contents": original["contents"],
        "head": ctx.event_id, "custodian": data.courier, "status": "in_transit", "items": [],
        "dispatch": ctx.event_id, "handoffs": [], "signature": None,
    }  # fmt: skip
    move_goods(ctx, parcel, in_transit=1, delivered=-1)  # delivered goods are on their way back
    ctx.state.put(PARCELS, ctx.subject, parcel)
    once: ReturnedRow = {"parcel": ctx.subject}
    ctx.state.put(RETURNED, receipt_id, once)
    row: ReturnRow = {
        "request": ctx.event_id, "receipt": receipt_id, "parcel": receipt["parcel"], "sender": receipt["sender"],
        "commitment": terms["commitment"], "requested_at": ctx.stamp,
        "due": _later(ctx.stamp, promised["return_within_hours"]), "completed": None, "completed_at": None,
    }  # fmt: skip
    ctx.state.put(RETURNS, ctx.subject, row)
    opened: OpenReturnFact = {
        "event": ctx.event_id,
        "commitment": row["commitment"],
        "parcel": ctx.subject,
        "due": row["due"],
    }
    return_opened(ctx, row["sender"], opened)


def _broken(ctx: Context, actor_id: str, commitment_id: str, term: str, due: str) -> None:
    made = _commitments_of(ctx, actor_id)
    mark: BrokenMark = {
        "commitment": commitment_id,
        "term": term,
        "parcel": ctx.subject,
        "due": due,
        "event": ctx.event_id,
    }
    broken: ActorCommitmentsRow = {**made, "broken": [*made["broken"], mark]}
    ctx.state.put(ACTOR_COMMITMENTS, actor_id, broken)
    commitment_broken(ctx, actor_id, commitment_id, term)


def _in_force(ctx: Context, actor_id: str) -> tuple[str, CommitmentRow] | None:
    current = _commitments_of(ctx, actor_id)["current"]
    row = ctx.state.get(COMMITMENTS, current) if current else None
    if current is None or row is None or not parse_time(row["valid_until"], "valid_until") > ctx.logged_at:
        return None
    return current, row


def observe(ctx: Context) -> None:
    """After a custody move's rule has passed: put a dispatch under its sender's commitment, and find a delivery
    or a return's arrival that came later than promised."""
    kind = ctx.event.payload.kind
    if kind not in ("shipment", "signature"):
        return
    if isinstance(ctx.event.data, Dispatch):
        parcel = ctx.state.get(PARCELS, ctx.subject)
        assert parcel is not None
        found = _in_force(ctx, parcel["sender"])
        if found is not None:
            hours = found[1]["delivery_within_hours"]
            terms: CommittedParcelRow = {
                "commitment": found[0], "sender": parcel["sender"], "dispatched_at": ctx.stamp,
                "delivery_due": None if hours is None else _later(ctx.stamp, hours), "delivered": None,
                "received_at": None,
            }  # fmt: skip
            ctx.state.put(COMMITTED_PARCELS, ctx.subject, terms)
        return
    parcel = ctx.state.get(PARCELS, ctx.subject)
    if parcel is None or parcel["status"] not in ("delivered", "signed", "refused") or parcel["head"] != ctx.event_id:
        return  # a courier's handoff, or the refused parcel's way back
    returning = ctx.state.get(RETURNS, ctx.subject)
    if returning is not None and parcel["status"] == "delivered":
        done: ReturnRow = {**returning, "completed": ctx.event_id, "completed_at": ctx.stamp}
        ctx.state.put(RETURNS, ctx.subject, done)
        return_closed(ctx, returning["sender"], returning["request"])
        if ctx.logged_at > parse_time(returning["due"], "due"):
            _broken(ctx, returning["sender"], returning["commitment"], "return", returning["due"])
        return
    terms_row = ctx.state.get(COMMITTED_PARCELS, ctx.subject)
    if terms_row is None or terms_row["delivered"] is not None:
        return
    received = ctx.stamp if parcel["status"] == "signed" else None
    delivered: CommittedParcelRow = {**terms_row, "delivered": ctx.event_id, "received_at": received}
    ctx.state.put(COMMITTED_PARCELS, ctx.subject, delivered)
    due = terms_row["delivery_due"]
    if due is not None and ctx.logged_at > parse_time(due, "delivery_due"):
        _broken(ctx, terms_row["sender"], terms_row["commitment"], "delivery", due)
