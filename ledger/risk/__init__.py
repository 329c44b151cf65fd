"""Risk detectors: pure functions over a log's entries that find patterns of fraud for a regulator's queue.

The detectors read a ``LogDigest`` (``ledger.risk.digest``: one pass over the decoded entries, no database) and
return ``Finding``s; a monitor signs each as a ``risk.finding`` event (``ledger.rules.risk`` decides those).
Each detector's rule is in its docstring (``ledger.risk.detectors``), its thresholds in
``ledger.risk.thresholds``. Evidence is chosen so that a finding stays the same as the log grows: an append-only
log only adds later events, and each detector cites the earliest events that meet its rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from ledger.events import LogEntry
from ledger.risk.detectors import DETECTORS, Finding
from ledger.risk.digest import LogDigest
from ledger.rules.risk import fingerprint

__all__ = ["DETECTORS", "Finding", "LogDigest", "detect", "digest_of"]


def detect(log: LogDigest) -> list[Finding]:
    """Every finding of every detector over ``log``, each once, in the detectors' order."""
    found: dict[str, Finding] = {}
    for detector in DETECTORS.values():
        for finding in detector(log):
            found.setdefault(fingerprint(finding.detector, finding.evidence), finding)
    return list(found.values())


def digest_of(entries: Iterable[LogEntry]) -> LogDigest:
    """The digest of a whole log's entries, in log order."""
    log = LogDigest()
    for entry in entries:
        log.add(entry)
    return log
