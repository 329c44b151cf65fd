"""The risk detectors, one function each: a rule over a ``LogDigest``, yielding the findings it meets.

Each yields a ``Finding`` naming its detector, the subject and actor at issue and the evidence (logged event ids).
Thresholds are in ``ledger.risk.thresholds``. Evidence is the earliest events meeting the rule, so that a log
growing by later events keeps every finding the same (and a monitor logs each one once).
Scans of codes never issued are found by ``ledger.risk.scans``, which reads the portal's scans beside the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from ledger.events import format_time
from ledger.identifiers import actor_subject
from ledger.risk.digest import LogDigest, Receipt, Review
from ledger.risk.places import distance_km, locate
from ledger.risk.thresholds import (
    BURST_COUNT,
    BURST_WINDOW,
    CAPTIVE_KEY_PARCELS,
    CAPTIVE_REVIEWER_RECEIPTS,
    TRAVEL_MAX_KMH,
    TRAVEL_MIN_KM,
)
from ledger.rules.risk import fingerprint


@dataclass(frozen=True)
class ScanFacts:
    """The portal's scans of a batch's codes never issued, as a finding states them (its ``data.scans``)."""

    codes: tuple[str, ...]  # batch or item paths, sorted
    count: int
    first: datetime
    last: datetime
    places: tuple[str, ...]  # city names, sorted

    def data(self) -> dict[str, object]:
        return {
            "codes": list(self.codes), "count": self.count, "first": format_time(self.first),
            "last": format_time(self.last), "places": list(self.places),
        }  # fmt: skip


@dataclass(frozen=True)
class Finding:
    detector: str
    subject: str  # a batch, item, parcel or actor path
    actor: str | None  # USCC of the actor at issue
    evidence: tuple[str, ...]  # event ids, sorted and distinct
    scans: ScanFacts | None = None  # the scans detector's attestation

    @classmethod
    def of(
        cls, detector: str, subject: str, actor: str | None, evidence: Iterable[str], scans: ScanFacts | None = None
    ) -> Finding:
        return cls(detector, subject, actor, tuple(sorted(set(evidence))), scans)

    @property
    def fingerprint(self) -> str:
        """What makes it the same finding as one logged (``ledger.rules.risk.fingerprint``)."""
        return fingerprint(self.detector, self.evidence, self.subject if self.scans else None)


def no_independent_custody(log: LogDigest) -> Iterator[Finding]:
    """空包裹 / self-dealt receipts: a consumer signed for a parcel that no actor other than its sender ever took
    custody of (no courier scanned it), so nothing but the sender's word says goods were sent. Cites the
    parcel's dispatch, its handoffs and the receipt."""
    for receipt in log.receipts.values():
        parcel = log.parcels[receipt.parcel]
        if not parcel.handlers - {parcel.sender}:
            moves = [move.event for move in parcel.moves]
            yield Finding.of("no_independent_custody", receipt.parcel, parcel.sender, [*moves, receipt.event])


def captive_consignee(log: LogDigest) -> Iterator[Finding]:
    """Consignee keys declared only by the seller: a consumer key that ``CAPTIVE_KEY_PARCELS`` dispatches or more
    were sent to, all by one sender and by no one else, as keys a shop made itself to buy from itself are. Cites
    the first such dispatches."""
    for parcels in log.declared.values():
        senders = {log.parcels[path].sender for path in parcels}
        sender = senders.pop() if len(senders) == 1 else None
        if sender is not None and len(parcels) >= CAPTIVE_KEY_PARCELS:
            dispatches = [log.parcels[path].dispatch for path in parcels[:CAPTIVE_KEY_PARCELS]]
            yield Finding.of("captive_consignee", actor_subject(sender).path, sender, dispatches)


def _bursts(events: list[tuple[str, datetime]]) -> Iterator[list[str]]:
    """Runs of ``BURST_COUNT`` events (in log order) within ``BURST_WINDOW``; counting restarts after each run."""
    start = 0
    while start + BURST_COUNT <= len(events):
        end = start + BURST_COUNT - 1
        if events[end][1] - events[start][1] <= BURST_WINDOW:
            yield [event for event, _ in events[start : end + 1]]
            start = end + 1
        else:
            start += 1


