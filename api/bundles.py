"""Building the API's documents from what the ledger returns; every decision stays in the ``ledger`` package.

Proofs are always taken against a checkpoint read *after* the entries, or in the same snapshot, so every entry
is inside the tree the proof is for even while other requests append.

History bundles are the scan path's hot document: each is encoded once per (subject, tree size) and kept
(``BundleCache``), so a code scanned again before the log grows costs no work, and a bundle asked for by its
tree size (the URL a page names, ``pinned_url``) is the same bytes for ever, which a CDN may keep.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote
from weakref import WeakKeyDictionary

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
from ledger.identifiers import parse_subject, validate_uscc
from ledger.log.checkpoint import Checkpoint
from ledger.rules.context import black_listed
from ledger.rules.views import ACTORS, KEYS, SANCTIONS, SanctionsRow
from ledger.store.cosignatures import cosignature_count, cosigned_checkpoint
from ledger.store.ledger import AppendResult, Ledger, LogReads, Snapshot, StoredEntry
from ledger.trace import Direction, Step, trace
from signer.encoding import b64


def appended(results: list[AppendResult]) -> AppendResponse:
    return AppendResponse(
        [AppendedEntry(r.leaf_index, r.event_id, b64(r.leaf_hash), r.checkpoint_size) for r in results]
    )


def logged_entries(ledger: LogReads, entries: Sequence[StoredEntry], tree_size: int) -> list[LoggedEntry]:
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


def history_bundle(ledger: LogReads, path: str) -> HistoryBundle:
    """The scan-path bundle of a batch, item or parcel (NotFound when the log knows nothing of it)."""
    return bundle_of(ledger, subject_history(ledger, path), cosigned_checkpoint(ledger))


def bundle_of(ledger: LogReads, history: History, checkpoint: Checkpoint) -> HistoryBundle:
    """The bundle of ``history`` with its proofs against ``checkpoint`` (read after the history, or in its
    snapshot)."""
    proved = logged_entries(ledger, [*history.entries, *history.registrations], checkpoint.size)  # one node fetch
    return HistoryBundle(
        subject=history.subject.path,
        subject_kind=history.subject.kind,
        checkpoint=checkpoint.note,
        tree_size=checkpoint.size,
        entries=proved[: len(history.entries)],
        registrations=proved[len(history.entries) :],
        summary=_summary(history),
    )


@dataclass(frozen=True)
class EncodedBundle:
    """A history bundle as sent: its JSON, gzipped once too (most clients accept it; compressing it for each
    request cost more than serving it), and a strong validator of each."""

    subject: str
    tree_size: int
    cosignatures: int  # the witnesses' cosignatures of its checkpoint it carries
    body: bytes
    etag: str
    gzipped: bytes
    gzipped_etag: str

    @property
    def pinned_url(self) -> str:
        """Where this bundle is served for ever: ``/v1/subjects/<subject>?size=<tree size>``."""
        return f"/v1/subjects/{quote(self.subject, safe='/')}?size={self.tree_size}"


def encode_bundle(bundle: HistoryBundle, cosignatures: int) -> EncodedBundle:
    body = msgspec.json.encode(bundle)
    tag = hashlib.sha256(body).hexdigest()[:32]
    gzipped = gzip.compress(body, compresslevel=9, mtime=0)  # mtime 0: the same bytes whenever it is built
    return EncodedBundle(bundle.subject, bundle.tree_size, cosignatures, body, f'"{tag}"', gzipped, f'"{tag}-gzip"')


class BundleCache:
    """The most recently served bundles of one ledger, by (subject, tree size), least recently used dropped."""

    def __init__(self, capacity: int = 512) -> None:
        self._capacity = capacity
        self._bundles: OrderedDict[tuple[str, int], EncodedBundle] = OrderedDict()
        self._lock = threading.Lock()  # handlers run in worker threads

    def get(self, subject: str, tree_size: int) -> EncodedBundle | None:
        with self._lock:
            found = self._bundles.get((subject, tree_size))
            if found is not None:
                self._bundles.move_to_end((subject, tree_size))
            return found

    def put(self, bundle: EncodedBundle) -> EncodedBundle:
        with self._lock:
            self._bundles[(bundle.subject, bundle.tree_size)] = bundle
            self._bundles.move_to_end((bundle.subject, bundle.tree_size))
            while len(self._bundles) > self._capacity:
                self._bundles.popitem(last=False)
        return bundle


_CACHES: WeakKeyDictionary[Ledger, BundleCache] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def bundle_cache(ledger: Ledger) -> BundleCache:
    """The bundle cache of ``ledger`` (one per opened ledger, gone with it)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(ledger)
        if cache is None:
            cache = _CACHES[ledger] = BundleCache()
        return cache


class StaleTreeSize(Exception):
    """A bundle was asked for at a tree size that is not cached and no longer the latest: ``current`` is."""

    def __init__(self, current: EncodedBundle) -> None:
        super().__init__(current.pinned_url)
        self.current = current


def snapshot_bundle(snapshot: Snapshot, history: History, checkpoint: Checkpoint) -> EncodedBundle:
    """The encoded bundle of ``history`` at ``checkpoint``, both read in ``snapshot``: the cached one unless
    witnesses have cosigned the checkpoint since it was built."""
    cache = bundle_cache(snapshot.ledger)
    cosignatures = cosignature_count(snapshot, checkpoint.size)
    found = cache.get(history.subject.path, checkpoint.size)
    if found is not None and found.cosignatures >= cosignatures:
        return found
    return cache.put(encode_bundle(bundle_of(snapshot, history, checkpoint), cosignatures))


def served_bundle(ledger: Ledger, path: str, tree_size: int | None = None) -> EncodedBundle:
    """The encoded bundle of a batch, item or parcel at the latest checkpoint, or at ``tree_size`` (an immutable
    document: any cached copy of it will do); ``StaleTreeSize`` when that size is neither cached nor the latest,
    NotFound when it is beyond the latest or the log knows nothing of the subject."""
    subject = parse_subject(path).path
    cache = bundle_cache(ledger)
    if tree_size is not None and (found := cache.get(subject, tree_size)) is not None:
        return found
    with ledger.snapshot() as snapshot:
        size = snapshot.size()
        if tree_size is not None and tree_size > size:
            raise NotFound(f"tree size {tree_size} is beyond the latest checkpoint ({size})")
        cosignatures = cosignature_count(snapshot, size)
        found = cache.get(subject, size)
        if found is None or found.cosignatures < cosignatures:
            history = subject_history(snapshot, path)
            found = cache.put(encode_bundle(bundle_of(snapshot, history, cosigned_checkpoint(snapshot)), cosignatures))
    if tree_size is not None and tree_size != found.tree_size:
        raise StaleTreeSize(found)
    return found


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
