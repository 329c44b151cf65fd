"""Scans: who looked at a product code on the verify portal, kept coarse enough to hold no personal data.

A scan is not a log event: it is never signed, never in the Merkle tree and not one of the derived views, so
``Ledger.reindex`` and the audit leave it alone. It exists for one warning: a serialised item whose code turns up in
several distant places at once, or on far more devices than one household owns after its receipt, was probably
copied onto counterfeits.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from ledger.events import format_time, parse_time
from ledger.store.ledger import Ledger
from ledger.store.tables import ScanRow

SCANS = ScanRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes

NETWORK_PLACE_PREFIX = "net:"  # a place known only by the client's network, shown as "unknown place"
MAX_PLACE_LENGTH = 64

# One genuine item sits in one household: its owner may scan it at the shop, at home and at work, but those are one
# city. Three different cities within a day means several physical copies of the code are in circulation.
COPY_PLACES = 3
COPY_WINDOW = timedelta(days=1)
# A household scans its purchase from a few devices (unpacking, showing it to family, before a review); more than
# twenty different devices after the consumer signed for it mean the code is printed on goods the log never saw.
# Devices, not raw scans: one person reloading the page, or pressing it on purpose, must not brand an item a copy.
MAX_DEVICES_AFTER_RECEIPT = 20


@dataclass(frozen=True)
class Scan:
    scanned_at: datetime
    place: str  # a city name, or NETWORK_PLACE_PREFIX + the client's network
    agent: str  # salted hash of the user agent

    @property
    def device(self) -> tuple[str, str]:
        """What tells one scanning device from another without knowing it: its agent hash and its place."""
        return self.agent, self.place


@dataclass(frozen=True)
class CopySuspicion:
    """Why a code may have been copied: the places seen within one window, or the scans since receipt."""

    places: tuple[str, ...] = ()
    devices_after_receipt: int = 0


def agent_hash(salt: bytes, user_agent: str) -> str:
    """A salted hash of a user agent: tells repeat devices apart without storing what they are."""
    return hmac.new(salt, user_agent.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def is_named(place: str) -> bool:
    """Whether a place is a city named by the edge, rather than only a network."""
    return not place.startswith(NETWORK_PLACE_PREFIX)


def record_scan(ledger: Ledger, subject: str, place: str, agent: str, at: datetime | None = None) -> None:
    """Store one scan of ``subject`` (a canonical subject path)."""
    row = {
        "subject": subject,
        "scanned_at": format_time(at or datetime.now(UTC), milliseconds=True),
        "place": place[:MAX_PLACE_LENGTH],
        "agent": agent,
    }
    with ledger.engine.begin() as conn:
        conn.execute(insert(SCANS), [row])


def scan_count(ledger: Ledger, subject: str) -> int:
    """How many times ``subject`` was scanned: counted by the database, as a batch code on every pack piles up."""
    query = select(func.count()).select_from(SCANS).where(SCANS.c.subject == subject)
    with ledger.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def scans_of(ledger: Ledger, subject: str) -> list[Scan]:
    """Every scan of ``subject``, oldest first (what the copy warning of one serialised item reads)."""
    query = select(SCANS.c.scanned_at, SCANS.c.place, SCANS.c.agent).where(SCANS.c.subject == subject)
    with ledger.engine.connect() as conn:
        rows = conn.execute(query.order_by(SCANS.c.scanned_at, SCANS.c.id)).all()
    return [Scan(parse_time(at, "scanned_at"), place, agent) for at, place, agent in rows]


def _places_within_window(scans: Sequence[Scan]) -> tuple[str, ...]:
    """The most distinct named places seen within any one COPY_WINDOW (scans in time order), first seen first.

    One pass with a sliding window: anyone can add scans to a code, so the page must stay linear in them.
    """
    named = [s for s in scans if is_named(s.place)]
    best: tuple[str, ...] = ()
    inside: Counter[str] = Counter()  # the window's places, with how many of its scans each has
    start = 0
    for end, scan in enumerate(named):
        inside[scan.place] += 1
        while scan.scanned_at - named[start].scanned_at > COPY_WINDOW:
            inside[named[start].place] -= 1
            if not inside[named[start].place]:
                del inside[named[start].place]
            start += 1
        if len(inside) > len(best):  # at most once per distinct place
            best = tuple(dict.fromkeys(s.place for s in named[start : end + 1]))
    return best


def copy_suspicion(scans: Sequence[Scan], received_at: datetime | None) -> CopySuspicion | None:
    """A serialised item's scans (oldest first) and when its consumer signed for it: a reason to warn, or None."""
    places = _places_within_window(scans)
    devices = len({s.device for s in scans if received_at is not None and s.scanned_at > received_at})
    if len(places) >= COPY_PLACES or devices > MAX_DEVICES_AFTER_RECEIPT:
        return CopySuspicion(places if len(places) >= COPY_PLACES else (), devices)
    return None
