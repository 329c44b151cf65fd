from __future__ import annotations

import pytest

from ledger.errors import CheckpointError
from ledger.log.checkpoint import CheckpointSigner, checkpoint_body, open_checkpoint, parse_checkpoint_body
from ledger.log.merkle import MerkleTree, leaf_hash
from signer.keys import SigningKey
from signer.note import NoteSigner, NoteVerifier

ORIGIN = "example.org/log"


def signer() -> tuple[CheckpointSigner, NoteVerifier]:
    note_signer = NoteSigner(ORIGIN, SigningKey.from_seed(b"c" * 32))
    return CheckpointSigner(ORIGIN, note_signer), NoteVerifier.from_vkey(note_signer.vkey)


def tree(n: int) -> MerkleTree:
    return MerkleTree(leaf_hash(bytes([i])) for i in range(n))


def test_body_format_round_trips() -> None:
    root = bytes(range(32))
    body = checkpoint_body(ORIGIN, 5, root)
    assert body == f"{ORIGIN}\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    assert parse_checkpoint_body(body) == (ORIGIN, 5, root)
    for bad in (f"{ORIGIN}\n05\n{body.split(chr(10))[2]}\n", f"{ORIGIN}\n5\nAAEC\n", f"{ORIGIN}\n-1\nx\n", "x\n"):
        with pytest.raises(CheckpointError):
            parse_checkpoint_body(bad)


def test_signs_consistent_growth_and_opens_under_the_log_key() -> None:
    checkpoints, verifier = signer()
    t = tree(20)
    first = checkpoints.sign(7, t.root(7), [])
    second = checkpoints.sign(20, t.root(20), t.consistency_proof(7, 20))
    assert open_checkpoint(second.note, verifier, ORIGIN) == second
    assert open_checkpoint(first.note, verifier, ORIGIN).size == 7
    with pytest.raises(CheckpointError):
        open_checkpoint(second.note, verifier, "other.org/log")
    with pytest.raises(CheckpointError):
        open_checkpoint(second.note.replace("\n20\n", "\n21\n"), verifier, ORIGIN)


def test_refuses_to_sign_an_inconsistent_or_shrinking_tree() -> None:
    checkpoints, _ = signer()
    honest = tree(10)
    forked = MerkleTree(leaf_hash(bytes([i if i != 3 else 99])) for i in range(12))  # entry 3 rewritten
    checkpoints.sign(10, honest.root(10), [])
    with pytest.raises(CheckpointError, match="not consistent"):
        checkpoints.sign(12, forked.root(12), forked.consistency_proof(10, 12))
    with pytest.raises(CheckpointError, match="refusing"):
        checkpoints.sign(9, honest.root(9), [])
    with pytest.raises(CheckpointError):
        checkpoints.sign(10, forked.root(10), [])
    assert checkpoints.last is not None
    assert checkpoints.last.size == 10
