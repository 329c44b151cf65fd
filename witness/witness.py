"""The witness: checks a log's checkpoint against the last one it cosigned for that log, then cosigns it.

The checks follow c2sp.org/tlog-witness in its order: a well-formed request (400), a known origin (404), a valid
signature by a trusted key of that log (403), an old size not above the new size (400), the old size equal to the
size last cosigned (409, answered with that size), identical roots for equal sizes (409), and a tree that extends
the cosigned one (422): the empty root for size 0, no proof from size 0, else a valid RFC 9162 consistency proof.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ledger.errors import CheckpointError, ConsistencyProofError
from ledger.log.checkpoint import parse_checkpoint_body
from ledger.log.merkle import EMPTY_ROOT, verify_consistency
from ledger.log.witness_errors import (
    ConflictingRoot,
    InconsistentCheckpoint,
    MalformedWitnessRequest,
    OldSizeAboveCheckpoint,
    TreeSizeConflict,
    UnknownLog,
    UntrustedCheckpoint,
)
from ledger.log.witness_protocol import AddCheckpoint
from signer.errors import NoteError
from signer.note import CosignatureSigner, Note, NoteVerifier, open_note, parse_note
from witness.state import Witnessed, WitnessState


@dataclass(frozen=True)
class TrustedLog:
    """A log the witness follows: its origin line and the keys whose signatures on its checkpoints count."""

    origin: str
    verifiers: tuple[NoteVerifier, ...]


@dataclass(frozen=True)
class _Submitted:
    origin: str
    size: int
    root: bytes
    note: Note  # the checkpoint with only the trusted log's valid signatures


class Witness:
    """Cosigns checkpoints of the ``logs`` it trusts with ``cosigner``, remembering the latest in ``state``."""

    def __init__(
        self,
        cosigner: CosignatureSigner,
        logs: Sequence[TrustedLog],
        state: WitnessState,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cosigner = cosigner
        self.logs: Mapping[str, TrustedLog] = {log.origin: log for log in logs}
        self.state = state
        self._clock = clock

    def add_checkpoint(self, body: str) -> str:
        """Answer an add-checkpoint request body with this witness's cosignature line, or raise why not."""
        request = AddCheckpoint.parse(body)
        submitted = self._verified(request.checkpoint)
        if request.old_size > submitted.size:
            raise OldSizeAboveCheckpoint(f"old size {request.old_size} is above the checkpoint size {submitted.size}")

        def decide(latest: Witnessed | None) -> Witnessed:
            return self._cosigned(submitted, request, latest)

        witnessed = self.state.advance(submitted.origin, decide)
        return parse_note(witnessed.note).signatures[-1].line()

    def checkpoint(self, origin_hash: str) -> str | None:
        """The latest checkpoint cosigned for the log whose origin's SHA-256 (lowercase hex) is ``origin_hash``."""
        for origin in self.logs:
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash:
                latest = self.state.latest(origin)
                return latest.note if latest else None
        return None

    def _verified(self, checkpoint: str) -> _Submitted:
        try:
            note = parse_note(checkpoint)
        except NoteError as exc:
            raise MalformedWitnessRequest(f"the checkpoint is not a signed note: {exc.detail}") from None
        try:
            origin, size, root = parse_checkpoint_body(note.text)
        except CheckpointError as exc:
            raise MalformedWitnessRequest(exc.detail) from None
        log = self.logs.get(origin)
        if log is None:
            raise UnknownLog(f"this witness does not follow a log with origin {origin[:200]!r}")
        try:
            _, signers = open_note(checkpoint, log.verifiers)
        except NoteError as exc:
            raise UntrustedCheckpoint(exc.detail) from None
        trusted = {(v.name, v.key_id) for v in signers}
        own = tuple(sig for sig in note.signatures if (sig.name, sig.key_id) in trusted)
        return _Submitted(origin, size, root, Note(note.text, tuple(dict.fromkeys(own))))

    def _cosigned(self, submitted: _Submitted, request: AddCheckpoint, latest: Witnessed | None) -> Witnessed:
        """The new state after every consistency check against ``latest``; runs inside the state's transaction."""
        size, root = submitted.size, submitted.root
        latest_size = latest.size if latest else 0
        if request.old_size != latest_size:
            raise TreeSizeConflict(latest_size, request.old_size)
        if size == 0 and root != EMPTY_ROOT:
            raise InconsistentCheckpoint("a checkpoint of size 0 must have the empty tree's root")
        if latest is None or latest.size == 0:
            if request.proof:
                raise InconsistentCheckpoint("the consistency proof from size 0 must be empty")
        elif size == latest.size and root != latest.root:
            raise ConflictingRoot(f"this witness cosigned size {size} of this log with another root")
        else:
            try:
                verify_consistency(latest.size, size, latest.root, root, request.proof)
            except ConsistencyProofError as exc:
                raise InconsistentCheckpoint(
                    f"size {size} is not an extension of the tree of size {latest.size} this witness cosigned: "
                    f"{exc.detail}"
                ) from None
        # Never earlier than the last cosignature: each one states the largest tree seen as of its time.
        timestamp = max(int(self._clock()), latest.timestamp if latest else 1)
        cosignature = self.cosigner.cosign(submitted.note.text, timestamp)
        note = Note(submitted.note.text, (*submitted.note.signatures, cosignature))
        return Witnessed(submitted.origin, size, root, timestamp, note.serialize())
