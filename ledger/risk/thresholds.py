"""Every threshold of the risk detectors, in one place, with the reason for its value.

Findings are leads for a regulator's queue, not verdicts: each threshold is set so that the ordinary traffic of a
shop (one consumer buying once, a parcel crossing a province by road in a day) stays below it.
"""

from __future__ import annotations

from datetime import timedelta

#: captive_consignee: a consignee key declared by this many dispatches, every one of them by the same sender.
#: A consumer buying again from a favourite shop reaches 2 often, 3 with every order from one shop rarely.
CAPTIVE_KEY_PARCELS = 3

#: captive_reviewer: a key that signed for at least this many parcels, all from one shop, and reviewed its goods;
#: the finding cites the key's first reviews, this many of them.
CAPTIVE_REVIEWER_RECEIPTS = 2

#: receipt_burst and review_burst: this many receipts signed for one sender's parcels (or first reviews of one
#: sender's goods of one batch), logged within this window, are a burst. Times are the log's (``logged_at``),
#: which a signer cannot choose. Bursts do not overlap: counting starts again after each one.
BURST_COUNT = 5
BURST_WINDOW = timedelta(hours=1)

#: impossible_travel: consecutive custody moves of a parcel (dispatch, handoffs) whose places lie this far apart
#: at least, covered faster than this speed (an airliner's, with margin), by the times their signers claim.
#: Places nearer than the minimum are never compared: a city's coordinates stand for the whole city.
TRAVEL_MIN_KM = 50.0
TRAVEL_MAX_KMH = 1000.0
