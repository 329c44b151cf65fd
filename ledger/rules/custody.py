"""Rules for parcels: dispatch, each custody handoff, and the consignee's signature; quantities are conserved."""

from __future__ import annotations

from ledger.errors import (
    AlreadySigned,
    BatchRecalled,
    CustodyFork,
    InsufficientQuantity,
    NotAuthorized,
    NotConsignee,
    ParcelExists,
    UnknownParcel,
    WrongCustodian,
    WrongParents,
)
from ledger.events.schemas import Dispatch, Handoff, ParcelContent, Signature
from ledger.identifiers import item_subject
from ledger.rules.conservation import check_conservation
from ledger.rules.context import Context
from ledger.rules.goods import batch_row, check_not_held
from ledger.rules.serials import check_issued, check_unsold, record_sale
from ledger.rules.views import (
    BATCHES,
    ITEMS,
    PARCELS,
    RECEIPTS,
    SPENDS,
    ActorRow,
    BatchRow,
    ContentRow,
    ItemRow,
    ParcelRow,
    ReceiptRow,
    SpendRow,
)
from signer.encoding import b64decode_strict
from signer.keys import kid_of


def move_goods(
    ctx: Context,
    parcel: ParcelRow,
    *,
    take_from: str | None = None,
    give_to: str | None = None,
    in_transit: int = 0,
    delivered: int = 0,
) -> None:
    """Apply a parcel's contents to each of its batches: debit a holder, credit a holder, move the counters."""
    for content in parcel["contents"]:
        batch = batch_row(ctx, content["batch"])
        quantity = content["quantity"]
        holdings = dict(batch["holdings"])
        if take_from is not None:
            left = holdings.get(take_from, 0) - quantity
            if left < 0:
                raise InsufficientQuantity(
                    f"{take_from} holds {holdings.get(take_from, 0)} of {content['batch']}, not {quantity}"
                )
            if left:
                holdings[take_from] = left
            else:
                del holdings[take_from]
        if give_to is not None:
            holdings[give_to] = holdings.get(give_to, 0) + quantity
        moved: BatchRow = {
            **batch, "holdings": holdings, "in_transit": batch["in_transit"] + in_transit * quantity,
            "delivered": batch["delivered"] + delivered * quantity,
        }  # fmt: skip
        check_conservation(content["batch"], moved)
        ctx.state.put(BATCHES, content["batch"], moved)


def spend_key(path: str, parcel: ParcelRow, head: str) -> str:
    """The ``spends`` row of a parcel's custody head: the head itself, or for a case that travelled on a pallet
    (whose events were the heads of all its cases at once) the head and the case's path."""
    return f"{head} {path}" if "pallet" in parcel else head


def spend_head(ctx: Context, parcel: ParcelRow) -> None:
    """The event's one parent must be the parcel's custody head; a head already spent means a fork."""
    parent = ctx.parents(1)[0]
    key = spend_key(ctx.subject, parcel, parent)
    if parent != parcel["head"]:
        spent = ctx.state.get(SPENDS, key)
        if spent is not None:
            raise CustodyFork(f"custody head {parent} was already spent by {spent['by']}")
        raise WrongParents(f"the parent must be the parcel's custody head {parcel['head']}")
    spend: SpendRow = {"by": ctx.event_id}
    ctx.state.put(SPENDS, key, spend)


def parcel_row(ctx: Context, path: str | None = None) -> ParcelRow:
    """The parcel the event is about (or the parcel at ``path``)."""
    path = ctx.subject if path is None else path
    parcel = ctx.state.get(PARCELS, path)
    if parcel is None:
        raise UnknownParcel(f"parcel {path} was never dispatched")
    return parcel


def shipment(ctx: Context) -> None:
    if isinstance(ctx.event.data, Dispatch):
        dispatch(ctx)
    else:
        handoff(ctx)


def _content_row(content: ParcelContent) -> ContentRow:
    """A parcel's content as its row keeps it: as signed, with serials only where the dispatch listed them."""
    row: ContentRow = {"batch": content.batch, "quantity": content.quantity}
    if "serials" in content.model_fields_set:
        row["serials"] = list(content.serials)
    return row


