"""What the risk detectors need to know of a log, gathered in one pass over its decoded entries.

``LogDigest.add`` takes each entry in log order and keeps only the facts the detectors read: who holds each key,
each batch's production and quantity, who holds each GS1 company prefix, each parcel's sender, consignee and
custody moves with their places and claimed times (a case's include its pallet's while aboard), receipts, first
reviews and consumer sales of serialised items. It is pure (no database): the server feeds it the entries it has
not seen yet, the CLI and the benchmark feed it a whole log. Entries already passed the rules, so the digest
trusts them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

from ledger.events import LogEntry, parse_time
from ledger.events.schemas import (
    ActorKeys,
    ActorRegister,
    Aggregation,
    Disaggregation,
    Dispatch,
    Genesis,
    Handoff,
    Production,
    Signature,
)
from ledger.identifiers import item_subject, parse_subject
from signer.keys import kid_of


@dataclass(frozen=True)
class Move:
    """A custody move that names a place: a parcel's dispatch, or one of its handoffs."""

    event: str
    time: datetime  # as its signer claims it (a courier may scan offline and upload later)
    place: str
    actor: str | None  # the sender of a dispatch, the new custodian of a handoff (USCC)


@dataclass
class Parcel:
    dispatch: str
    sender: str | None
    consignee: str | None  # the kid of the consumer's key, for a parcel sent to a consumer
    batches: list[str]
    items: list[str]
    moves: list[Move] = field(default_factory=list)
    handlers: set[str] = field(default_factory=set)  # actors that took custody by a handoff
    to: str | None = None  # the actor it was sent to


@dataclass(frozen=True)
class Batch:
    production: str
    quantity: int
    producer: str | None  # USCC


@dataclass(frozen=True)
class PrefixHolder:
    registration: str  # the first registration of the actor that granted it the prefix (it kept it since)
    actor: str  # USCC


@dataclass(frozen=True)
class Receipt:
    event: str
    parcel: str
    consignee: str  # kid
    sender: str | None
    logged: datetime


@dataclass(frozen=True)
class Review:
    event: str
    consignee: str  # kid
    subject: str
    batch: str
    receipt: str
    sender: str | None  # the sender of the parcel the receipt signed for
    logged: datetime


