"""A log that can tell the truth or lie (two trees, or two roots for one size), and a witness that follows it.

The log is a real Merkle tree with a real Ed25519 log key; the witness has its own key and a state database in a
temporary folder, so a test can also reopen it as a restarted witness would.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ledger.log.checkpoint import checkpoint_body
from ledger.log.merkle import MerkleTree, leaf_hash
from ledger.log.witness_protocol import AddCheckpoint
from signer.keys import SigningKey
from signer.note import CosignatureSigner, NoteSigner, sign_note
from witness.state import WitnessState
from witness.witness import TrustedLog, Witness

ORIGIN = "trace.example.org/log"
WITNESS_NAME = "witness.samr.example/w1"


def entries(prefix: str, count: int) -> list[bytes]:
    return [leaf_hash(f"{prefix} entry {i}".encode()) for i in range(count)]


@dataclass
class Log:
    """A log with its key and its honest tree; requests may be built from another tree to play a lying log."""

    signer: NoteSigner = field(
        default_factory=lambda: NoteSigner(ORIGIN, SigningKey.from_seed(b"log".ljust(32, b"\0")))
    )
    tree: MerkleTree = field(default_factory=lambda: MerkleTree(entries("honest", 40)))

    def checkpoint(self, size: int, tree: MerkleTree | None = None) -> str:
        return sign_note(checkpoint_body(ORIGIN, size, (self.tree if tree is None else tree).root(size)), [self.signer])

    def request(self, old: int, size: int, tree: MerkleTree | None = None) -> str:
        """A well-formed add-checkpoint body from ``old`` to ``size`` of ``tree`` (default: the honest tree)."""
        tree = self.tree if tree is None else tree
        proof = tuple(tree.consistency_proof(old, size)) if 0 < old < size else ()
        return AddCheckpoint(old, proof, self.checkpoint(size, tree)).body()


FORK = MerkleTree(entries("honest", 5) + entries("forged", 35))  # agrees with the honest tree on 5 entries only


def forged_signature(note: str) -> str:
    """``note`` with one bit of its (last) signature flipped: the right key name and id, an invalid signature."""
    text, _, line = note.rpartition("\n\n")
    name, encoded = line[2:-1].split(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[10] ^= 1
    return f"{text}\n\n\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"


@pytest.fixture
def log() -> Log:
    return Log()


def open_witness(folder: Path, log: Log, clock: float | None = None) -> Witness:
    """The witness of ``folder`` (a fixed key, so a reopened witness is the same one) following ``log``."""
    cosigner = CosignatureSigner(WITNESS_NAME, SigningKey.from_seed(b"witness".ljust(32, b"\0")))
    state = WitnessState(folder / "witness.db")
    trusted = [TrustedLog(ORIGIN, (log.signer.verifier,))]
    if clock is None:
        return Witness(cosigner, trusted, state)
    return Witness(cosigner, trusted, state, clock=lambda: clock)


@pytest.fixture
def witness(tmp_path: Path, log: Log) -> Witness:
    return open_witness(tmp_path, log)
