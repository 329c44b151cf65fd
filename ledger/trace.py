"""Where goods went and where they came from (issue 12): a regulator's trace of a batch, an item or a parcel.

"Where did lot X go, who holds it, which consumers got it": a **forward** trace lists every parcel that carried the
subject with its quantity, each custody handoff, each actor that received it, each consumer receipt (by the
consumer's key id only: no personal data enters the log), and the batches produced from it, recursively to a depth.
A **backward** trace lists what it was made from (its production inputs' batches, recursively) and the parcels
that brought it to the actors that received it. Every step names the event id and leaf index of the entry that
proves it, so each can be checked against a checkpoint.

Batches are fungible: goods of one lot received by a merchant are not told apart from the merchant's other goods
of that lot, so a batch's trace follows every parcel of the batch, and an item's trace the parcels that carried
that serial. ``recall_scope`` turns a forward trace into a recall's reach, and checks that its parts add up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ledger.errors import ConservationError, InvalidIdentifier, NotFound
from ledger.identifiers import parse_subject
from ledger.rules.views import BATCHES, EVENTS, ITEMS, KEYS, PARCELS, BatchRow, ParcelRow
from ledger.store.ledger import LogReads
from ledger.store.lookups import Stamp, json_member, rows_mentioning, stamps

Direction = Literal["forward", "backward"]
DEFAULT_DEPTH = 5
MAX_DEPTH = 32  # production hops; real supply chains are far shallower, and each hop is a few queries

#: What a step says happened. The custody relations move ``quantity`` of ``batch`` in ``parcel``.
Relation = Literal[
    "input",  # ``batch`` is one of the production inputs of a batch one hop nearer the subject (backward)
    "derived",  # ``batch`` was produced from a batch one hop nearer the subject (forward)
    "dispatched",  # the sender shipped it towards ``to_actor`` or a consumer's key
    "handed_over",  # a courier took custody from ``from_actor``
    "received",  # the parcel's destination received it, and now holds its contents
    "consumer_receipt",  # the consumer's key signed for it (intact or damaged): delivered to a consumer
    "consumer_refused",  # the consumer's key refused it; it stays in transit until returned
    "returned",  # a refused parcel came back to its sender
]


@dataclass(frozen=True)
class Step:
    relation: Relation
    depth: int  # production hops between the subject and ``batch``
    batch: str
    quantity: int | None  # of ``batch``; None for production links, whose inputs name no amounts
    parcel: str | None
    from_actor: str | None  # USCC
    to_actor: str | None  # USCC
    consignee: str | None  # a consumer's key id, never who they are
    event_id: str  # the entry that proves the step
    leaf_index: int
    leaf_hash: bytes
    logged_at: str


@dataclass(frozen=True)
class TracedBatch:
    """A batch the trace reached, with where its whole quantity is now (produced = held + in transit + delivered)."""

    path: str
    depth: int
    product: str
    producer: str
    quantity: int
    unit: str
    production: str  # its production event
    recalled: bool
    held: dict[str, int]  # USCC → quantity held now
    in_transit: int
    delivered: int  # to consumers
    received: dict[str, int] = field(default_factory=dict)  # USCC → quantity received by the parcels traced
    consumed: int = 0  # used as the input of productions (stated by quantity)


@dataclass(frozen=True)
class ParcelLine:
    batch: str
    quantity: int


@dataclass(frozen=True)
class TracedParcel:
    path: str
    sender: str
    to: str | None  # the receiving actor, or None for a consumer
    consignee: str | None  # the consumer's key id
    custodian: str
    status: str  # in_transit, delivered, refused, returned or signed
    contents: list[ParcelLine]


@dataclass(frozen=True)
class Trace:
    subject: str
    subject_kind: str  # batch, item or parcel
    direction: Direction
    depth: int
    batches: list[TracedBatch]  # the subject's batch (or a parcel's) first, then by depth
    parcels: list[TracedParcel]  # in dispatch order
    steps: list[Step]  # by depth, then in log order


def batch_parcels(ledger: LogReads, batch: str) -> dict[str, ParcelRow]:
    """Every parcel that carried goods of ``batch``, in dispatch order."""
    rows = rows_mentioning(ledger, PARCELS, json_member("batch", batch))
    carrying = {path: row for path, row in rows.items() if any(c["batch"] == batch for c in row["contents"])}
    order = ledger.view_rows(EVENTS, [row["dispatch"] for row in carrying.values()])
    return dict(sorted(carrying.items(), key=lambda item: order[item[1]["dispatch"]]["index"]))


def derived_batches(ledger: LogReads, production: str) -> dict[str, BatchRow]:
    """The batches whose production named the batch of ``production`` among its inputs."""
    rows = rows_mentioning(ledger, BATCHES, json.dumps(production))
    return {path: row for path, row in rows.items() if production in row.get("inputs", [])}


@dataclass(frozen=True)
class _Move:
    """One custody event of a parcel, before its entry is stamped."""

    relation: Relation
    from_actor: str | None
    to_actor: str | None
    consignee: str | None
    event_id: str


def _custody(parcel: ParcelRow, stamped: dict[str, Stamp], actors: dict[str, str]) -> list[_Move]:
    """A parcel's custody events in log order: its dispatch, each handoff (who took it from whom), the receipt.

    A handoff is signed by the new custodian, so its receiver is the actor of its signer's key."""
    sender, signature = parcel["sender"], parcel["signature"]
    moves = [_Move("dispatched", sender, parcel["to"], parcel["consignee"], parcel["dispatch"])]
    custodian, refused = sender, False
    for event in sorted(
        [*parcel["handoffs"], *([signature] if signature else [])], key=lambda e: stamped[e].leaf_index
    ):
        if event == signature:
            refused = parcel["status"] in ("refused", "returned")
            relation: Relation = "consumer_refused" if refused else "consumer_receipt"
            moves.append(_Move(relation, custodian, None, parcel["consignee"], event))
            continue
        receiver = actors[stamped[event].signer]
        relation = "received" if receiver == parcel["to"] else "returned" if refused else "handed_over"
        moves.append(_Move(relation, custodian, receiver, None, event))
        custodian = receiver
    return moves