def receipt_burst(log: LogDigest) -> Iterator[Finding]:
    """A burst of receipts: ``BURST_COUNT`` consumer receipts of one sender's parcels logged within
    ``BURST_WINDOW``, as brushing (刷单) makes them. Cites the receipts."""
    by_sender: dict[str, list[tuple[str, datetime]]] = {}
    for receipt in log.receipts.values():
        if receipt.sender is not None:
            by_sender.setdefault(receipt.sender, []).append((receipt.event, receipt.logged))
    for sender, receipts in by_sender.items():
        for burst in _bursts(receipts):
            yield Finding.of("receipt_burst", actor_subject(sender).path, sender, burst)


def review_burst(log: LogDigest) -> Iterator[Finding]:
    """A burst of reviews: ``BURST_COUNT`` first reviews of one batch's goods sent by one sender, logged within
    ``BURST_WINDOW``. Cites the reviews; the subject is the batch."""
    by_sender: dict[tuple[str, str], list[tuple[str, datetime]]] = {}
    for review in log.reviews:
        if review.sender is not None:
            by_sender.setdefault((review.sender, review.batch), []).append((review.event, review.logged))
    for (sender, batch), reviews in by_sender.items():
        for burst in _bursts(reviews):
            yield Finding.of("review_burst", batch, sender, burst)


def impossible_travel(log: LogDigest) -> Iterator[Finding]:
    """Handoffs physically impossible: two consecutive custody moves of a parcel (its dispatch and handoffs)
    whose places, located by the gazetteer of ``ledger.risk.places`` (free text naming none is not compared),
    lie ``TRAVEL_MIN_KM`` or more apart and were covered faster than ``TRAVEL_MAX_KMH`` by their signers'
    claimed times. Cites the two moves; the actor is the custodian claiming the later one."""
    for path, parcel in log.parcels.items():
        for before, after in zip(parcel.moves, parcel.moves[1:], strict=False):
            here, there = locate(before.place), locate(after.place)
            if here is None or there is None:
                continue
            km = distance_km(here, there)
            hours = (after.time - before.time).total_seconds() / 3600
            if km >= TRAVEL_MIN_KM and (hours <= 0 or km / hours > TRAVEL_MAX_KMH):
                yield Finding.of("impossible_travel", path, after.actor, [before.event, after.event])


def repeated_serial(log: LogDigest) -> Iterator[Finding]:
    """Repeated sales of one serial: an item (a serialised code) dispatched to a consumer again after it was
    first dispatched to one; one item is sold once. Cites the first sale's dispatch and the later one's."""
    for item, parcels in log.sales.items():
        first = log.parcels[parcels[0]]
        for path in parcels[1:]:
            again = log.parcels[path]
            yield Finding.of("repeated_serial", item, again.sender, [first.dispatch, again.dispatch])


def captive_reviewer(log: LogDigest) -> Iterator[Finding]:
    """Reviews by keys that only ever buy from one shop: a key that signed for ``CAPTIVE_REVIEWER_RECEIPTS``
    parcels or more, every one from the same sender, and reviewed that many times. Cites its first reviews."""
    receipts: dict[str, list[Receipt]] = {}
    for receipt in log.receipts.values():
        receipts.setdefault(receipt.consignee, []).append(receipt)
    reviews: dict[str, list[Review]] = {}
    for review in log.reviews:
        reviews.setdefault(review.consignee, []).append(review)
    for kid, written in reviews.items():
        senders = {receipt.sender for receipt in receipts[kid]}
        sender = senders.pop() if len(senders) == 1 else None
        enough = min(len(receipts[kid]), len(written)) >= CAPTIVE_REVIEWER_RECEIPTS
        if sender is not None and enough:
            cited = [review.event for review in written[:CAPTIVE_REVIEWER_RECEIPTS]]
            yield Finding.of("captive_reviewer", actor_subject(sender).path, sender, cited)


#: The detectors of the log alone, by name, in the order they run; with ``ledger.risk.scans``'s they are
#: ``ledger.events.schemas.DETECTORS``.
DETECTORS: dict[str, Callable[[LogDigest], Iterator[Finding]]] = {
    "no_independent_custody": no_independent_custody,
    "captive_consignee": captive_consignee,
    "receipt_burst": receipt_burst,
    "review_burst": review_burst,
    "impossible_travel": impossible_travel,
    "repeated_serial": repeated_serial,
    "captive_reviewer": captive_reviewer,
}
