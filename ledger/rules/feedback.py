"""Rules for what consumers and regulators say: reviews, complaints and their resolutions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from ledger.errors import (
    ChannelNotAllowed,
    ComplaintClosed,
    NotAuthorized,
    NotConsignee,
    ReasonRequired,
    ReceiptRequired,
    ReviewLimit,
    UnknownComplaint,
    UnknownKey,
    WrongParents,
)
from ledger.events import parse_time
from ledger.events.schemas import Complaint, ComplaintResolution, Review
from ledger.identifiers import parse_subject
from ledger.rules.context import Context
from ledger.rules.goods import batch_row
from ledger.rules.views import (
    BATCHES,
    COMPLAINTS,
    ITEMS,
    KEYS,
    PARCELS,
    RECEIPTS,
    REVIEWS,
    BatchRow,
    ComplaintRow,
    ItemRow,
    Ratings,
    ReceiptRow,
    ReviewRow,
    View,
)

F = TypeVar("F", bound=Mapping[str, Any])  # a first review's or rating's row: it names its receipt

#: From this log time on a resolution names its reason; the log's earlier resolutions replay without one.
REASON_REQUIRED_FROM = datetime(2026, 12, 4, tzinfo=UTC)
#: A complaint still open this long after it was logged is overdue: 7 days, the simple form of the rule that a
#: market regulator decides within 7 working days whether it takes up a complaint (SAMR order 20 of 2019, art. 18).
ANSWER_WITHIN = timedelta(days=7)


def complaint_due(row: ComplaintRow) -> datetime | None:
    """When a complaint's answer is due (None for a row stored before filing times were kept, until a reindex)."""
    filed_at = row.get("filed_at")
    return None if filed_at is None else parse_time(filed_at, "filed_at") + ANSWER_WITHIN


def overdue(row: ComplaintRow, at: datetime) -> bool:
    """Whether a complaint is still open at ``at``, past its due time."""
    due = complaint_due(row)
    return row["status"] == "open" and due is not None and at >= due


def _receipt_covers(receipt: ReceiptRow, subject: str) -> bool:
    """Whether a receipt is a verified purchase of ``subject``: its parcel, a batch or item in it, or its sender."""
    return (
        subject == receipt["parcel"]
        or subject in receipt["batches"]
        or subject in receipt["items"]
        or subject == f"actor/{receipt['sender']}"
    )


def followed_receipt(ctx: Context, firsts: View[F]) -> tuple[str, F | None, str, ReceiptRow]:
    """A review's or rating's one parent, the first one it follows up (from ``firsts``; None when it follows the
    receipt itself), and the id and row of the receipt both follow."""
    ctx.only_signed_by_actor()
    parent = ctx.parents(1)[0]
    first = ctx.state.get(firsts, parent)
    receipt_id: str = first["receipt"] if first is not None else parent
    receipt = ctx.state.get(RECEIPTS, receipt_id)
    if receipt is None:
        raise ReceiptRequired(f"{parent} is neither a receipt signature nor a {ctx.event.payload.kind}")
    return parent, first, receipt_id, receipt


def review(ctx: Context) -> None:
    """The consignee reviews goods it signed for: one review per receipt, and one follow-up to it."""
    parent, first, receipt_id, receipt = followed_receipt(ctx, REVIEWS)
    if receipt["consignee"] != ctx.signer_kid:
        raise NotConsignee("only the consignee who signed the receipt may review")
    if ctx.subject not in receipt["batches"] and ctx.subject not in receipt["items"]:
        raise ReceiptRequired(f"the receipt {receipt_id} does not cover {ctx.subject}")
    expected = [] if first is None else [parent]
    if receipt["reviews"] != expected:
        raise ReviewLimit(f"receipt {receipt_id} already has its review" + ("" if first is None else " follow-up"))
    if first is not None and first["subject"] != ctx.subject:
        raise WrongParents("a follow-up reviews the same subject as the first review")
    reviewed: ReceiptRow = {**receipt, "reviews": [*receipt["reviews"], ctx.event_id]}
    ctx.state.put(RECEIPTS, receipt_id, reviewed)
    row: ReviewRow = {"receipt": receipt_id, "subject": ctx.subject}
    ctx.state.put(REVIEWS, ctx.event_id, row)
    rating = ctx.data(Review).rating
    batch_path = parse_subject(ctx.subject).batch_path
    assert batch_path is not None
    batch = batch_row(ctx, batch_path)
    rated: BatchRow = {**batch, "reviews": add_rating(batch["reviews"], rating)}
    ctx.state.put(BATCHES, batch_path, rated)
    item = ctx.state.get(ITEMS, ctx.subject)
    if item is not None:  # an item's page rates the item by its own reviews
        rated_item: ItemRow = {**item, "reviews": add_rating(item.get("reviews"), rating)}
        ctx.state.put(ITEMS, ctx.subject, rated_item)


