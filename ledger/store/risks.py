"""Risk findings over a stored ledger: feeding its entries to the detectors, logging what they find, the queue.

The detectors themselves (``ledger.risk``) never read the database; this module hands them the entries a digest has
not seen (and the portal's scans a tally has not), drops the findings the log already holds (by fingerprint,
``risk_fingerprints``), and signs and appends the rest with a monitor's key. The queue is the ``risks`` view, which
the rules keep and reindex rebuilds; the reviews a finding flags are read from ``risk_evidence``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from ledger.errors import FindingExists
from ledger.events import LogEntry, sign_event
from ledger.events.builders import risk_finding_payload
from ledger.risk import Finding, LogDigest, ScanTally, detect
from ledger.rules.views import REVIEWS, RISK_EVIDENCE, RISK_FINGERPRINTS, RISKS, RiskRow
from ledger.store.ledger import AppendResult, Ledger, LogReads
from ledger.store.scans import catch_up_scans
from ledger.store.tables import VIEWS
from signer.keys import SigningKey

_CHUNK = 1000  # entries read at once


def catch_up(ledger: Ledger, digest: LogDigest) -> int:
    """Feed ``digest`` the entries it has not seen yet, in log order; how many there were."""
    size, start = ledger.size(), digest.size
    for first in range(start, size, _CHUNK):
        for stored in ledger.entries(first, min(first + _CHUNK, size)):
            digest.add(LogEntry.parse(stored.data))
    return size - start


def unlogged_findings(ledger: Ledger, digest: LogDigest, tally: ScanTally | None = None) -> list[Finding]:
    """What the detectors find in the whole log and the portal's scans (``digest`` and ``tally``, a fresh one if
    not given, caught up first) that the log does not hold yet."""
    tally = ScanTally() if tally is None else tally
    catch_up(ledger, digest)
    catch_up_scans(ledger, tally)
    found = {f.fingerprint: f for f in detect(digest, tally.codes.values())}
    logged = ledger.view_rows(RISK_FINGERPRINTS, found)
    return [finding for key, finding in found.items() if key not in logged]


def log_findings(ledger: Ledger, monitor: SigningKey, findings: Sequence[Finding]) -> list[AppendResult]:
    """Sign each finding with the monitor's key and append it on its own; one another process logged meanwhile
    is skipped (``FindingExists``). The results of those appended."""
    results = []
    for finding in findings:
        payload = risk_finding_payload(
            monitor, finding.subject, detector=finding.detector, evidence=finding.evidence, actor=finding.actor,
            scans=finding.scans.data() if finding.scans else None,
        )  # fmt: skip
        try:
            results += ledger.append([sign_event(payload, [monitor]).to_json()])
        except FindingExists:
            continue
    return results


@dataclass(frozen=True)
class QueuedRisk:
    finding: str  # the risk.finding event id
    row: RiskRow


def risk_queue(
    ledger: Ledger, *, status: str | None = None, actor: str | None = None, detector: str | None = None
) -> list[QueuedRisk]:
    """The logged findings in log order, those matching every filter given."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(VIEWS.c.key, VIEWS.c.value).where(VIEWS.c.view == RISKS)).all()
    queue = [QueuedRisk(key, json.loads(value)) for key, value in rows]
    wanted = [
        q for q in queue
        if (status is None or q.row["status"] == status) and (actor is None or q.row["actor"] == actor)
        and (detector is None or q.row["detector"] == detector)
    ]  # fmt: skip
    return sorted(wanted, key=lambda q: q.row["index"])


def flagged_reviews(ledger: LogReads, reviews: Iterable[str]) -> set[str]:
    """Those of ``reviews`` (event ids) that a finding cites, or whose receipt a finding cites: shown, but left
    out of averages."""
    wanted = list(reviews)
    receipts = {review: row["receipt"] for review, row in ledger.view_rows(REVIEWS, wanted).items()}
    cited = ledger.view_rows(RISK_EVIDENCE, [*wanted, *receipts.values()])
    return {review for review in wanted if review in cited or receipts.get(review) in cited}
