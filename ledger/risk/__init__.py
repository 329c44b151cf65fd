"""Risk detectors: pure functions over a log's entries that find patterns of fraud for a regulator's queue.

The detectors read a ``LogDigest`` (``ledger.risk.digest``: one pass over the decoded entries, no database) and
return ``Finding``s; a monitor signs each as a ``risk.finding`` event (``ledger.rules.risk`` decides those).
Each detector's rule is in its docstring (``ledger.risk.detectors``), its thresholds in
``ledger.risk.thresholds``. Evidence is chosen so that a finding stays the same as the log grows: an append-only
log only adds later events, and each detector cites the earliest events that meet its rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from ledger.events import LogEntry
from ledger.risk.detectors import DETECTORS, Finding
from ledger.risk.digest import LogDigest
from ledger.risk.scans import ScannedCode, ScanTally, never_issued_scans

__all__ = ["DETECTORS", "Finding", "LogDigest", "ScanTally", "ScannedCode", "detect", "digest_of"]


def detect(log: LogDigest, scanned: Iterable[ScannedCode] = ()) -> list[Finding]:
    """Every finding of every detector over ``log`` (and the portal's ``scanned`` codes), each once, in the
    detectors' order, the scans detector last."""
    found: dict[str, Finding] = {}
    for finding in chain(*(detector(log) for detector in DETECTORS.values()), never_issued_scans(log, scanned)):
        found.setdefault(finding.fingerprint, finding)
    return list(found.values())


def digest_of(entries: Iterable[LogEntry]) -> LogDigest:
    """The digest of a whole log's entries, in log order."""
    log = LogDigest()
    for entry in entries:
        log.add(entry)
    return log
