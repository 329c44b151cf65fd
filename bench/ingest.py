"""Ingest benchmark: signed events appended in batches to a SQLite ledger already holding ``--size`` entries.

The events are the product's bulk traffic: parcels of a produced batch dispatched from a producer to a merchant,
each scanned by three couriers and received at the shop (five events a parcel, each spending the custody head
of the one before). Registrations and productions are set up before the clock starts.

A ledger of ``--size`` entries (and one of ``--reference`` entries) is built once of those same events and kept in
``build/bench-ledgers/<entries>-<code version>`` (the version hashes the sources that decide what a ledger holds,
so a changed rule builds it anew); each run appends ``--events`` more to a copy. Prints events/s at each size,
their ratio (how ingest holds up as the log grows), and the ratio to a bare single-core libsodium (pynacl) verify
loop over the same signed messages, measured in the same run, so the figures mean something on a shared, noisy
machine.

    .venv/bin/python -m bench.ingest [--size 1000000] [--reference 100000] [--events 20000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nacl.bindings
from sqlalchemy import func, select
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
from ledger.store.tables import ENTRIES
from signer.keys import SigningKey
from traceledger.settings import Home

PREFIX = "690123"
EVENTS_PER_PARCEL = 5
COURIERS = 3
BATCHES = 20  # produced batches the parcels draw from, in turn
CACHE = Path(__file__).resolve().parents[1] / "build" / "bench-ledgers"


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
    producer: Actor, merchant: Actor, couriers: Sequence[Actor], productions: list[str], count: int, first: int = 0
) -> list[dict[str, Any]]:
    """``count`` events: each parcel's dispatch, three courier scans and the shop's receipt, in order, the parcels
    numbered from ``first``."""
    envelopes: list[dict[str, Any]] = []
    parcel = first
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


def actors() -> tuple[Actor, Actor, list[Actor]]:
    """The producer, merchant and couriers of every benchmark ledger of parcel chains (deterministic keys)."""
    producer = Actor(
        1, "宣威火腿厂", ["producer"], licences=[Licence("food_production", "SC1", "2099-01-01T00:00:00Z")],
        gs1_prefixes=[PREFIX],
    )  # fmt: skip
    return (
        producer,
        Actor(2, "曲靖商店", ["merchant"]),
        [Actor(10 + i, f"快递{i}", ["courier"]) for i in range(COURIERS)],
    )


def append_all(ledger: Ledger, envelopes: list[dict[str, Any]], batch: int, progress: bool = False) -> float:
    """Append ``envelopes`` in batches (the next prepared while one commits); returns the seconds it took."""
    started = time.perf_counter()
    batches = (envelopes[i : i + batch] for i in range(0, len(envelopes), batch))
    for done, _ in enumerate(ledger.append_batches(batches)):
        if progress and done % 50 == 49:
            print(f"  built {ledger.size():,} entries ({time.perf_counter() - started:.0f} s)", flush=True)
    return time.perf_counter() - started


def build(home: Home, entries: int) -> None:
    """A ledger of exactly ``entries`` entries: genesis, registrations, productions, then parcel chains."""
    producer, merchant, couriers = actors()
    ledger = create_ledger(home)
    try:
        productions = setup(ledger, REGISTRAR, producer, [merchant, *couriers], batches=BATCHES)
        append_all(
            ledger, parcel_chains(producer, merchant, couriers, productions, entries - ledger.size()), 1000, True
        )
        assert ledger.size() == entries
    finally:
        ledger.close()


def code_version() -> str:
    """A hash of the sources that decide what a benchmark ledger holds: the ledger, the signer and this module."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted([*(root / "ledger").rglob("*.py"), *(root / "signer").rglob("*.py"), Path(__file__)]):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def cached_home(entries: int, *, rebuild: bool = False) -> Home:
    """The home of a benchmark ledger of ``entries`` entries, built the first time this code version asks."""
    home = Home(CACHE / f"{entries}-{code_version()}")
    if rebuild or not home.settings_file.exists():
        print(f"building a ledger of {entries:,} entries in {home.path} (kept for later runs)", flush=True)
        shutil.rmtree(home.path, ignore_errors=True)
        build(home, entries)
    return home


def _continuation(ledger: Ledger) -> tuple[list[str], int]:
    """What the next parcel chains of a built ledger need: its productions' event ids and the next parcel."""
    with ledger.engine.connect() as conn:
        productions = conn.execute(
            select(ENTRIES.c.event_id).where(ENTRIES.c.kind == "production").order_by(ENTRIES.c.leaf_index)
        ).scalars()
        parcels = conn.execute(select(func.count(ENTRIES.c.subject.distinct())).where(ENTRIES.c.kind == "shipment"))
        return list(productions), int(parcels.scalar_one())


def ingest_rate(cached: Home, events: int, batch: int, workdir: Path) -> tuple[float, list[dict[str, Any]]]:
    """Events/s appending ``events`` parcel-chain events to a copy of the ``cached`` ledger, and those events."""
    home = Home(workdir / cached.path.name)
    shutil.copytree(cached.path, home.path)
    ledger = home.open(PASSPHRASE)
    try:
        productions, next_parcel = _continuation(ledger)
        producer, merchant, couriers = actors()
        envelopes = parcel_chains(producer, merchant, couriers, productions, events, first=next_parcel)
        size = ledger.size()
        seconds = append_all(ledger, envelopes, batch)
        assert ledger.size() == size + events
    finally:
        ledger.close()
        shutil.rmtree(home.path)
    return events / seconds, envelopes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=1_000_000, help="entries in the ledger appended to")
    parser.add_argument("--reference", type=int, default=100_000, help="entries in the ledger of the reference rate")
    parser.add_argument("--events", type=int, default=20_000, help="events appended and timed at each size")
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--rebuild", action="store_true", help="build the ledgers again even if they are cached")
    args = parser.parse_args()
    sizes = {
        "reference": cached_home(args.reference, rebuild=args.rebuild),
        "size": cached_home(args.size, rebuild=args.rebuild),
    }
    with tempfile.TemporaryDirectory(prefix="traceledger-bench-", dir=CACHE) as tmp:
        reference, _ = ingest_rate(sizes["reference"], args.events, args.batch, Path(tmp))
        rate, envelopes = ingest_rate(sizes["size"], args.events, args.batch, Path(tmp))
    producer, merchant, couriers = actors()
    keys = {a.key.kid: a.key.public_key for a in (producer, merchant, *couriers)}
    baseline = bare_verify_rate(envelopes, keys)
    print(f"events: {args.events:,} (dispatches and custody handoffs) in batches of {args.batch}, SQLite WAL FULL")
    print(f"ingest at {args.reference:,} entries: {reference:,.0f} events/s")
    print(f"ingest at {args.size:,} entries: {rate:,.0f} events/s")
    print(f"ratio ingest at {args.size:,} / at {args.reference:,}: {rate / reference:.2f}")
    print(f"baseline (bare single-core libsodium verify): {baseline:,.0f} verifies/s")
    print(f"ratio ingest/baseline (at {args.size:,} entries): {rate / baseline:.2f}")


if __name__ == "__main__":
    main()
