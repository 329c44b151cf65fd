"""What a consumer should see about a subject: the entries of its history and a summary of where it went.

"Source checkable, destination traceable": an item shows its batch and every parcel that carried it; a batch shows
its production (and inputs, naming those now recalled), inspections, listings, recalls, reviews, complaints and
resolutions, with a distribution summary; a parcel shows its dispatch, each handoff and the receipt (and a case
the events of the pallet it travelled on). Every entry
comes with the registrations of the keys that signed it, so a verifier can check who each signer is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ledger.errors import NotFound
from ledger.identifiers import Subject, parse_subject
from ledger.rules.context import black_listed
from ledger.rules.views import ACTORS, BATCHES, ITEMS, KEYS, PARCELS, PUBLIC_KEYS, SANCTIONS, BatchRow, Ratings
from ledger.store.ledger import LogReads, StoredEntry
from ledger.trace import batch_parcels


@dataclass(frozen=True)
class Distribution:
    """Where a batch's quantity is now: produced = held + in transit + delivered to consumers."""

    produced: int
    unit: str
    held: dict[str, int]
    in_transit: int
    delivered: int
    listings: int
    rating_count: int
    rating_sum: int


@dataclass(frozen=True)
class History:
    subject: Subject
    entries: list[StoredEntry]  # the subject's own history, in log order
    registrations: list[StoredEntry]  # the events vouching for every key that signed them, back to genesis
    batch: BatchRow | None = None
    distribution: Distribution | None = None
    parcels: list[str] = field(default_factory=list)
    recalled: bool = False
    recalled_inputs: list[str] = field(default_factory=list)  # the batches it was made from that are now recalled
    black_listed: list[str] = field(default_factory=list)  # actors in the history now on the black list


_NO_RATINGS: Ratings = {"count": 0, "sum": 0}


def _distribution(batch: BatchRow, ratings: Ratings) -> Distribution:
    """The batch's distribution, with the rating of the subject shown (the batch's, or an item's own)."""
    return Distribution(
        produced=batch["quantity"], unit=batch["unit"], held=dict(batch["holdings"]),
        in_transit=batch["in_transit"], delivered=batch["delivered"], listings=len(batch["listings"]),
        rating_count=ratings["count"], rating_sum=ratings["sum"],
    )  # fmt: skip


def subject_history(ledger: LogReads, path: str) -> History:
    """The history of a batch, item or parcel subject path; NotFound when the log knows nothing of it."""
    subject = parse_subject(path)
    batch_path = subject.batch_path
    batch = ledger.view(BATCHES, batch_path) if batch_path else None
    parcels: list[str] = []
    ratings = batch["reviews"] if batch else _NO_RATINGS
    if subject.kind == "item":
        item = ledger.view(ITEMS, subject.path)
        parcels = list(item["parcels"]) if item else []
        ratings = item.get("reviews", _NO_RATINGS) if item else _NO_RATINGS
        about = ledger.entries_about([batch_path or "", subject.path, *parcels])
        entries = [e for e in about if e.kind != "review" or e.subject == subject.path]  # its own, not the batch's
    elif subject.kind == "batch":
        parcels = list(batch_parcels(ledger, subject.path))
        entries = ledger.entries_about([subject.path], under=subject.path + "/21/")
    elif subject.kind == "parcel":
        parcel = ledger.view(PARCELS, subject.path)
        parcels = [subject.path] if parcel else []
        pallet = [parcel["pallet"]] if parcel and "pallet" in parcel else []  # a case: the pallet it travelled on
        entries = ledger.entries_about([subject.path, *pallet])
    else:
        raise NotFound(f"{path} is not a product or parcel subject")
    if not entries:
        raise NotFound(f"the log holds nothing about {subject.path}")
    recalled_inputs: list[str] = []
    if batch is not None:
        inputs = [ledger.entry_by_event_id(i) for i in batch.get("inputs", [])]
        entries = sorted({e.leaf_index: e for e in entries + inputs}.values(), key=lambda e: e.leaf_index)
        input_batches = ledger.view_rows(BATCHES, {e.subject for e in inputs})
        recalled_inputs = sorted(path for path, row in input_batches.items() if row["recall"])
    registrations, actors = _signers(ledger, entries)
    sanctions = ledger.view_rows(SANCTIONS, actors)
    now = datetime.now(UTC)
    return History(
        subject=subject,
        entries=entries,
        registrations=registrations,
        batch=batch,
        distribution=_distribution(batch, ratings) if batch else None,
        parcels=parcels,
        recalled=bool(batch and batch["recall"]),
        recalled_inputs=recalled_inputs,
        black_listed=sorted(a for a in actors if black_listed(sanctions.get(a), now)),
    )


def _signing_kids(entry: StoredEntry) -> list[str]:
    """The keyids that signed a logged entry (read from its stored bytes, not parsed: an entry edited in the
    database is still served, for the verifier to name)."""
    return [signature["keyid"] for signature in json.loads(entry.data)["envelope"]["signatures"]]


def _signers(ledger: LogReads, entries: list[StoredEntry]) -> tuple[list[StoredEntry], set[str]]:
    """The entries that vouch for every key signing ``entries``, closed back to genesis, and the signing actors.

    A registered key is vouched for by its registration (and its actor's), which a registrar signed, whose key
    was registered in turn, and so on to genesis, signed by the log key a verifier pins. A consumer's key is
    vouched for by the dispatch that declared it. A verifier needs all of them to know each key it checks.
    """
    own = {e.event_id for e in entries}
    found: dict[str, StoredEntry] = {}
    actors: set[str] = set()
    pending, first = entries, True
    while pending:
        kids = {kid for entry in pending for kid in _signing_kids(entry)}
        keys = ledger.view_rows(KEYS, kids)
        declared = ledger.view_rows(PUBLIC_KEYS, kids - keys.keys())
        wanted = {row["event"] for row in declared.values()} | {key["event"] for key in keys.values()}
        holders = {key["actor"] for key in keys.values()}
        registrations = ledger.view_rows(ACTORS, holders)
        wanted.update(row["registration"] for row in registrations.values())
        if first:
            actors, first = holders, False
        pending = ledger.entries_by_event_ids(wanted - own - found.keys())
        found.update((e.event_id, e) for e in pending)
    return sorted(found.values(), key=lambda e: e.leaf_index), actors
