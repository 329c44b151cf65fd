"""Ingest benchmark: N signed events appended in batches to a fresh SQLite ledger.

Prints events/s and its ratio to a bare single-core libsodium (pynacl) verify loop over the same signed
messages, measured in the same run, so the figure means something on a shared, noisy machine.

    .venv/bin/python -m bench.ingest [--events 20000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import nacl.bindings
from stdnum.cn import uscc

from ledger.events import parse_envelope, sign_event
from ledger.events.builders import Registrar, registration_payload
from signer.keys import SigningKey
from traceledger.settings import Home


def merchant_uscc(n: int) -> str:
    body = f"91530300MA{n:07d}"
    return body + str(uscc.calc_check_digit(body))


def signed_registrations(registrar: SigningKey, count: int) -> list[dict[str, object]]:
    envelopes = []
    for n in range(count):
        key = SigningKey.from_seed(n.to_bytes(32, "big"))
        payload = registration_payload(registrar, merchant_uscc(n), f"商户 {n}", ["merchant"], [key.public_key])
        envelopes.append(sign_event(payload, [registrar]).to_json())
    return envelopes


def bare_verify_rate(envelopes: list[dict[str, object]], public_key: bytes) -> float:
    """Signatures verified per second by one core with libsodium, no parsing, no storage."""
    checks = []
    for envelope in envelopes:
        event = parse_envelope(envelope)
        checks.append((event.envelope.pae(), event.envelope.signatures[0].sig))
    start = time.perf_counter()
    for message, signature in checks:
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    return len(checks) / (time.perf_counter() - start)


def ingest_rate(envelopes: list[dict[str, object]], registrar: SigningKey, batch: int) -> float:
    with tempfile.TemporaryDirectory(prefix="traceledger-bench-") as tmp:
        home = Home(Path(tmp) / "home")
        ledger = home.create(
            "bench.example/log",
            [Registrar(merchant_uscc(9_999_999), "bench registrar", (registrar.public_key,))],
            "bench",
        )
        try:
            start = time.perf_counter()
            for i in range(0, len(envelopes), batch):
                ledger.append(envelopes[i : i + batch])
            elapsed = time.perf_counter() - start
            assert ledger.size() == len(envelopes) + 1
        finally:
            ledger.close()
    return len(envelopes) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1_000)
    args = parser.parse_args()
    registrar = SigningKey.from_seed(b"bench registrar".ljust(32, b"\0"))
    envelopes = signed_registrations(registrar, args.events)
    baseline = bare_verify_rate(envelopes, registrar.public_key)
    rate = ingest_rate(envelopes, registrar, args.batch)
    print(f"events: {args.events} in batches of {args.batch} (SQLite WAL, synchronous=FULL)")
    print(f"ingest: {rate:,.0f} events/s")
    print(f"baseline (bare single-core libsodium verify): {baseline:,.0f} verifies/s")
    print(f"ratio ingest/baseline: {rate / baseline:.2f}")


if __name__ == "__main__":
    main()
