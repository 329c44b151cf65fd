"""What an audit reports: each discrepancy as a ``Finding`` (where, which index, why), and the whole report."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from signer.encoding import b64

MAX_FINDINGS = 100  # past this the report only counts: one corruption often shows in many places
#: Findings at one log position are reported in this order: an entry's own problems before the nodes over it.
POSITIONAL = ("entry", "merkle-node", "tile", "checkpoint", "saved-checkpoint")


@dataclass(frozen=True)
class Finding:
    """One discrepancy: ``where`` is what holds it (entry, node, tile, checkpoint, saved-checkpoint, view,
    attachment, log-head, cosignature), ``index`` the entry index, node index, tile index or tree size."""

    where: str
    reason: str
    problem: str  # the error slug of the check that failed (``/problems/<slug>``), e.g. ``bad-envelope-signature``
    index: int | None = None
    kind: str | None = None  # the event kind of an entry, the level of a node, the view of a view row
    key: str | None = None  # a view row's key, an attachment's digest
    at: int | None = None  # the last entry index the finding concerns, where ``index`` does not say (nodes, tiles)

    @property
    def position(self) -> tuple[float, int]:
        """Where in the log the finding is, so the report can name the earliest: entries, then the nodes and
        checkpoints over them; findings about rows outside the log (views, attachments, the head) come last."""
        at = self.at
        if at is None and self.index is not None and self.where in POSITIONAL:
            at = self.index - 1 if self.where.endswith("checkpoint") else self.index
        rank = POSITIONAL.index(self.where) if self.where in POSITIONAL else len(POSITIONAL)
        return (math.inf if at is None else at, rank)

    @property
    def label(self) -> str:
        """``entry 17 (shipment)``, ``merkle node 5 (level 3)``, ``view batches/01/...``, ``checkpoint 40``."""
        if self.where == "view":
            return f"view {self.kind}/{self.key}"
        if self.where == "attachment":
            return f"attachment {self.key}" + (f" (entry {self.index})" if self.index is not None else "")
        text = self.where.replace("-", " ")
        if self.index is not None:
            text += f" {self.index}"
        if self.kind is not None:
            text += f" ({self.kind})"
        return text

    @property
    def line(self) -> str:
        """The finding as one line: ``entry 17 (shipment): the signature by key ... does not verify``."""
        return f"{self.label}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "index": self.index,
            "kind": self.kind,
            "key": self.key,
            "problem": self.problem,
            "reason": self.reason,
            "line": self.line,
        }


@dataclass
class AuditReport:
    """What was checked and what was found; ``ok`` only when nothing was."""

    source: str
    origin: str
    size: int = 0  # the latest checkpoint's tree size
    root: bytes = b""
    latest_note: str = ""
    entries: int = 0
    signatures: int = 0
    checkpoints: int = 0
    nodes: int = 0  # stored nodes (or tile hashes) compared
    view_rows: int | None = None  # None: the source holds no views (a remote log)
    attachments: int | None = None
    attachment_contents: int | None = None
    cosignatures: int | None = None
    since_size: int | None = None
    findings: list[Finding] = field(default_factory=list)
    omitted: int = 0  # findings past MAX_FINDINGS, counted only
    notes: list[str] = field(default_factory=list)  # checks skipped and why

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def sort(self) -> None:
        """Earliest position in the log first (stable: findings at one position keep the order they were found)."""
        self.findings.sort(key=lambda finding: finding.position)

    def add(self, finding: Finding) -> None:
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)
        else:
            self.omitted += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "source": self.source,
            "origin": self.origin,
            "size": self.size,
            "root": b64(self.root),
            "checked": {
                "entries": self.entries,
                "signatures": self.signatures,
                "checkpoints": self.checkpoints,
                "nodes": self.nodes,
                "view_rows": self.view_rows,
                "attachments": self.attachments,
                "attachment_contents": self.attachment_contents,
                "cosignatures": self.cosignatures,
                "since_size": self.since_size,
            },
            "first": self.first.line if self.first else None,
            "findings": [f.to_json() for f in self.findings],
            "omitted_findings": self.omitted,
            "notes": self.notes,
        }
