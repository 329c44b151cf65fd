"""Scans of codes never issued: the one detector that reads the portal's scans beside the log.

Scans are not log events (``ledger.store.scans``), so such a finding cannot cite them. It cites what the log says
about the code instead: a serial outside its batch's issued range cites the batch's production, which fixes that
range (``ledger.rules.serials``); a lot never produced under a registered GTIN prefix cites the registration of
the prefix's holder. Anyone can check from the log alone that the codes were never issued. What was scanned,
how often, when and in which cities the monitor states in the finding's own signed data (``data.scans``): that
is its attestation, and it holds no personal data (no device hash, no network, no person).

The detector groups the codes by batch, one finding a batch: its subject is the batch (produced or not), its
actor the code's owner (the producer, or the prefix's holder), whose labels were copied or who printed codes it
never logged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ledger.events.schemas import MAX_SCAN_PLACES, MAX_SCANNED_CODES, SCAN_DETECTOR
from ledger.identifiers import parse_subject
from ledger.risk.detectors import Finding, ScanFacts
from ledger.risk.digest import LogDigest
from ledger.rules.serials import issued


@dataclass
class ScannedCode:
    """The portal's scans of one code (a batch or item path), summed."""

    code: str
    count: int
    first: datetime
    last: datetime
    places: set[str] = field(default_factory=set)  # city names (a scan placed only by its network has none)


@dataclass
class ScanTally:
    """Every code's scans, folded in as they are read (``ledger.store.scans.catch_up_scans``)."""

    last_id: int = 0  # the last scan row read
    codes: dict[str, ScannedCode] = field(default_factory=dict)

    def add(self, code: str, at: datetime, city: str | None) -> None:
        """One more scan of ``code``, in ``city`` (None: placed by the client's network alone, never named)."""
        seen = self.codes.get(code)
        if seen is None:
            seen = self.codes[code] = ScannedCode(code, 0, at, at)
        seen.count += 1
        seen.first, seen.last = min(seen.first, at), max(seen.last, at)
        if city is not None:
            seen.places.add(city)


def never_issued_scans(log: LogDigest, scanned: Iterable[ScannedCode]) -> Iterator[Finding]:
    """Codes scanned on the portal that the log never issued: a serial outside its produced batch's range, or
    any code of a lot never produced under a registered GTIN prefix. One finding a batch, carrying its first
    ``MAX_SCANNED_CODES`` codes (sorted) and their scans; codes of unregistered GTINs are no one's to answer for."""
    by_batch: dict[str, tuple[str, str | None, list[ScannedCode]]] = {}  # batch → (evidence, actor, codes)
    for code in scanned:
        subject = parse_subject(code.code)
        batch_path, gtin = subject.batch_path, subject.gtin
        if batch_path is None or gtin is None:
            continue
        batch = log.batches.get(batch_path)
        if batch is not None:
            if subject.serial is None or issued(subject.serial, batch.quantity):
                continue
            owner = (batch.production, batch.producer)
        else:
            holder = log.prefix_holder(gtin)
            if holder is None:
                continue
            owner = (holder.registration, holder.actor)
        by_batch.setdefault(batch_path, (*owner, []))[2].append(code)
    for batch_path, (evidence, actor, codes) in by_batch.items():
        cited = sorted(codes, key=lambda c: c.code)[:MAX_SCANNED_CODES]
        facts = ScanFacts(
            codes=tuple(c.code for c in cited),
            count=sum(c.count for c in cited),
            first=min(c.first for c in cited),
            last=max(c.last for c in cited),
            places=tuple(sorted(set().union(*(c.places for c in cited)))[:MAX_SCAN_PLACES]),
        )
        yield Finding.of(SCAN_DETECTOR, batch_path, actor, [evidence], scans=facts)