class _Tracer:
    """One trace's walk: it gathers batches, parcels and production links, then stamps every entry in one query."""

    def __init__(self, ledger: LogReads, depth: int) -> None:
        self.ledger = ledger
        self.depth = depth
        self.batches: dict[str, tuple[int, BatchRow]] = {}
        self.parcels: dict[str, ParcelRow] = {}
        self.links: list[tuple[_Move, int, str]] = []  # a production link, its depth, and the batch it reaches
        self.carried: list[tuple[int, str, int, str]] = []  # depth, batch, quantity, parcel

    def reach(self, path: str, row: BatchRow, depth: int) -> bool:
        """Record a batch; False when the trace had reached it already."""
        if path in self.batches:
            return False
        self.batches[path] = (depth, row)
        return True

    def carry(self, depth: int, batch: str, parcels: Iterable[tuple[str, ParcelRow]], *, item: bool = False) -> None:
        """The custody of ``batch`` in these parcels (of one item of it in each, for an item's trace)."""
        for path, parcel in parcels:
            self.parcels.setdefault(path, parcel)
            quantity = 1 if item else sum(c["quantity"] for c in parcel["contents"] if c["batch"] == batch)
            self.carried.append((depth, batch, quantity, path))

    def forward(self, path: str, row: BatchRow, depth: int) -> None:
        """Every parcel of the batch, then the batches made from it, recursively."""
        self.carry(depth, path, batch_parcels(self.ledger, path).items())
        if depth >= self.depth:
            return
        for made, made_row in derived_batches(self.ledger, row["production"]).items():
            link = _Move("derived", row["producer"], made_row["producer"], None, made_row["production"])
            self.links.append((link, depth + 1, made))
            if self.reach(made, made_row, depth + 1):
                self.forward(made, made_row, depth + 1)

    def backward(self, path: str, row: BatchRow, depth: int, receiver: str | None = None) -> None:
        """The parcels of the batch that arrived (at ``receiver``, who made something of it), then its inputs."""
        arrived = [
            (p, parcel) for p, parcel in batch_parcels(self.ledger, path).items()
            if parcel["status"] in ("delivered", "returned") and receiver in (None, parcel["custodian"])
        ]  # fmt: skip
        self.carry(depth, path, arrived)
        self.inputs(row, depth)

    def inputs(self, row: BatchRow, depth: int) -> None:
        """The batches ``row`` was produced from; its production entry proves each link."""
        if depth >= self.depth:
            return
        events = self.ledger.view_rows(EVENTS, row.get("inputs", []))
        sources = self.ledger.view_rows(BATCHES, [event["subject"] for event in events.values()])
        for event in sorted(events.values(), key=lambda e: e["index"]):
            path = event["subject"]
            source = sources[path]
            link = _Move("input", source["producer"], row["producer"], None, row["production"])
            self.links.append((link, depth + 1, path))
            if self.reach(path, source, depth + 1):
                self.backward(path, source, depth + 1, receiver=row["producer"])

    def finish(self, subject: str, kind: str, direction: Direction) -> Trace:
        """Stamp every step with its entry, and total what each actor received of each batch."""
        ids = {link.event_id for link, _, _ in self.links}
        for parcel in self.parcels.values():
            ids.update(
                [parcel["dispatch"], *parcel["handoffs"], *([parcel["signature"]] if parcel["signature"] else [])]
            )
        stamped = stamps(self.ledger, ids)
        keys = self.ledger.view_rows(KEYS, {stamp.signer for stamp in stamped.values()})
        actors = {kid: key["actor"] for kid, key in keys.items()}
        steps = [_step(link, depth, batch, None, None, stamped) for link, depth, batch in self.links]
        custody = {path: _custody(parcel, stamped, actors) for path, parcel in self.parcels.items()}
        for depth, batch, quantity, path in self.carried:
            steps += [_step(move, depth, batch, quantity, path, stamped) for move in custody[path]]
        steps.sort(key=lambda s: (s.depth, s.leaf_index, s.batch))
        received: dict[str, dict[str, int]] = {}
        for step in steps:
            if step.relation in ("received", "returned") and step.to_actor and step.quantity:
                counts = received.setdefault(step.batch, {})
                counts[step.to_actor] = counts.get(step.to_actor, 0) + step.quantity
        batches = [
            _traced_batch(path, depth, row, received.get(path, {}))
            for path, (depth, row) in sorted(self.batches.items(), key=lambda b: b[1][0])
        ]
        parcels = [
            _traced_parcel(path, row)
            for path, row in sorted(self.parcels.items(), key=lambda p: stamped[p[1]["dispatch"]].leaf_index)
        ]
        return Trace(subject, kind, direction, self.depth, batches, parcels, steps)