def dispatch(ctx: Context) -> None:
    """A holder sends goods to an actor or to a consumer's key; recalled or held batches go only to their producer.
    The items it names by serial were issued by their batch and not sold yet."""
    sender = ctx.registered_signer("producer", "merchant")
    ctx.only_signed_by_actor()
    ctx.not_black_listed(sender)
    if ctx.state.get(PARCELS, ctx.subject) is not None:
        raise ParcelExists(f"parcel {ctx.subject} was already dispatched")
    data = ctx.data(Dispatch)
    to = data.to
    if to is not None:
        ctx.actor_row(to)
    batches = {content.batch: batch_row(ctx, content.batch) for content in data.contents}
    for path, batch in batches.items():
        if batch["recall"] is not None and to != batch["producer"]:
            raise BatchRecalled(f"batch {path} is recalled; it may only be returned to its producer")
        check_not_held(path, batch, to)
    if set(ctx.parents()) != {batch["production"] for batch in batches.values()}:
        raise WrongParents("the parents must be the production events of the batches in the parcel")
    for content in data.contents:
        for serial in content.serials:
            check_issued(content.batch, batches[content.batch], serial)
    consignee = data.consignee_key
    items = [
        item_subject(batches[c.batch]["gtin"], batches[c.batch]["lot"], serial).path
        for c in data.contents for serial in c.serials
    ]  # fmt: skip
    carried = {item: ctx.state.get(ITEMS, item) for item in items}
    for item, row in carried.items():
        check_unsold(item, row)
    parcel: ParcelRow = {
        "sender": sender["id"], "to": to,
        "consignee": kid_of(b64decode_strict(consignee, "consignee_key")) if consignee else None,
        "contents": [_content_row(c) for c in data.contents], "head": ctx.event_id, "custodian": sender["id"],
        "status": "in_transit", "items": items, "dispatch": ctx.event_id, "handoffs": [], "signature": None,
    }  # fmt: skip
    move_goods(ctx, parcel, take_from=sender["id"], in_transit=1)
    for item, known in carried.items():
        row = known or {"batch": item.rsplit("/21/", 1)[0], "parcels": []}
        loaded: ItemRow = {**row, "parcels": [*row["parcels"], ctx.subject]}
        ctx.state.put(ITEMS, item, loaded)
    ctx.state.put(PARCELS, ctx.subject, parcel)


def take_over(ctx: Context, parcel: ParcelRow) -> ActorRow:
    """The signer of a handoff, who takes ``parcel`` from its custodian (the handoff's ``from``, who may cosign)."""
    spend_head(ctx, parcel)  # first: a second claim on one head is a fork, whoever makes it
    receiver = ctx.registered_signer()
    ctx.not_black_listed(receiver)
    giver = ctx.data(Handoff).from_
    if giver != parcel["custodian"]:
        raise WrongCustodian(f"parcel {ctx.subject} is held by {parcel['custodian']}, not {giver}")
    if receiver["id"] == giver:
        raise WrongCustodian("a custodian cannot hand a parcel to itself")
    for signature in ctx.event.envelope.signatures:
        if signature.keyid != ctx.signer_kid and ctx.key_row(signature.keyid)["actor"] != giver:
            raise NotAuthorized(f"the second signature of a handoff must be by {giver}, the giver")
    return receiver


def handoff(ctx: Context) -> None:
    """A courier takes the parcel from its custodian, or its destination receives it (crediting the goods)."""
    parcel = parcel_row(ctx)
    receiver = take_over(ctx, parcel)
    arriving = parcel["status"] == "in_transit" and receiver["id"] == parcel["to"]
    returning = parcel["status"] == "refused" and receiver["id"] == parcel["sender"]
    if parcel["status"] not in ("in_transit", "refused"):
        raise AlreadySigned(f"parcel {ctx.subject} was already delivered")
    if not (arriving or returning or "courier" in receiver["roles"]):
        raise NotAuthorized(f"actor {receiver['id']} is neither a courier nor the parcel's destination")
    if arriving or returning:
        move_goods(ctx, parcel, give_to=receiver["id"], in_transit=-1)
    handed: ParcelRow = {
        **parcel, "head": ctx.event_id, "custodian": receiver["id"],
        "status": "delivered" if arriving else "returned" if returning else parcel["status"],
        "handoffs": [*parcel["handoffs"], ctx.event_id],
    }  # fmt: skip
    ctx.state.put(PARCELS, ctx.subject, handed)


def signature(ctx: Context) -> None:
    """The consignee key declared at dispatch signs for the parcel, once: intact, damaged or refused. Signing for it
    (not refusing it) sells its items, each once."""
    parcel = parcel_row(ctx)
    if parcel["consignee"] is None or ctx.signer_kid != parcel["consignee"]:
        raise NotConsignee(f"only the consignee key declared when {ctx.subject} was dispatched may sign for it")
    ctx.only_signed_by_actor()
    if parcel["signature"] is not None or parcel["status"] != "in_transit":
        raise AlreadySigned(f"parcel {ctx.subject} was already signed for")
    spend_head(ctx, parcel)
    refused = ctx.data(Signature).condition == "refused"
    if not refused:
        record_sale(ctx, parcel["items"])
        move_goods(ctx, parcel, in_transit=-1, delivered=1)
    signed: ParcelRow = {
        **parcel, "head": ctx.event_id, "status": "refused" if refused else "signed", "signature": ctx.event_id,
    }  # fmt: skip
    ctx.state.put(PARCELS, ctx.subject, signed)
    if not refused:
        receipt: ReceiptRow = {
            "parcel": ctx.subject, "consignee": ctx.signer_kid, "sender": parcel["sender"],
            "batches": [c["batch"] for c in parcel["contents"]], "items": parcel["items"], "reviews": [],
        }  # fmt: skip
        ctx.state.put(RECEIPTS, ctx.event_id, receipt)
