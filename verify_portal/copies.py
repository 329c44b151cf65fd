"""Copy detection, the portal's policy over the scans it records: when a serialised item's code was probably copied
onto counterfeits. The scans themselves are stored by ``ledger.store.scans``; this module decides what they mean.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ledger.store.scans import NETWORK_PLACE_PREFIX, Scan

# One genuine item sits in one household: its owner may scan it at the shop, at home and at work, but those are one
# city. Three different cities within a day means several physical copies of the code are in circulation.
COPY_PLACES = 3
COPY_WINDOW = timedelta(days=1)
# A household scans its purchase from a few devices (unpacking, showing it to family, before a review); more than
# twenty different devices after the consumer signed for it mean the code is printed on goods the log never saw.
# Devices, not raw scans: one person reloading the page, or pressing it on purpose, must not brand an item a copy.
MAX_DEVICES_AFTER_RECEIPT = 20
# A household is one place (its city, or its network): however many user agents one place shows, it counts as at
# most this many devices, so that one client varying its User-Agent header cannot pass for twenty households.
MAX_DEVICES_PER_PLACE = 3


@dataclass(frozen=True)
class CopySuspicion:
    """Why a code may have been copied: the places seen within one window, or the scans since receipt."""

    places: tuple[str, ...] = ()
    devices_after_receipt: int = 0


def is_named(place: str) -> bool:
    """Whether a place is a city named by the edge, rather than only a network."""
    return not place.startswith(NETWORK_PLACE_PREFIX)


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


def _devices_after(scans: Sequence[Scan], received_at: datetime) -> int:
    """The distinct devices that scanned after ``received_at``, each place counting at most MAX_DEVICES_PER_PLACE."""
    per_place: Counter[str] = Counter(place for _, place in {s.device for s in scans if s.scanned_at > received_at})
    return sum(min(count, MAX_DEVICES_PER_PLACE) for count in per_place.values())


def copy_suspicion(scans: Sequence[Scan], received_at: datetime | None) -> CopySuspicion | None:
    """A serialised item's scans (oldest first) and when its consumer signed for it: a reason to warn, or None."""
    places = _places_within_window(scans)
    devices = _devices_after(scans, received_at) if received_at is not None else 0
    if len(places) >= COPY_PLACES or devices > MAX_DEVICES_AFTER_RECEIPT:
        return CopySuspicion(places if len(places) >= COPY_PLACES else (), devices)
    return None
