"""The witness's checks, in the spec's order and with its statuses, against a log that tells the truth or lies."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.log.checkpoint import checkpoint_body
from ledger.log.merkle import EMPTY_ROOT
from ledger.log.witness_errors import (
    ConflictingRoot,
    InconsistentCheckpoint,
    MalformedWitnessRequest,
    OldSizeAboveCheckpoint,
    TreeSizeConflict,
    UnknownLog,
    UntrustedCheckpoint,
    WitnessError,
)
from ledger.log.witness_protocol import AddCheckpoint
from signer.keys import SigningKey
from signer.note import NoteSigner, NoteVerifier, open_note, parse_cosignature, parse_note, sign_note
from tests.witness.conftest import FORK, ORIGIN, Log, forged_signature, open_witness
from witness.state import Witnessed
from witness.witness import Witness


def _cosigned_size(witness: Witness, log: Log, body: str, size: int) -> int:
    """Submit ``body``; check the answer is one valid cosignature of checkpoint ``size``; return its timestamp."""
    line = witness.add_checkpoint(body)
    assert line.endswith("\n")
    assert line.count("\n") == 1
    note, signers = open_note(log.checkpoint(size) + line, [witness.cosigner.verifier])
    assert signers == (witness.cosigner.verifier,)
    timestamp, _ = parse_cosignature(note.signatures[-1])
    return timestamp


def _state(witness: Witness) -> Witnessed | None:
    return witness.state.latest(ORIGIN)


def test_the_first_checkpoint_is_cosigned_and_remembered(witness: Witness, log: Log) -> None:
    timestamp = _cosigned_size(witness, log, log.request(0, 10), 10)
    state = _state(witness)
    assert state is not None
    assert (state.size, state.root, state.timestamp) == (10, log.tree.root(10), timestamp)
    # The remembered note carries the log's signature and the cosignature; both verify.
    _, signers = open_note(state.note, [log.signer.verifier, witness.cosigner.verifier])
    assert len(signers) == 2


def test_each_extension_with_a_valid_proof_is_cosigned(witness: Witness, log: Log) -> None:
    _cosigned_size(witness, log, log.request(0, 1), 1)
    for old, size in [(1, 2), (2, 3), (3, 8), (8, 13), (13, 13), (13, 40)]:
        _cosigned_size(witness, log, log.request(old, size), size)
        state = _state(witness)
        assert state is not None
        assert (state.size, state.root) == (size, log.tree.root(size))


def test_the_empty_tree_is_cosigned_only_with_the_empty_root(witness: Witness, log: Log) -> None:
    empty = sign_note(checkpoint_body(ORIGIN, 0, EMPTY_ROOT), [log.signer])
    not_empty = sign_note(checkpoint_body(ORIGIN, 0, bytes(32)), [log.signer])
    with pytest.raises(InconsistentCheckpoint, match="empty tree"):
        witness.add_checkpoint(AddCheckpoint(0, (), not_empty).body())
    assert _state(witness) is None
    witness.add_checkpoint(AddCheckpoint(0, (), empty).body())
    _cosigned_size(witness, log, log.request(0, 4), 4)


def test_a_proof_from_size_zero_must_be_empty(witness: Witness, log: Log) -> None:
    body = AddCheckpoint(0, tuple(log.tree.consistency_proof(5, 10)), log.checkpoint(10)).body()
    with pytest.raises(InconsistentCheckpoint, match="from size 0 must be empty") as caught:
        witness.add_checkpoint(body)
    assert caught.value.status == 422
    assert _state(witness) is None


def _flip_proof(log: Log) -> str:
    proof = log.tree.consistency_proof(10, 20)
    proof[0] = bytes([proof[0][0] ^ 1]) + proof[0][1:]
    return AddCheckpoint(10, tuple(proof), log.checkpoint(20)).body()


def _stranger_log(_: Log) -> str:
    other = NoteSigner("other.example/log", SigningKey.from_seed(b"other".ljust(32, b"\0")))
    return AddCheckpoint(0, (), sign_note(checkpoint_body("other.example/log", 3, EMPTY_ROOT), [other])).body()


def _untrusted_key(log: Log) -> str:
    impostor = NoteSigner(ORIGIN, SigningKey.from_seed(b"impostor".ljust(32, b"\0")))
    note = sign_note(checkpoint_body(ORIGIN, 20, log.tree.root(20)), [impostor])
    return AddCheckpoint(10, tuple(log.tree.consistency_proof(10, 20)), note).body()


def _bad_signature(log: Log) -> str:
    return AddCheckpoint(10, tuple(log.tree.consistency_proof(10, 20)), forged_signature(log.checkpoint(20))).body()


# Each refusal, with the witness at size 10 of the honest tree: (what, body, error, status, detail).
REFUSALS: list[tuple[str, Callable[[Log], str], type[WitnessError], int, str]] = [
    ("no blank line", lambda log: "old 10\n", MalformedWitnessRequest, 400, "no empty line"),
    ("proof in the note", lambda log: "old 10\n" + log.checkpoint(20), MalformedWitnessRequest, 400, "base64"),
    ("no old line", lambda log: "\n" + log.checkpoint(20), MalformedWitnessRequest, 400, "old <size>"),
    ("leading zero", lambda log: "old 010\n\n" + log.checkpoint(20), MalformedWitnessRequest, 400, "leading zeros"),
    ("negative size", lambda log: "old -1\n\n" + log.checkpoint(20), MalformedWitnessRequest, 400, "decimal"),
    ("64 proof lines", lambda log: "old 10\n" + "AAAA\n" * 64 + "\n" + log.checkpoint(20), MalformedWitnessRequest,
     400, "at most 63"),
    ("bad base64", lambda log: "old 10\nnot base64!\n\n" + log.checkpoint(20), MalformedWitnessRequest, 400, "base64"),
    ("short hash", lambda log: "old 10\nAAAA\n\n" + log.checkpoint(20), MalformedWitnessRequest, 400, "not 32"),
    ("not a note", lambda log: "old 10\n\nhello\n", MalformedWitnessRequest, 400, "signed note"),
    ("not a checkpoint", lambda log: "old 10\n\n" + sign_note("hello\n", [log.signer]), MalformedWitnessRequest, 400,
     "checkpoint body"),
    ("unknown origin", _stranger_log, UnknownLog, 404, "other.example/log"),
    ("untrusted key", _untrusted_key, UntrustedCheckpoint, 403, "known key"),
    ("bad signature", _bad_signature, UntrustedCheckpoint, 403, "does not verify"),
    ("old above size", lambda log: log.request(25, 20), OldSizeAboveCheckpoint, 400, "above the checkpoint size"),
    ("old below the witness's", lambda log: log.request(5, 20), TreeSizeConflict, 409, "last cosigned size 10"),
    ("old above the witness's", lambda log: log.request(15, 20), TreeSizeConflict, 409, "last cosigned size 10"),
    ("old 0", lambda log: log.request(0, 20), TreeSizeConflict, 409, "last cosigned size 10"),
    ("bad proof", _flip_proof, InconsistentCheckpoint, 422, "not an extension"),
    ("short proof", lambda log: AddCheckpoint(10, tuple(log.tree.consistency_proof(10, 20))[:-1],
     log.checkpoint(20)).body(), InconsistentCheckpoint, 422, "too short"),
    ("no proof", lambda log: AddCheckpoint(10, (), log.checkpoint(20)).body(), InconsistentCheckpoint, 422, "empty"),
    ("same size, other root", lambda log: log.request(10, 10, FORK), ConflictingRoot, 409, "with another root"),
    ("forked extension", lambda log: log.request(10, 20, FORK), InconsistentCheckpoint, 422, "old root"),
    ("rolled back", lambda log: log.request(10, 5), OldSizeAboveCheckpoint, 400, "above"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "error", "status", "detail"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_each_refusal_has_the_spec_status_and_changes_nothing(
    witness: Witness, log: Log, body: Callable[[Log], str], error: type[WitnessError], status: int, detail: str
) -> None:
    _cosigned_size(witness, log, log.request(0, 10), 10)
    before = _state(witness)
    with pytest.raises(error, match=detail) as caught:
        witness.add_checkpoint(body(log))
    assert type(caught.value) is error
    assert caught.value.status == status
    assert _state(witness) == before
    if isinstance(caught.value, TreeSizeConflict):
        assert caught.value.size == 10


def test_a_split_view_is_refused_and_the_witness_keeps_its_view(witness: Witness, log: Log) -> None:
    """The log shows the witness one tree, then another of the same size, then an extension of the other one."""
    _cosigned_size(witness, log, log.request(0, 20), 20)
    seen = _state(witness)
    for lie in (log.request(20, 20, FORK), log.request(20, 30, FORK), log.request(20, 40, FORK)):
        with pytest.raises(InconsistentCheckpoint):
            witness.add_checkpoint(lie)
        assert _state(witness) == seen
    # The other view never gets a cosignature, but the honest history goes on being cosigned.
    _cosigned_size(witness, log, log.request(20, 30), 30)


def test_its_state_survives_a_restart(tmp_path: Path, log: Log) -> None:
    first = open_witness(tmp_path, log)
    _cosigned_size(first, log, log.request(0, 12), 12)
    restarted = open_witness(tmp_path, log)
    with pytest.raises(TreeSizeConflict) as caught:
        restarted.add_checkpoint(log.request(0, 20))
    assert caught.value.size == 12
    with pytest.raises(InconsistentCheckpoint):
        restarted.add_checkpoint(log.request(12, 20, FORK))
    _cosigned_size(restarted, log, log.request(12, 20), 20)


# A witness process that dies (no cleanup at all) right after committing the new state, before it answers.
_DIES_AFTER_COMMIT = """
import os, sys
from pathlib import Path
from witness.state import WitnessState
from tests.witness.conftest import Log, open_witness

