"""The never-issued-code detector as a pure function over a digest and the portal's scans (ledger.risk.scans)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger.risk import ScanTally, detect
from ledger.risk.digest import Batch, LogDigest, PrefixHolder
from ledger.risk.scans import never_issued_scans
from tests.scenarios.world import gtin

PRODUCTION, REGISTRATION = "a" * 64, "b" * 64
PRODUCER = "91530300MA6K5X2Y36"
BATCH = f"01/{gtin('690123', 1)}/10/LOT1"
START = datetime(2026, 12, 1, tzinfo=UTC)


def _digest() -> LogDigest:
    return LogDigest(
        batches={BATCH: Batch(PRODUCTION, 200, PRODUCER)}, prefixes={"690123": PrefixHolder(REGISTRATION, PRODUCER)}
    )


def test_a_tally_counts_every_scan_and_names_only_cities() -> None:
    tally = ScanTally()
    for hours, city in ((2, "曲靖市"), (0, None), (5, "昆明市"), (1, "曲靖市")):
        tally.add(f"{BATCH}/21/0201", START + timedelta(hours=hours), city)
    seen = tally.codes[f"{BATCH}/21/0201"]
    assert (seen.count, seen.first, seen.last) == (4, START, START + timedelta(hours=5))
    assert seen.places == {"曲靖市", "昆明市"}


def test_one_finding_a_batch_citing_its_first_codes_in_order() -> None:
    tally = ScanTally()
    for serial in range(201, 231):  # thirty codes beyond the 200 issued, scanned in reverse order
        tally.add(f"{BATCH}/21/{431 - serial:04d}", START + timedelta(minutes=serial), "曲靖市")
    tally.add(f"{BATCH}/21/0200", START, "曲靖市")  # issued
    (finding,) = never_issued_scans(_digest(), tally.codes.values())
    assert (finding.subject, finding.actor, finding.evidence) == (BATCH, PRODUCER, (PRODUCTION,))
    assert finding.scans is not None
    assert finding.scans.codes == tuple(f"{BATCH}/21/{serial:04d}" for serial in range(201, 217))
    assert finding.scans.count == 16
    # more scans of the batch's never-issued codes make the same finding: the log holds it once
    tally.add(f"{BATCH}/21/9999", START, "广州市")
    assert [f.fingerprint for f in detect(_digest(), tally.codes.values())] == [finding.fingerprint]


def test_lots_never_produced_are_each_a_finding_and_unregistered_gtins_none() -> None:
    tally = ScanTally()
    for code in (f"01/{gtin('690123', 1)}/10/FAKE1", f"01/{gtin('690123', 2)}/10/FAKE2/21/0001",
                 f"01/{gtin('690999', 1)}/10/LOT1", BATCH, f"{BATCH}/21/0001"):  # fmt: skip
        tally.add(code, START, "曲靖市")
    found = never_issued_scans(_digest(), tally.codes.values())
    assert [(f.subject, f.evidence) for f in found] == [
        (f"01/{gtin('690123', 1)}/10/FAKE1", (REGISTRATION,)),
        (f"01/{gtin('690123', 2)}/10/FAKE2", (REGISTRATION,)),
    ]
