"""C2SP tlog-checkpoint: the signed statement of the log's size and root, and the one signer allowed to make it.

``CheckpointSigner`` remembers the last checkpoint it signed and signs a new one only after verifying a
consistency proof from it, so the log cannot sign two views of its history that disagree.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.errors import CheckpointError, ConsistencyProofError
from ledger.log.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from signer.errors import NoteError
from signer.note import NoteSigner, NoteVerifier, open_note, sign_note

ORIGIN_RE = re.compile(r"[^\s+][^\s]*")  # a schema-less URL-like name; never whitespace, never a leading '+'


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """The note text: ``<origin>\\n<size>\\n<base64 root>\\n``."""
    if not ORIGIN_RE.fullmatch(origin):
        raise CheckpointError(f"origin {origin!r} must be non-empty and contain no whitespace")
    if size < 0 or len(root) != HASH_SIZE:
        raise CheckpointError("a checkpoint needs a non-negative size and a 32-byte root")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: str  # the signed note, including every signature (log and witnesses)

    @property
    def body(self) -> str:
        return checkpoint_body(self.origin, self.size, self.root)


def parse_checkpoint_body(text: str) -> tuple[str, int, bytes]:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise CheckpointError("a checkpoint body has an origin, a size and a root line, each ending in a newline")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isascii() or not size_text.isdigit() or (len(size_text) > 1 and size_text[0] == "0"):
        raise CheckpointError(f"checkpoint size {size_text!r} is not a decimal number without leading zeros")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise CheckpointError("checkpoint root is not base64") from None
    if len(root) != HASH_SIZE:
        raise CheckpointError("checkpoint root is not a 32-byte hash")
    if checkpoint_body(origin, int(size_text), root) != "\n".join(lines[:3]) + "\n":
        raise CheckpointError("checkpoint body is not in canonical form")
    return origin, int(size_text), root


def open_checkpoint(note: str, verifier: NoteVerifier, origin: str) -> Checkpoint:
    """Verify a checkpoint note under the log's key and origin; extension lines are allowed and ignored."""
    try:
        parsed, _ = open_note(note, [verifier])
    except NoteError as exc:
        raise CheckpointError(f"checkpoint signature: {exc.detail}") from None
    got_origin, size, root = parse_checkpoint_body(parsed.text)
    if got_origin != origin:
        raise CheckpointError(f"checkpoint origin {got_origin!r} is not the log's origin {origin!r}")
    return Checkpoint(origin, size, root, note)


class CheckpointSigner:
    """Signs checkpoints for one origin, each provably consistent with the previous one it signed."""

    def __init__(self, origin: str, signer: NoteSigner, last: Checkpoint | None = None) -> None:
        self.origin = origin
        self._signer = signer
        self.last = last

    @property
    def verifier_key(self) -> str:
        return self._signer.vkey

    def sign(self, size: int, root: bytes, proof_from_last: Sequence[bytes]) -> Checkpoint:
        """Sign (size, root) after checking ``proof_from_last`` proves it extends the last signed checkpoint."""
        old_size, old_root = (self.last.size, self.last.root) if self.last else (0, EMPTY_ROOT)
        if size < old_size:
            raise CheckpointError(f"refusing to sign size {size}: a checkpoint of size {old_size} was signed")
        if old_size > 0:
            try:
                verify_consistency(old_size, size, old_root, root, proof_from_last)
            except ConsistencyProofError as exc:
                raise CheckpointError(
                    f"refusing to sign size {size}: not consistent with signed size {old_size} ({exc.detail})"
                ) from None
        elif size == 0 and root != EMPTY_ROOT:
            raise CheckpointError("the empty tree has the empty root")
        note = sign_note(checkpoint_body(self.origin, size, root), [self._signer])
        self.last = Checkpoint(self.origin, size, root, note)
        return self.last