def add_rating(totals: Ratings | None, rating: int) -> Ratings:
    """Rating totals with one more rating: a first review and its follow-up count alike (each is signed)."""
    before = totals or {"count": 0, "sum": 0}
    return {"count": before["count"] + 1, "sum": before["sum"] + rating}


def complaint(ctx: Context) -> None:
    """A consignee with a receipt (a verified purchase), or any registered actor, files a complaint."""
    ctx.only_signed_by_actor()
    data = ctx.data(Complaint)
    if ctx.state.get(KEYS, ctx.signer_kid) is not None:
        ctx.registered_signer()
        parents = ctx.parents()
        if parents and ctx.state.get(RECEIPTS, parents[0]) is None:
            raise WrongParents("a complaint's parent, if any, is the receipt it concerns")
    else:
        receipt_id = ctx.parents(1)[0] if ctx.parents() else None
        receipt = ctx.state.get(RECEIPTS, receipt_id) if receipt_id else None
        if receipt is None:
            raise UnknownKey("a consumer's complaint needs the receipt its key signed (a verified purchase)")
        if receipt["consignee"] != ctx.signer_kid:
            raise NotConsignee("only the consignee who signed the receipt may complain with it")
        if not _receipt_covers(receipt, ctx.subject):
            raise ReceiptRequired(f"the receipt {receipt_id} does not cover {ctx.subject}")
        if data.channel != "consumer":
            raise ChannelNotAllowed(
                f"data.channel {data.channel}: a consumer's key complains through channel consumer; hotline "
                "complaints are imported by the registered actor who took them"
            )
    filed: ComplaintRow = {
        "subject": ctx.subject, "by": ctx.signer_kid, "category": data.category, "channel": data.channel,
        "against": complained_about(ctx, ctx.subject), "index": ctx.index, "filed_at": ctx.stamp, "status": "open",
        "resolution": None, "outcome": None, "reason": None, "resolved_at": None, "resolution_seconds": None,
    }  # fmt: skip
    ctx.state.put(COMPLAINTS, ctx.event_id, filed)


def complained_about(ctx: Context, subject: str) -> str | None:
    """The actor a complaint is against: the actor itself, a batch's producer, or a parcel's sender."""
    parsed = parse_subject(subject)
    if parsed.actor_id is not None:
        return parsed.actor_id
    if parsed.batch_path is not None:
        batch = ctx.state.get(BATCHES, parsed.batch_path)
        return None if batch is None else batch["producer"]
    parcel = ctx.state.get(PARCELS, subject)
    return None if parcel is None else parcel["sender"]


def resolution(ctx: Context) -> None:
    """A regulator, or the party complained about, resolves an open complaint once."""
    signer = ctx.registered_signer()
    ctx.only_signed_by_actor()
    complaint_id = ctx.parents(1)[0]
    row = ctx.state.get(COMPLAINTS, complaint_id)
    if row is None:
        raise UnknownComplaint(f"{complaint_id} is not a complaint")
    if row["subject"] != ctx.subject:
        raise WrongParents(f"complaint {complaint_id} is about {row['subject']}, not {ctx.subject}")
    if "regulator" not in signer["roles"] and signer["id"] != complained_about(ctx, ctx.subject):
        raise NotAuthorized("only a regulator or the party complained about may resolve a complaint")
    if row["status"] != "open":
        raise ComplaintClosed(f"complaint {complaint_id} was already resolved by {row['resolution']}")
    data = ctx.data(ComplaintResolution)
    if data.reason is None and ctx.logged_at >= REASON_REQUIRED_FROM:
        raise ReasonRequired(f"data.reason: a resolution of complaint {complaint_id} names its reason")
    filed_at = row.get("filed_at")  # absent from a row stored before filing times were kept (until a reindex)
    now = parse_time(ctx.stamp, "logged_at")  # both to the second, as the view keeps them
    took = None if filed_at is None else int((now - parse_time(filed_at, "filed_at")).total_seconds())
    resolved: ComplaintRow = {
        **row, "status": "resolved", "resolution": ctx.event_id, "outcome": data.outcome, "reason": data.reason,
        "resolved_at": ctx.stamp, "resolution_seconds": took,
    }  # fmt: skip
    ctx.state.put(COMPLAINTS, complaint_id, resolved)