def _step(
    move: _Move, depth: int, batch: str, quantity: int | None, parcel: str | None, stamped: dict[str, Stamp]
) -> Step:
    stamp = stamped[move.event_id]
    return Step(
        move.relation, depth, batch, quantity, parcel, move.from_actor, move.to_actor, move.consignee, move.event_id,
        stamp.leaf_index, stamp.leaf_hash, stamp.logged_at,
    )  # fmt: skip


def _traced_batch(path: str, depth: int, row: BatchRow, received: dict[str, int]) -> TracedBatch:
    return TracedBatch(
        path, depth, row["product"], row["producer"], row["quantity"], row["unit"], row["production"],
        row["recall"] is not None, dict(row["holdings"]), row["in_transit"], row["delivered"], received,
        row.get("consumed", 0),
    )  # fmt: skip


def _traced_parcel(path: str, row: ParcelRow) -> TracedParcel:
    lines = [ParcelLine(c["batch"], c["quantity"]) for c in row["contents"]]
    return TracedParcel(path, row["sender"], row["to"], row["consignee"], row["custodian"], row["status"], lines)


def trace(ledger: LogReads, path: str, direction: Direction = "forward", depth: int = DEFAULT_DEPTH) -> Trace:
    """The trace of a batch, item or parcel subject path; NotFound when the log holds nothing of it.

    ``depth`` bounds the production hops followed (0: the subject's own goods only)."""
    subject = parse_subject(path)
    tracer = _Tracer(ledger, depth)
    batch_path = subject.batch_path
    if batch_path is not None:
        row = ledger.view(BATCHES, batch_path)
        if row is None:
            raise NotFound(f"the log holds nothing about {subject.path}")
        tracer.reach(batch_path, row, 0)
        if subject.kind == "item":
            item = ledger.view(ITEMS, subject.path)
            carriers = item["parcels"] if item else []
            rows = ledger.view_rows(PARCELS, carriers)
            tracer.carry(0, batch_path, [(p, rows[p]) for p in carriers], item=True)
            if direction == "backward":
                tracer.inputs(row, 0)
        elif direction == "forward":
            tracer.forward(batch_path, row, 0)
        else:
            tracer.backward(batch_path, row, 0)
    elif subject.kind == "parcel":
        parcel = ledger.view(PARCELS, subject.path)
        if parcel is None:
            raise NotFound(f"the log holds nothing about {subject.path}")
        batches = ledger.view_rows(BATCHES, [c["batch"] for c in parcel["contents"]])
        for content in parcel["contents"]:
            tracer.reach(content["batch"], batches[content["batch"]], 0)
        for batch, row in batches.items():
            tracer.carry(0, batch, [(subject.path, parcel)])
            if direction == "backward":
                tracer.inputs(row, 0)
    else:
        raise NotFound(f"{path} is not a product or parcel subject")
    return tracer.finish(subject.path, subject.kind, direction)


