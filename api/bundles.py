"""Building the API's documents from what the ledger returns; every decision stays in the ``ledger`` package.

Proofs are always taken against a checkpoint read *after* the entries, so every entry is inside the tree the
proof is for even while other requests append.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec

from api.schemas import (
    ActorKey,
    ActorResponse,
    AppendedEntry,
    AppendResponse,
    BatchInfo,
    EventResponse,
    HistoryBundle,
    HistorySummary,
    InclusionProof,
    Licence,
    LoggedEntry,
    Sanction,
    TraceResponse,
    TraceStep,
)
from ledger.errors import NotFound
from ledger.history import History, subject_history
from ledger.identifiers import validate_uscc
from ledger.rules.context import black_listed
from ledger.rules.views import ACTORS, KEYS, SANCTIONS, SanctionsRow
from ledger.store.cosignatures import cosigned_checkpoint
from ledger.store.ledger import AppendResult, Ledger, StoredEntry
from ledger.trace import Direction, Step, trace
from signer.encoding import b64


def appended(results: list[AppendResult]) -> AppendResponse:
    return AppendResponse(
        [AppendedEntry(r.leaf_index, r.event_id, b64(r.leaf_hash), r.checkpoint_size) for r in results]
    )


def logged_entries(ledger: Ledger, entries: Sequence[StoredEntry], tree_size: int) -> list[LoggedEntry]:
    """Entries with their inclusion proofs in the tree of ``tree_size`` (all proofs from one node fetch)."""
    proofs = ledger.inclusion_proofs([e.leaf_index for e in entries], tree_size)
    return [logged_entry(e, tree_size, proofs[e.leaf_index]) for e in entries]


def logged_entry(entry: StoredEntry, tree_size: int, proof: list[bytes]) -> LoggedEntry:
    return LoggedEntry(
        entry.leaf_index, entry.event_id, entry.kind, entry.subject, entry.logged_at, b64(entry.data),
        InclusionProof(tree_size, [b64(h) for h in proof]),
    )  # fmt: skip


def event(ledger: Ledger, event_id: str) -> EventResponse:
    """One logged event with its inclusion proof against the latest checkpoint."""
    entry = ledger.entry_by_event_id(event_id)
    checkpoint = cosigned_checkpoint(ledger)
    (logged,) = logged_entries(ledger, [entry], checkpoint.size)
    return EventResponse(**msgspec.structs.asdict(logged), checkpoint=checkpoint.note)


def _summary(history: History) -> HistorySummary:
    batch = history.batch
    info = None
    if batch is not None:
        info = BatchInfo(
            batch["gtin"], batch["lot"], batch["product"], batch["category"], batch["producer"], batch["quantity"],
            batch["unit"], batch.get("expiry"),
        )  # fmt: skip
    return HistorySummary(info, history.distribution, history.parcels, history.recalled, history.black_listed)


def history_bundle(ledger: Ledger, path: str) -> HistoryBundle:
    """The scan-path bundle of a batch, item or parcel (NotFound when the log knows nothing of it)."""
    history = subject_history(ledger, path)
    checkpoint = cosigned_checkpoint(ledger)
    return HistoryBundle(
        subject=history.subject.path,
        subject_kind=history.subject.kind,
        checkpoint=checkpoint.note,
        tree_size=checkpoint.size,
        entries=logged_entries(ledger, history.entries, checkpoint.size),
        registrations=logged_entries(ledger, history.registrations, checkpoint.size),
        summary=_summary(history),
    )


def _trace_step(step: Step, tree_size: int, proof: list[bytes]) -> TraceStep:
    return TraceStep(
        step.relation, step.depth, step.batch, step.quantity, step.parcel, step.from_actor, step.to_actor,
        step.consignee, step.event_id, step.leaf_index, b64(step.leaf_hash), step.logged_at,
        InclusionProof(tree_size, [b64(h) for h in proof]),
    )  # fmt: skip


def traced(ledger: Ledger, path: str, direction: Direction, depth: int) -> TraceResponse:
    """The trace of a batch, item or parcel, each step with its entry's inclusion proof against the latest
    checkpoint (NotFound when the log knows nothing of the subject)."""
    found = trace(ledger, path, direction, depth)
    checkpoint = cosigned_checkpoint(ledger)
    proofs = ledger.inclusion_proofs({step.leaf_index for step in found.steps}, checkpoint.size)
    return TraceResponse(
        found.subject, found.subject_kind, found.direction, found.depth, checkpoint.note, checkpoint.size,
        found.batches, found.parcels, [_trace_step(s, checkpoint.size, proofs[s.leaf_index]) for s in found.steps],
    )  # fmt: skip


def _key(ledger: Ledger, kid: str) -> ActorKey | None:
    row = ledger.view(KEYS, kid)
    if row is None:
        return None
    return ActorKey(
        kid, row["public_key"], row["valid_from"], row.get("valid_until"), row.get("revoked_at"), row["event"]
    )


def _sanctions(row: SanctionsRow | None) -> list[Sanction]:
    return [Sanction(s["event"], s["list"], s.get("until")) for s in (row["active"] if row else [])]


def actor(ledger: Ledger, actor_id: str) -> ActorResponse:
    """An actor's registration record, keys and sanctions from the derived views."""
    actor_id = validate_uscc(actor_id)
    row = ledger.view(ACTORS, actor_id)
    if row is None:
        raise NotFound(f"no actor {actor_id} is registered")
    sanctions = ledger.view(SANCTIONS, actor_id)
    keys = [key for kid in row["keys"] if (key := _key(ledger, kid)) is not None]
    return ActorResponse(
        id=row["id"],
        name=row["name"],
        roles=list(row["roles"]),
        licences=[Licence(x["type"], x["number"], x["valid_until"]) for x in row["licences"]],
        gs1_prefixes=list(row["gs1_prefixes"]),
        registration=row["registration"],
        key_event=row["key_event"],
        keys=keys,
        sanctions=_sanctions(sanctions),
        black_listed=black_listed(sanctions, datetime.now(UTC)),
    )
