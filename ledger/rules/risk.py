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

from ledger.errors import (
    FindingActorMismatch,
    FindingBatchMismatch,
    FindingExists,
    ScanFindingUnfounded,
    UnknownEvidence,
    UnknownFinding,
)
from ledger.events.schemas import RiskFinding, ScannedCodes
from ledger.identifiers import actor_subject, parse_subject
from ledger.rules.context import Context
from ledger.rules.serials import issued, issued_range
from ledger.rules.views import (
    BATCHES,
    EVENTS,
    GS1_PREFIXES,
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


def fingerprint(detector: str, evidence: Sequence[str], scanned: str | None = None) -> str:
    """What makes two findings the same: the detector and the set of evidence ids (SHA-256, hex); for a finding of
    scans, also the batch ``scanned``, since every lot under one GTIN prefix cites the same registration."""
    lines = [detector, *sorted(set(evidence)), *([f"scanned {scanned}"] if scanned is not None else [])]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


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
    if data.scans is not None:
        _never_issued(ctx, data.scans, data)
    key = fingerprint(data.detector, data.evidence, ctx.subject if data.scans else None)
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


def _never_issued(ctx: Context, scans: ScannedCodes, data: RiskFinding) -> None:
    """A finding of scans of codes never issued is borne out by the log (``ledger.risk.scans``): its codes are of
    its batch, and either the batch's production (cited; its producer named) issued none of them, or the batch was
    never produced and its GTIN is under a GS1 prefix of the actor named, whose registration is cited."""
    if parse_subject(ctx.subject).kind != "batch":
        raise ScanFindingUnfounded(f"a finding of scans is about the codes' batch, not {ctx.subject}")
    strays = [code for code in scans.codes if parse_subject(code).batch_path != ctx.subject]
    if strays:
        raise ScanFindingUnfounded(f"code {strays[0]} is not of batch {ctx.subject}")
    batch = ctx.state.get(BATCHES, ctx.subject)
    if batch is not None:
        if batch["production"] not in data.evidence or data.actor != batch["producer"]:
            raise ScanFindingUnfounded(
                f"batch {ctx.subject} was produced: the finding cites its production {batch['production']} and "
                f"names its producer {batch['producer']}"
            )
        first, last = issued_range(batch["quantity"])
        for code in scans.codes:
            serial = parse_subject(code).serial
            if serial is None or issued(serial, batch["quantity"]):
                raise ScanFindingUnfounded(f"code {code} was issued: batch {ctx.subject} issued {first} to {last}")
        return
    gtin = parse_subject(ctx.subject).gtin or ""
    parts = (ctx.state.get(GS1_PREFIXES, gtin[1:end]) for end in range(7, 14))
    holders = {row["registered_by"] for row in parts if row is not None and row["registered_by"] is not None}
    if data.actor is None or data.actor not in holders:
        raise ScanFindingUnfounded(f"GTIN {gtin} is under no GS1 company prefix of {data.actor or 'the actor named'}")
    registration = actor_subject(data.actor).path
    cited = [ctx.state.get(EVENTS, event_id) for event_id in data.evidence]
    if not any(row and row["kind"] == "actor.register" and row["subject"] == registration for row in cited):
        raise ScanFindingUnfounded(f"the finding cites no registration of {data.actor}, the holder of GTIN {gtin}")


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
