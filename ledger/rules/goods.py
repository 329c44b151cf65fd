"""Rules for batches: production, inspection, listing for sale, and recall."""

from __future__ import annotations

from datetime import date

from ledger.errors import (
    BatchExists,
    BatchExpired,
    BatchOnHold,
    BatchRecalled,
    InputRecalled,
    InsufficientInput,
    NotAuthorized,
    PrefixNotOwned,
    UnknownBatch,
    WrongParents,
)
from ledger.events.schemas import Inspection, Production, ProductionInput, Recall
from ledger.identifiers import gtin_has_company_prefix, parse_subject
from ledger.rules import risk
from ledger.rules.conservation import check_conservation
from ledger.rules.context import Context
from ledger.rules.views import BATCHES, EVENTS, BatchRow, UseMark

#: category → (licence to produce it, licence to sell it); None where the law asks for none.
CATEGORY_LICENCES: dict[str, tuple[str | None, str | None]] = {
    "food": ("food_production", "food_business"),
    "drug": ("drug_manufacturing", "drug_business"),
    "medical_device": ("medical_device_production", "medical_device_business"),
    "agricultural_input": ("agricultural_input_production", "agricultural_input_business"),
    "agricultural_product": (None, None),
}


def batch_row(ctx: Context, path: str) -> BatchRow:
    batch = ctx.state.get(BATCHES, path)
    if batch is None:
        raise UnknownBatch(f"batch {path} has not been produced")
    return batch


def _follows_production(ctx: Context, batch: BatchRow) -> None:
    if ctx.parents(1)[0] != batch["production"]:
        raise WrongParents(f"the parent must be the batch's production event {batch['production']}")


def expired(ctx: Context, batch: BatchRow) -> bool:
    expiry = batch.get("expiry")
    return expiry is not None and date.fromisoformat(expiry) < ctx.logged_at.date()


def check_not_held(path: str, batch: BatchRow, to: str | None = None) -> None:
    """A batch whose latest inspection failed is held: nothing lists or ships it, except back ``to`` its producer,
    until a later inspection passes."""
    marks = batch["inspections"]
    if marks and marks[-1]["result"] == "fail" and to != batch["producer"]:
        raise BatchOnHold(f"batch {path} failed its inspection {marks[-1]['event']}; it is held until one passes")


def production(ctx: Context) -> None:
    """A licensed producer registers a new batch under one of its own GS1 company prefixes, from unrecalled inputs."""
    producer = ctx.registered_signer("producer")
    ctx.only_signed_by_actor()
    ctx.not_black_listed(producer)
    subject = parse_subject(ctx.subject)
    assert subject.gtin is not None
    assert subject.lot is not None
    if not any(gtin_has_company_prefix(subject.gtin, prefix) for prefix in producer["gs1_prefixes"]):
        raise PrefixNotOwned(f"GTIN {subject.gtin} is not under a GS1 company prefix of {producer['id']}")
    if ctx.state.get(BATCHES, ctx.subject) is not None:
        raise BatchExists(f"batch {ctx.subject} was already produced")
    data = ctx.data(Production)
    ctx.holds_licence(producer, CATEGORY_LICENCES[data.category][0])
    input_batches: list[str] = []
    for parent in ctx.parents():
        logged = ctx.state.get(EVENTS, parent)
        if logged is None or logged["kind"] != "production":
            raise WrongParents(f"input {parent} is not the production event of a batch")
        if batch_row(ctx, logged["subject"])["recall"] is not None:
            raise InputRecalled(f"input batch {logged['subject']} is recalled and cannot go into a new batch")
        input_batches.append(logged["subject"])
    if data.inputs is not None:
        _consume_inputs(ctx, producer["id"], input_batches, data.inputs)
    batch: BatchRow = {
        "gtin": subject.gtin, "lot": subject.lot, "producer": producer["id"], "product": data.product,
        "category": data.category, "quantity": data.quantity, "unit": data.unit, "expiry": data.expiry,
        "production": ctx.event_id, "inputs": list(ctx.parents()), "inspections": [], "listings": [], "recall": None,
        "holdings": {producer["id"]: data.quantity}, "in_transit": 0, "delivered": 0, "reviews": {"count": 0, "sum": 0},
    }  # fmt: skip
    ctx.state.put(BATCHES, ctx.subject, batch)


