"""Ingest benchmark: N signed events appended in batches to a fresh SQLite ledger.

The events are the product's bulk traffic: parcels of a produced batch dispatched from a producer to a merchant,
each scanned by three couriers and received at the shop (five events a parcel, each spending the custody head
of the one before). Registrations and productions are set up before the clock starts.

Prints events/s and the ratio to a bare single-core libsodium (pynacl) verify loop over the same signed
messages, measured in the same run, so the figure means something on a shared, noisy machine.

    .venv/bin/python -m bench.ingest [--events 20000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nacl.bindings
from stdnum import ean
from stdnum.cn import uscc

from ledger.events import EventPayload, parse_envelope, sign_event
from ledger.events.builders import (
    Content,
    Licence,
    Registrar,
    dispatch_payload,
    handoff_payload,
    production_payload,
    registration_payload,
)
from ledger.store.ledger import Ledger
from signer.keys import SigningKey
from traceledger.settings import Home

PREFIX = "690123"
EVENTS_PER_PARCEL = 5
COURIERS = 3


def organisation_id(n: int) -> str:
    body = f"91530300MA{n:07d}"
    return body + str(uscc.calc_check_digit(body))


def gs1(digits: str) -> str:
    return digits + ean.calc_check_digit(digits)


class Actor:
    def __init__(self, n: int, name: str, roles: Sequence[str], **registration: Any) -> None:
        self.id, self.name, self.roles, self.registration = organisation_id(n), name, roles, registration
        self.key = SigningKey.from_seed(n.to_bytes(32, "big"))


#: The benchmarks' registrar, named by the genesis of every benchmark ledger.
REGISTRAR = SigningKey.from_seed(b"bench registrar".ljust(32, b"\0"))
PASSPHRASE = "bench passphrase"  # noqa: S105 -- a throwaway benchmark ledger's key


def create_ledger(home: Home) -> Ledger:
    """A new benchmark ledger in ``home`` whose genesis names ``REGISTRAR``."""
    registrars = [Registrar(organisation_id(9_999_999), "登记机关", (REGISTRAR.public_key,))]
    return home.create("bench.example/log", registrars, PASSPHRASE)


def setup(ledger: Ledger, registrar: SigningKey, producer: Actor, others: Sequence[Actor], batches: int) -> list[str]:
    """Register the actors and produce the batches; returns the batches' production event ids."""
    envelopes = []
    for actor in (producer, *others):
        payload = registration_payload(
            registrar, actor.id, actor.name, actor.roles, [actor.key.public_key], **actor.registration
        )
        envelopes.append(sign_event(payload, [registrar]).to_json())
    ledger.append(envelopes)
    productions = [
        production_payload(
            producer.key,
            gs1(f"0{PREFIX}{b:06d}"),
            f"LOT{b}",
            product="宣威火腿",
            category="food",
            quantity=1_000_000,
            unit="件",
            place="宣威市",
        )
        for b in range(batches)
    ]
    results = ledger.append([sign_event(p, [producer.key]).to_json() for p in productions])
    return [r.event_id for r in results]


def parcel_chains(
    producer: Actor, merchant: Actor, couriers: Sequence[Actor], productions: list[str], count: int
) -> list[dict[str, Any]]:
    """``count`` events: each parcel's dispatch, three courier scans and the shop's receipt, in order."""
    envelopes: list[dict[str, Any]] = []
    parcel = 0
    while len(envelopes) < count:
        batch_number = parcel % len(productions)
        batch = f"01/{gs1(f'0{PREFIX}{batch_number:06d}')}/10/LOT{batch_number}"
        path = "00/" + gs1(f"0{PREFIX}{parcel:010d}")
        payload: EventPayload = dispatch_payload(
            producer.key, path, [Content(batch, 1)], [productions[batch_number]], location="宣威市", to=merchant.id
        )
        chain = [(payload, producer.key)]
        holder = producer
        for courier in (*couriers, merchant):
            payload = handoff_payload(
                courier.key, path, payload.canonical_id(), from_actor=holder.id, location="曲靖市"
            )
            chain.append((payload, courier.key))
            holder = courier
        envelopes.extend(sign_event(p, [k]).to_json() for p, k in chain)
        parcel += 1
    return envelopes[:count]


def bare_verify_rate(envelopes: list[dict[str, Any]], keys: dict[str, bytes]) -> float:
    """Signatures verified per second by one core with libsodium, no parsing, no storage."""
    checks = []
    for envelope in envelopes:
        event = parse_envelope(envelope)
        first = event.envelope.signatures[0]
        checks.append((event.envelope.pae(), first.sig, keys[first.keyid]))
    start = time.perf_counter()
    for message, signature, key in checks:
        nacl.bindings.crypto_sign_open(signature + message, key)
    return len(checks) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1_000)
    args = parser.parse_args()
    producer = Actor(
        1,
        "宣威火腿厂",
        ["producer"],
        licences=[Licence("food_production", "SC1", "2099-01-01T00:00:00Z")],
        gs1_prefixes=[PREFIX],
    )
    merchant = Actor(2, "曲靖商店", ["merchant"])
    couriers = [Actor(10 + i, f"快递{i}", ["courier"]) for i in range(COURIERS)]
    with tempfile.TemporaryDirectory(prefix="traceledger-bench-") as tmp:
        home = Home(Path(tmp) / "home")
        ledger = create_ledger(home)
        try:
            productions = setup(ledger, REGISTRAR, producer, [merchant, *couriers], batches=20)
            envelopes = parcel_chains(producer, merchant, couriers, productions, args.events)
            start_size = ledger.size()
            start = time.perf_counter()
            batches = (envelopes[i : i + args.batch] for i in range(0, len(envelopes), args.batch))
            for _ in ledger.append_batches(batches):  # the next batch is prepared while one commits
                pass
            rate = len(envelopes) / (time.perf_counter() - start)
            assert ledger.size() == start_size + len(envelopes)
        finally:
            ledger.close()
    keys = {a.key.kid: a.key.public_key for a in (producer, merchant, *couriers)}
    baseline = bare_verify_rate(envelopes, keys)
    print(f"events: {len(envelopes)} (dispatches and custody handoffs) in batches of {args.batch}, SQLite WAL FULL")
    print(f"ingest: {rate:,.0f} events/s")
    print(f"baseline (bare single-core libsodium verify): {baseline:,.0f} verifies/s")
    print(f"ratio ingest/baseline: {rate / baseline:.2f}")


if __name__ == "__main__":
    main()