class Dying(WitnessState):
    def advance(self, origin, decide):
        super().advance(origin, decide)
        os._exit(3)

log = Log()
witness = open_witness(Path(sys.argv[1]), log)
witness.state = Dying(witness.state.path)
print(witness.add_checkpoint(log.request(10, 25)))
"""


def test_a_crash_between_persisting_and_answering_is_safe(tmp_path: Path, log: Log) -> None:
    """The client never got its cosignature; it learns the stored size from a 409 and gets one on retrying."""
    _cosigned_size(open_witness(tmp_path, log), log, log.request(0, 10), 10)
    died = subprocess.run(
        [sys.executable, "-c", _DIES_AFTER_COMMIT, str(tmp_path)],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (died.returncode, died.stdout) == (3, ""), died.stderr
    restarted = open_witness(tmp_path, log)
    with pytest.raises(TreeSizeConflict) as caught:
        restarted.add_checkpoint(log.request(10, 25))  # the client retries what it sent
    assert caught.value.size == 25
    _cosigned_size(restarted, log, log.request(25, 25), 25)  # and again from the size the 409 named
    # A log that lost track and now shows another tree of that size is still refused.
    with pytest.raises(InconsistentCheckpoint):
        restarted.add_checkpoint(log.request(25, 25, FORK))


def test_concurrent_requests_for_one_log_are_serialised(tmp_path: Path, log: Log) -> None:
    """Eight requests from old size 0 at once, each through its own witness instance and database connection:
    exactly one is cosigned, the others see its size, and no later write rolls the state back."""
    witnesses = [open_witness(tmp_path, log) for _ in range(8)]
    start = threading.Barrier(len(witnesses))
    outcomes: dict[int, str | int] = {}

    def submit(n: int) -> None:
        start.wait()
        try:
            outcomes[n] = witnesses[n].add_checkpoint(log.request(0, 10 + n))
        except TreeSizeConflict as exc:
            outcomes[n] = exc.size

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(len(witnesses))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [n for n, outcome in outcomes.items() if isinstance(outcome, str)]
    assert len(winners) == 1
    size = 10 + winners[0]
    assert all(outcome == size for n, outcome in outcomes.items() if n not in winners)
    state = _state(witnesses[0])
    assert state is not None
    assert (state.size, state.root) == (size, log.tree.root(size))


def test_cosignature_times_never_go_back(tmp_path: Path, log: Log) -> None:
    assert (
        _cosigned_size(open_witness(tmp_path, log, clock=2_000_000_000.7), log, log.request(0, 5), 5) == 2_000_000_000
    )
    slow_clock = open_witness(tmp_path, log, clock=1_000_000_000)
    assert _cosigned_size(slow_clock, log, log.request(5, 9), 9) == 2_000_000_000


def test_extension_lines_are_cosigned_and_foreign_signatures_dropped(witness: Witness, log: Log) -> None:
    text = checkpoint_body(ORIGIN, 10, log.tree.root(10)) + "extension line\n"
    stranger = NoteSigner("stranger.example/k", SigningKey.from_seed(b"stranger".ljust(32, b"\0")))
    note = sign_note(text, [log.signer, stranger])
    line = witness.add_checkpoint(AddCheckpoint(0, (), note).body())
    open_note(note + line, [witness.cosigner.verifier])
    state = _state(witness)
    assert state is not None
    assert [s.name for s in parse_note(state.note).signatures] == [ORIGIN, witness.cosigner.name]


def test_the_monitoring_checkpoint_is_the_latest_cosigned(witness: Witness, log: Log) -> None:
    origin_hash = hashlib.sha256(ORIGIN.encode()).hexdigest()
    assert witness.checkpoint(origin_hash) is None
    _cosigned_size(witness, log, log.request(0, 7), 7)
    note = witness.checkpoint(origin_hash)
    assert note is not None
    parsed, signers = open_note(note, [NoteVerifier.from_vkey(log.signer.vkey), witness.cosigner.verifier])
    assert parsed.text == checkpoint_body(ORIGIN, 7, log.tree.root(7))
    assert len(signers) == 2
    assert witness.checkpoint(hashlib.sha256(b"other.example/log").hexdigest()) is None
    assert witness.checkpoint(origin_hash.upper()) is None
