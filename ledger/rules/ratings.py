"""Rules for mutual ratings (issue 11): a consignee rates its parcel's sender and each courier that carried it, a
sender rates the buyer (the parcel's consignee key); each party once per receipt, with one follow-up.

A rating follows the receipt (the consignee's signature) or, as its one follow-up, the first rating. Its subject
is the party rated: ``actor/<USCC>`` for a sender or courier, the parcel itself for its buyer, whose only public
name is the consignee key the parcel declared. Follow-ups count in the totals, as they do for reviews.
"""

from __future__ import annotations

from ledger.errors import NotAParty, NotAuthorized, NotConsignee, RatingExists, ReceiptRequired, WrongParents
from ledger.events.schemas import Rating
from ledger.identifiers import parse_subject
from ledger.rules.context import Context
from ledger.rules.feedback import add_rating, followed_receipt
from ledger.rules.views import (
    EVENTS,
    KEYS,
    PARCELS,
    RATED,
    RATING_TOTALS,
    RATINGS,
    RatedRow,
    RatingRow,
    RatingTotalsRow,
    ReceiptRow,
)


def _couriers(ctx: Context, parcel_path: str) -> set[str]:
    """The actors that took custody of a parcel by a handoff (a consumer's parcel has no arrival handoff)."""
    parcel = ctx.state.get(PARCELS, parcel_path)
    found: set[str] = set()
    for handoff in parcel["handoffs"] if parcel else ():
        event = ctx.state.get(EVENTS, handoff)
        key = ctx.state.get(KEYS, event["actor"]) if event else None
        if key is not None:
            found.add(key["actor"])
    return found


def _rated(ctx: Context, receipt_id: str, receipt: ReceiptRow) -> tuple[str, str]:
    """Who the rating rates and as what, after checking that its signer may rate them on this receipt."""
    subject = parse_subject(ctx.subject)
    if subject.actor_id is None:  # the parcel: its sender rates its buyer
        if ctx.subject != receipt["parcel"]:
            raise ReceiptRequired(f"the receipt {receipt_id} is for {receipt['parcel']}, not {ctx.subject}")
        if ctx.registered_signer()["id"] != receipt["sender"]:
            raise NotAuthorized(f"only {receipt['sender']}, the parcel's sender, rates its buyer")
        return "buyer", receipt["consignee"]
    if ctx.signer_kid != receipt["consignee"]:
        raise NotConsignee("only the consignee who signed the receipt rates its sender and couriers")
    if subject.actor_id == receipt["sender"]:
        return "sender", subject.actor_id
    if subject.actor_id in _couriers(ctx, receipt["parcel"]):
        return "courier", subject.actor_id
    raise NotAParty(f"actor {subject.actor_id} neither sent nor carried parcel {receipt['parcel']}")


def rating(ctx: Context) -> None:
    """One rating of each party per receipt, and one follow-up to it, by the same signer about the same party."""
    parent, first, receipt_id, receipt = followed_receipt(ctx, RATINGS)
    role, ratee = _rated(ctx, receipt_id, receipt)
    if first is None:
        once = f"{receipt_id}/{ratee}"
        rated = ctx.state.get(RATED, once)
        if rated is not None:
            raise RatingExists(f"receipt {receipt_id} already rated {ratee} ({rated['rating']}); follow it up")
        mark: RatedRow = {"rating": ctx.event_id}
        ctx.state.put(RATED, once, mark)
    else:
        if (first["role"], first["ratee"]) != (role, ratee):
            raise WrongParents("a follow-up rates the same party as the rating it follows")
        if first["follows"] is not None or first["follow_up"] is not None:
            raise RatingExists(f"the rating of {ratee} on receipt {receipt_id} already has its follow-up")
        followed: RatingRow = {**first, "follow_up": ctx.event_id}
        ctx.state.put(RATINGS, parent, followed)
    value = ctx.data(Rating).rating
    row: RatingRow = {
        "receipt": receipt_id, "rater": ctx.signer_kid, "role": role, "ratee": ratee, "rating": value,
        "follows": None if first is None else parent, "follow_up": None,
    }  # fmt: skip
    ctx.state.put(RATINGS, ctx.event_id, row)
    received = dict(totals["received"]) if (totals := ctx.state.get(RATING_TOTALS, ratee)) else {}
    received[role] = add_rating(received.get(role), value)
    counted: RatingTotalsRow = {"received": received}
    ctx.state.put(RATING_TOTALS, ratee, counted)