# ---- a recall's reach ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InTransit:
    parcel: str
    quantity: int
    custodian: str  # who holds the parcel now
    to: str | None
    consignee: str | None


@dataclass(frozen=True)
class ConsumerDelivery:
    parcel: str
    quantity: int
    consignee: str  # the consumer's key id
    event_id: str  # their signature for the parcel
    leaf_index: int


@dataclass(frozen=True)
class RecallScope:
    """Everywhere a batch's quantity is: produced = held + in transit + delivered to consumers + consumed as an
    input (``batch.consumed``), checked."""

    batch: TracedBatch
    holders: dict[str, int]
    in_transit: list[InTransit]
    consumers: list[ConsumerDelivery]
    derived: list[str]  # batches made from it, each with a recall scope of its own

    @property
    def held(self) -> int:
        return sum(self.holders.values())

    @property
    def transit(self) -> int:
        return sum(p.quantity for p in self.in_transit)

    @property
    def delivered(self) -> int:
        return sum(c.quantity for c in self.consumers)


def recall_scope(found: Trace) -> RecallScope:
    """A recall's reach from a batch's forward trace, parcel by parcel; ConservationError unless the parcels
    account for the batch's counters and the parts add up to what was produced."""
    if found.subject_kind != "batch":
        kind = found.subject_kind
        raise InvalidIdentifier(f"a recall is of a batch, 01/<GTIN>/10/<lot>, not the {kind} {found.subject}")
    assert found.direction == "forward", "a recall's reach is where the batch went"
    batch = found.batches[0]
    transit = [
        InTransit(p.path, _share(p.contents, batch.path), p.custodian, p.to, p.consignee)
        for p in found.parcels
        if p.status in ("in_transit", "refused") and _share(p.contents, batch.path)
    ]
    consumers = [
        ConsumerDelivery(s.parcel or "", s.quantity or 0, s.consignee or "", s.event_id, s.leaf_index)
        for s in found.steps
        if s.relation == "consumer_receipt" and s.batch == batch.path
    ]
    scope = RecallScope(batch, dict(batch.held), transit, consumers, [b.path for b in found.batches if b.depth > 0])
    if (scope.transit, scope.delivered) != (batch.in_transit, batch.delivered) or (
        scope.held + scope.transit + scope.delivered + batch.consumed != batch.quantity
    ):
        raise ConservationError(
            f"batch {batch.path}: produced {batch.quantity} != held {scope.held} + in transit {scope.transit}"
            f" + delivered {scope.delivered} + consumed {batch.consumed} (its counters say in transit"
            f" {batch.in_transit}, delivered {batch.delivered})"
        )
    return scope


def _share(lines: Sequence[ParcelLine], batch: str) -> int:
    return sum(line.quantity for line in lines if line.batch == batch)