@dataclass
class LogDigest:
    size: int = 0  # entries added so far
    actor_of_kid: dict[str, str] = field(default_factory=dict)
    batches: dict[str, Batch] = field(default_factory=dict)  # batch path → its production
    prefixes: dict[str, PrefixHolder] = field(default_factory=dict)  # GS1 company prefix → its holder
    parcels: dict[str, Parcel] = field(default_factory=dict)
    receipts: dict[str, Receipt] = field(default_factory=dict)  # signature event id → receipt, in log order
    reviews: list[Review] = field(default_factory=list)  # first reviews, in log order
    declared: dict[str, list[str]] = field(default_factory=dict)  # consignee kid → the parcels declaring it
    sales: dict[str, list[str]] = field(default_factory=dict)  # item path → the consumer parcels carrying it
    pallets: dict[str, list[str]] = field(default_factory=dict)  # pallet path → the cases aboard it now

    def add(self, entry: LogEntry) -> None:
        """Take in the next entry of the log."""
        self.size += 1
        event = entry.event
        data = event.data
        if isinstance(data, Genesis):
            for registrar in data.registrars:
                self._grant(registrar.id, registrar.keys)
        elif isinstance(data, ActorRegister):
            actor_id = parse_subject(event.payload.subject).actor_id
            self._grant(actor_id, [grant.public_key for grant in data.keys])
            self._hold_prefixes(event.event_id, actor_id, data.gs1_prefixes)
        elif isinstance(data, Production):
            producer = self.actor_of_kid.get(event.payload.actor)
            self.batches[event.payload.subject] = Batch(event.event_id, data.quantity, producer)
        elif isinstance(data, ActorKeys):
            actor_id = parse_subject(event.payload.subject).actor_id
            self._grant(actor_id, [grant.public_key for grant in data.add])
        elif isinstance(data, Dispatch):
            self._dispatch(entry, data)
        elif isinstance(data, Handoff):
            self._handoff(entry, data)
        elif isinstance(data, Aggregation):
            self.pallets[event.payload.subject] = list(data.parcels)
        elif isinstance(data, Disaggregation):
            self.pallets.pop(event.payload.subject, None)
        elif isinstance(data, Signature) and data.condition != "refused":
            self._receipt(entry)
        elif event.payload.kind == "review":
            self._review(entry)

    def _grant(self, actor_id: str | None, keys: list[str]) -> None:
        if actor_id is not None:
            for key in keys:
                self.actor_of_kid[kid_of(base64.b64decode(key))] = actor_id

    def _hold_prefixes(self, registration: str, actor_id: str | None, prefixes: list[str]) -> None:
        """A registration (or its update) names the actor's prefixes: those it kept keep their first grant."""
        if actor_id is None:
            return
        for prefix in [p for p, holder in self.prefixes.items() if holder.actor == actor_id and p not in prefixes]:
            del self.prefixes[prefix]
        for prefix in prefixes:
            self.prefixes.setdefault(prefix, PrefixHolder(registration, actor_id))

    def prefix_holder(self, gtin: str) -> PrefixHolder | None:
        """Who holds the GS1 company prefix ``gtin`` is under (``ledger.identifiers.gtin_has_company_prefix``)."""
        digits = gtin[1:13]
        return next((h for end in range(6, 13) if (h := self.prefixes.get(digits[:end])) is not None), None)

    def _dispatch(self, entry: LogEntry, data: Dispatch) -> None:
        payload = entry.event.payload
        sender = self.actor_of_kid.get(payload.actor)
        consignee = kid_of(base64.b64decode(data.consignee_key)) if data.consignee_key else None
        items = []
        for content in data.contents:
            if content.serials:
                batch = parse_subject(content.batch)
                gtin, lot = batch.gtin or "", batch.lot or ""
                items += [item_subject(gtin, lot, serial).path for serial in content.serials]
        parcel = Parcel(entry.event.event_id, sender, consignee, [c.batch for c in data.contents], items, to=data.to)
        parcel.moves.append(Move(entry.event.event_id, parse_time(payload.time, "time"), data.location, sender))
        self.parcels[payload.subject] = parcel
        if consignee is not None:
            self.declared.setdefault(consignee, []).append(payload.subject)
            for item in items:
                self.sales.setdefault(item, []).append(payload.subject)

    def _handoff(self, entry: LogEntry, data: Handoff) -> None:
        """A handoff moves its parcel; a pallet's moves each case aboard (a case leaves it at its destination)."""
        payload = entry.event.payload
        receiver = self.actor_of_kid.get(payload.actor)
        move = Move(entry.event.event_id, parse_time(payload.time, "time"), data.location, receiver)
        aboard = self.pallets.get(payload.subject, [])
        for path in [payload.subject, *aboard]:
            parcel = self.parcels.get(path)
            if parcel is not None:
                parcel.moves.append(move)
                if receiver is not None:
                    parcel.handlers.add(receiver)
        if aboard:
            self.pallets[payload.subject] = [
                c for c in aboard if c not in self.parcels or self.parcels[c].to != receiver
            ]

    def _receipt(self, entry: LogEntry) -> None:
        payload = entry.event.payload
        parcel = self.parcels.get(payload.subject)
        if parcel is not None:
            receipt = Receipt(entry.event.event_id, payload.subject, payload.actor, parcel.sender, entry.logged_moment)
            self.receipts[receipt.event] = receipt

    def _review(self, entry: LogEntry) -> None:
        payload = entry.event.payload
        receipt = self.receipts.get(payload.parents[0]) if payload.parents else None
        if receipt is None:  # a follow-up (its parent is the first review): the first one counted already
            return
        batch = payload.subject.split("/21/", 1)[0]  # a review is of a batch or of an item of it
        review = Review(
            entry.event.event_id, payload.actor, payload.subject, batch, receipt.event, receipt.sender,
            entry.logged_moment,
        )  # fmt: skip
        self.reviews.append(review)
