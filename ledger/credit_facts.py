"""What the log's views say about one party's ratings (and, below, commitments), for the API and the credit file.

The figures are those of the views the rules keep (``rating_totals``), which reindex rebuilds and the audit
recomputes; this module only reads and presents them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.errors import InvalidIdentifier
from ledger.identifiers import validate_uscc
from ledger.rules.views import RATING_TOTALS
from ledger.store.ledger import Ledger

_KID = re.compile(r"[0-9a-f]{32}")


def average_tenths(total: int, count: int) -> str:
    """``total / count`` to one decimal, halves rounded up, in integers (fields.js computes it the same way)."""
    tenths = (total * 20 + count) // (2 * count)
    return f"{tenths // 10}.{tenths % 10}"


@dataclass(frozen=True)
class RatingSummary:
    count: int
    sum: int
    average: str  # to one decimal, halves rounded up


@dataclass(frozen=True)
class PartyRatings:
    """The ratings a party received, by what it was to the parcels: courier, sender or buyer."""

    party: str  # a USCC, or a buyer's consignee key id
    received: dict[str, RatingSummary]


def party_id(text: str) -> str:
    """A rated party's id: a consignee key id (32 lowercase hex digits) or a valid USCC."""
    if _KID.fullmatch(text):
        return text
    try:
        return validate_uscc(text)
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(f"{text!r} is neither a key id (32 hex digits) nor a USCC: {exc.detail}") from None


def party_ratings(ledger: Ledger, party: str) -> PartyRatings:
    """The ratings ``party`` received (none is an empty ``received``, not an error: anyone may be unrated)."""
    party = party_id(party)
    row = ledger.view(RATING_TOTALS, party)
    received = {
        role: RatingSummary(t["count"], t["sum"], average_tenths(t["sum"], t["count"]))
        for role, t in sorted((row["received"] if row else {}).items())
    }
    return PartyRatings(party, received)
