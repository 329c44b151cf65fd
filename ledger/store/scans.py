"""Scans: who looked at a product code on the verify portal, kept coarse enough to hold no personal data.

A scan is not a log event: it is never signed, never in the Merkle tree and not one of the derived views, so
``Ledger.reindex`` and the audit leave it alone. It exists for one warning, which is the portal's policy
(``verify_portal.copies``): a serialised item whose code turns up in several distant places at once, or on far
more devices than one household owns after its receipt, was probably copied onto counterfeits; and for the risk
monitor, which counts scans of codes never issued (``ledger.risk.scans``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from ledger.events import format_time, parse_time
from ledger.identifiers import parse_subject
from ledger.risk.scans import ScanTally
from ledger.store.engine import IMMEDIATE
from ledger.store.ledger import Ledger, LogReads
from ledger.store.tables import ScanRow

SCANS = ScanRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes

NETWORK_PLACE_PREFIX = "net:"  # a place known only by the client's network, shown as "unknown place"
MAX_PLACE_LENGTH = 64
# Rows kept per subject within any SCAN_BOUND_WINDOW: of an item from one place (a household scans its purchase a few
# times a day), and in all (a batch code printed on every pack is scanned by many, but need not grow without end).
SCAN_BOUND_WINDOW = timedelta(days=1)
MAX_SCANS_PER_PLACE = 5
MAX_SCANS_PER_SUBJECT = 1000


@dataclass(frozen=True)
class Scan:
    scanned_at: datetime
    place: str  # a city name, or NETWORK_PLACE_PREFIX + the client's network
    agent: str  # salted hash of the user agent

    @property
    def device(self) -> tuple[str, str]:
        """What tells one scanning device from another without knowing it: its agent hash and its place."""
        return self.agent, self.place


def agent_hash(salt: bytes, user_agent: str) -> str:
    """A salted hash of a user agent: tells repeat devices apart without storing what they are."""
    return hmac.new(salt, user_agent.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def record_scan(ledger: Ledger, subject: str, place: str, agent: str, at: datetime | None = None) -> bool:
    """Store one scan of ``subject`` (a canonical subject path), unless the bounds of the day are reached; returns
    whether it was stored.

    Anyone may load a product page as often as the rate limits allow, so what is kept is bounded: within a day, at
    most MAX_SCANS_PER_SUBJECT rows of one subject, and of one serialised item at most MAX_SCANS_PER_PLACE rows
    from one place (a city, or a client network). A flood then neither fills the disk nor makes one place look
    like many scanning households. A batch code is on every pack of the batch, so its scans are counted whichever
    network they come from.
    """
    moment = at or datetime.now(UTC)
    place = place[:MAX_PLACE_LENGTH]
    per_place = parse_subject(subject).kind == "item"
    since = format_time(moment - SCAN_BOUND_WINDOW, milliseconds=True)
    latest = (
        select(SCANS.c.scanned_at, SCANS.c.place)
        .where(SCANS.c.subject == subject)
        .order_by(SCANS.c.id.desc())
        .limit(MAX_SCANS_PER_SUBJECT)
    )  # the newest rows only, through the subject's index: the check costs the same however old the code
    row = {"subject": subject, "scanned_at": format_time(moment, milliseconds=True), "place": place, "agent": agent}
    with ledger.engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
        recent = [seen for scanned_at, seen in conn.execute(latest) if scanned_at > since]
        if len(recent) >= MAX_SCANS_PER_SUBJECT or (per_place and recent.count(place) >= MAX_SCANS_PER_PLACE):
            return False
        conn.execute(insert(SCANS), [row])
    return True


def scan_count(ledger: LogReads, subject: str) -> int:
    """How many times ``subject`` was scanned: counted by the database, as a batch code on every pack piles up."""
    query = select(func.count()).select_from(SCANS).where(SCANS.c.subject == subject)
    with ledger.reading() as conn:
        return int(conn.execute(query).scalar_one())


def scans_of(ledger: LogReads, subject: str) -> list[Scan]:
    """Every scan of ``subject``, oldest first (what the copy warning of one serialised item reads)."""
    query = select(SCANS.c.scanned_at, SCANS.c.place, SCANS.c.agent).where(SCANS.c.subject == subject)
    with ledger.reading() as conn:
        rows = conn.execute(query.order_by(SCANS.c.scanned_at, SCANS.c.id)).all()
    return [Scan(parse_time(at, "scanned_at"), place, agent) for at, place, agent in rows]


def catch_up_scans(ledger: Ledger, tally: ScanTally, chunk: int = 10_000) -> int:
    """Fold into ``tally`` the scans it has not read yet, oldest row first; how many there were. A place known
    only by the client's network is counted but not named."""
    read = 0
    query = select(SCANS.c.id, SCANS.c.subject, SCANS.c.scanned_at, SCANS.c.place).order_by(SCANS.c.id).limit(chunk)
    with ledger.engine.connect() as conn:
        while rows := conn.execute(query.where(SCANS.c.id > tally.last_id)).all():
            for row_id, subject, at, place in rows:
                city = None if place.startswith(NETWORK_PLACE_PREFIX) else place
                tally.add(subject, parse_time(at, "scanned_at"), city)
                tally.last_id = row_id
            read += len(rows)
    return read