def _consume_inputs(ctx: Context, producer: str, parents: list[str], inputs: list[ProductionInput]) -> None:
    """A production stating its inputs' quantities takes each from its producer's stock of that batch: the input
    batches are exactly those whose productions are its parents, and the producer holds what it uses."""
    if sorted(parents) != sorted(i.batch for i in inputs):
        raise WrongParents("the parents must be the production events of the input batches, one for each")
    for used in inputs:
        batch = batch_row(ctx, used.batch)
        holdings = dict(batch["holdings"])
        held = holdings.get(producer, 0)
        if held < used.quantity:
            raise InsufficientInput(f"{producer} holds {held} of input batch {used.batch}, not {used.quantity}")
        if held == used.quantity:
            del holdings[producer]
        else:
            holdings[producer] = held - used.quantity
        mark: UseMark = {"event": ctx.event_id, "batch": ctx.subject, "quantity": used.quantity}
        consumed: BatchRow = {
            **batch, "holdings": holdings, "consumed": batch.get("consumed", 0) + used.quantity,
            "used_in": [*batch.get("used_in", []), mark],
        }  # fmt: skip
        check_conservation(used.batch, consumed)
        ctx.state.put(BATCHES, used.batch, consumed)


def inspection(ctx: Context) -> None:
    """The batch's producer, a lab or a regulator records an inspection result (the report is an attachment)."""
    inspector = ctx.registered_signer("producer", "lab", "regulator")
    ctx.only_signed_by_actor()
    batch = batch_row(ctx, ctx.subject)
    if not {"lab", "regulator"} & set(inspector["roles"]) and inspector["id"] != batch["producer"]:
        raise NotAuthorized(f"{inspector['id']} is neither a lab, a regulator nor the producer of {ctx.subject}")
    _follows_production(ctx, batch)
    inspected: BatchRow = {
        **batch, "inspections": [*batch["inspections"], {"event": ctx.event_id, "result": ctx.data(Inspection).result}],
    }  # fmt: skip
    ctx.state.put(BATCHES, ctx.subject, inspected)


def listing(ctx: Context) -> None:
    """A licensed merchant lists a batch that is neither recalled, held nor expired."""
    merchant = ctx.registered_signer("merchant")
    ctx.only_signed_by_actor()
    ctx.not_black_listed(merchant)
    batch = batch_row(ctx, ctx.subject)
    _follows_production(ctx, batch)
    if batch["recall"] is not None:
        raise BatchRecalled(f"batch {ctx.subject} is recalled and cannot be listed")
    check_not_held(ctx.subject, batch)
    if expired(ctx, batch):
        raise BatchExpired(f"batch {ctx.subject} expired on {batch['expiry']}")
    ctx.holds_licence(merchant, CATEGORY_LICENCES[batch["category"]][1])
    listed: BatchRow = {**batch, "listings": [*batch["listings"], {"event": ctx.event_id, "merchant": merchant["id"]}]}
    ctx.state.put(BATCHES, ctx.subject, listed)


def recall(ctx: Context) -> None:
    """The batch's producer or a regulator recalls it: no new listings or dispatches, except returns."""
    signer = ctx.registered_signer("producer", "regulator")
    ctx.only_signed_by_actor()
    batch = batch_row(ctx, ctx.subject)
    if "regulator" not in signer["roles"] and signer["id"] != batch["producer"]:
        raise NotAuthorized(f"only its producer or a regulator can recall {ctx.subject}")
    _follows_production(ctx, batch)
    if batch["recall"] is not None:
        raise BatchRecalled(f"batch {ctx.subject} is already recalled")
    risk.recall_acts_on(ctx, ctx.data(Recall).finding, ctx.subject)
    recalled: BatchRow = {**batch, "recall": ctx.event_id}
    ctx.state.put(BATCHES, ctx.subject, recalled)
