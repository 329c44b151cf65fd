"""Rules for risk findings: a registered monitor logs what a detector found, once, citing logged events.

A ``risk.finding`` names its detector, the actor at issue and the evidence (event ids, sorted); it follows no
parent. Only a registered monitor may sign one, every piece of evidence must be a logged event (not itself a
finding), and one finding — a detector with one evidence set — is logged once. A sanction or a recall may name a
finding it acts on (``data.finding``): the finding must be logged and about what is acted on (a sanction's actor
is the finding's actor; a recall's batch is one the finding concerns), and is then no longer open.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ledger.errors import FindingActorMismatch, FindingBatchMismatch, FindingExists, UnknownEvidence, UnknownFinding
from ledger.events.schemas import RiskFinding
from ledger.identifiers import parse_subject
from ledger.rules.context import Context
from ledger.rules.views import (
    EVENTS,
    PARCELS,
    RISK_EVIDENCE,
    RISK_FINGERPRINTS,
    RISKS,
    FingerprintRow,
    FlagRow,
    RiskRow,
)

MONITOR = "monitor"
FINDING_KIND = "risk.finding"


def fingerprint(detector: str, evidence: Sequence[str]) -> str:
    """What makes two findings the same: the detector and the set of evidence ids (SHA-256, hex)."""
    text = "\n".join([detector, *sorted(set(evidence))])
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def finding(ctx: Context) -> None:
    """A registered monitor logs a detector's finding over logged evidence, once."""
    ctx.registered_signer(MONITOR)
    ctx.only_signed_by_actor()
    ctx.parents(0)
    data = ctx.data(RiskFinding)
    if data.actor is not None:
        ctx.actor_row(data.actor)
    for event_id in data.evidence:
        cited = ctx.state.get(EVENTS, event_id)
        if cited is None:
            raise UnknownEvidence(f"evidence {event_id} is not an event of this log")
        if cited["kind"] == FINDING_KIND:
            raise UnknownEvidence(f"evidence {event_id} is a finding itself; a finding cites what was found")
    key = fingerprint(data.detector, data.evidence)
    logged = ctx.state.get(RISK_FINGERPRINTS, key)
    if logged is not None:
        raise FindingExists(f"detector {data.detector} already found this evidence in {logged['finding']}")
    once: FingerprintRow = {"finding": ctx.event_id}
    ctx.state.put(RISK_FINGERPRINTS, key, once)
    row: RiskRow = {
        "detector": data.detector, "subject": ctx.subject, "actor": data.actor, "evidence": list(data.evidence),
        "status": "open", "actions": [], "index": ctx.index, "logged_at": ctx.stamp,
    }  # fmt: skip
    ctx.state.put(RISKS, ctx.event_id, row)
    for event_id in data.evidence:
        flagged = ctx.state.get(RISK_EVIDENCE, event_id)
        cited_by: FlagRow = {"findings": [*(flagged["findings"] if flagged else []), ctx.event_id]}
        ctx.state.put(RISK_EVIDENCE, event_id, cited_by)


def sanction_acts_on(ctx: Context, finding_id: str | None, actor_id: str) -> None:
    """A sanction of ``actor_id`` naming ``finding_id`` acts on that logged finding about the same actor."""
    if finding_id is None:
        return
    row = _logged_finding(ctx, finding_id)
    if row["actor"] != actor_id:
        about = row["actor"] or "no actor"
        raise FindingActorMismatch(f"finding {finding_id} is about {about}, not {actor_id}")
    _acted_on(ctx, finding_id, row)


def recall_acts_on(ctx: Context, finding_id: str | None, batch_path: str) -> None:
    """A recall of ``batch_path`` naming ``finding_id`` acts on that logged finding about the batch."""
    if finding_id is None:
        return
    row = _logged_finding(ctx, finding_id)
    if batch_path not in _batches_concerned(ctx, row):
        raise FindingBatchMismatch(f"finding {finding_id} concerns neither batch {batch_path} nor its goods")
    _acted_on(ctx, finding_id, row)


def _batches_concerned(ctx: Context, row: RiskRow) -> set[str]:
    """The batches a finding is about: that of its subject, and those its evidence events are about, a parcel's
    being the batches it carries."""
    paths = [row["subject"]]
    for event_id in row["evidence"]:
        cited = ctx.state.get(EVENTS, event_id)
        paths += [cited["subject"]] if cited else []
    batches: set[str] = set()
    for path in paths:
        batch_path = parse_subject(path).batch_path  # a batch's own path, or an item's batch
        if batch_path is not None:
            batches.add(batch_path)
        elif (parcel := ctx.state.get(PARCELS, path)) is not None:
            batches.update(content["batch"] for content in parcel["contents"])
    return batches


def _logged_finding(ctx: Context, finding_id: str) -> RiskRow:
    row = ctx.state.get(RISKS, finding_id)
    if row is None:
        raise UnknownFinding(f"{finding_id} is not a risk finding of this log")
    return row


def _acted_on(ctx: Context, finding_id: str, row: RiskRow) -> None:
    """The event being decided acts on the finding, which is then no longer open."""
    acted: RiskRow = {**row, "status": "acted", "actions": [*row["actions"], ctx.event_id]}
    ctx.state.put(RISKS, finding_id, acted)
