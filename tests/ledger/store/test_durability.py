"""Crash safety: a writer killed with SIGKILL mid-append loses nothing it acknowledged and leaves no half batch."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger.log.merkle import MerkleTree, verify_consistency
from tests.ledger.conftest import create_ledger
from tests.ledger.store.append_worker import BATCH
from traceledger.settings import Home

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_sigkill_mid_append_keeps_every_acknowledged_batch(tmp_path: Path, round_: int) -> None:
    fixture = create_ledger(tmp_path / "home")
    fixture.ledger.close()
    acknowledged: list[str] = []
    last_size = 0
    rng = random.Random(round_)
    with subprocess.Popen(
        [sys.executable, "-m", "tests.ledger.store.append_worker", str(tmp_path / "home")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    ) as worker:
        assert worker.stdout is not None
        assert worker.stderr is not None
        for _ in range(rng.randint(3, 8)):
            line = worker.stdout.readline()
            if not line.startswith("ACK "):
                worker.kill()
                pytest.fail(f"worker failed: {line!r} {worker.stderr.read()}")
            _, acked_size, *ids = line.split()
            last_size = int(acked_size)
            acknowledged.extend(ids)
        time.sleep(rng.uniform(0, 0.05))  # land somewhere inside the next batch's work or commit
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    ledger = Home(tmp_path / "home").open()
    try:
        size = ledger.size()
        assert size >= last_size
        assert (size - 1) % BATCH == 0, "a batch was partly committed"
        entries = ledger.entries(0, size + BATCH)
        assert len(entries) == size, "entries exist beyond the last checkpoint"
        logged = {e.event_id for e in entries}
        assert set(acknowledged) <= logged
        tree = MerkleTree(e.leaf_hash for e in entries)
        checkpoints = ledger.checkpoints()
        assert checkpoints[-1].size == size
        assert checkpoints[-1].root == tree.root()
        for old, new in itertools.pairwise(checkpoints):
            verify_consistency(old.size, new.size, old.root, new.root, tree.consistency_proof(old.size, new.size))
    finally:
        ledger.close()
