"""Replay benchmark: a batch of 1,000 envelopes the log already holds, submitted again (a client retrying).

``POST /v1/events`` hands the batch to ``Ledger.append``, which is timed here: first appending the batch fresh,
then submitting the identical batch again several times. A replay is answered with the existing entries and
stores nothing, so it should cost far less than the signature checks a fresh batch needs.

Prints the seconds of each and the ratio of a replay to a baseline measured in the same run: a bare single-core
libsodium (pynacl) verify loop over the batch's signatures, the least that checking them again would cost.

    .venv/bin/python -m bench.replay [--events 1000] [--replays 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.ingest import REGISTRAR, bare_verify_rate, create_ledger, organisation_id
from ledger.events import sign_event
from ledger.events.builders import registration_payload
from signer.keys import SigningKey
from traceledger.settings import Home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--replays", type=int, default=5)
    args = parser.parse_args()
    registrar = REGISTRAR
    payloads = [
        registration_payload(
            registrar, organisation_id(n), f"商户 {n}", ["merchant"], [SigningKey.from_seed(n.to_bytes(32)).public_key]
        )
        for n in range(1, args.events + 1)
    ]
    batch = [sign_event(payload, [registrar]).to_json() for payload in payloads]
    with tempfile.TemporaryDirectory(prefix="traceledger-bench-") as tmp:
        home = Home(Path(tmp) / "home")
        ledger = create_ledger(home)
        try:
            start = time.perf_counter()
            assert all(r.created for r in ledger.append(batch))
            fresh = time.perf_counter() - start
            size = ledger.size()
            replays: list[float] = []
            for _ in range(args.replays):
                start = time.perf_counter()
                results = ledger.append(batch)
                replays.append(time.perf_counter() - start)
                assert not any(r.created for r in results)
                assert ledger.size() == size
        finally:
            ledger.close()
    baseline = len(batch) / bare_verify_rate(batch, {registrar.kid: registrar.public_key})
    replay = statistics.median(replays)
    print(f"batch: {len(batch)} registrations, SQLite WAL FULL; {args.replays} replays")
    print(f"fresh append: {fresh:.3f} s")
    print(f"replay (median): {replay:.4f} s")
    print(f"baseline (bare single-core libsodium verify of the batch's signatures): {baseline:.4f} s")
    print(f"ratio replay/baseline: {replay / baseline:.2f}")


if __name__ == "__main__":
    main()
