"""Risk detector benchmark: every detector over a large synthetic log, against a bare replay of the same log.

The log is built in memory (no database): genesis, the actors' registrations, one batch, then parcels sent by its
producer to consumers' keys (a pool of 5,000, so keys buy again), each scanned by a courier, signed for and reviewed
(four events a parcel). Both runs decode every entry from its bytes; the replay then applies the rules to an
in-memory ``State`` (as reindex and the audit do, without signature checks), the detectors feed their digest and
run every detector once at the end.

Prints events/s of each and the ratio detectors/replay, measured in the same run, in CPU seconds of this process
(``time.process_time``): on a shared machine the wall clock also counts the time other processes ran, which
swung the ratio of two 1M runs from 0.89 to 2.84.

    .venv/bin/python -m bench.risk [--size 1000000]     # --size 20000 for a quick run
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from bench.ingest import PREFIX, REGISTRAR, Actor, gs1, organisation_id
from ledger.events import EventPayload, LogEntry, format_time, parse_envelope, sign_event
from ledger.events.builders import (
    Content,
    Licence,
    Registrar,
    dispatch_payload,
    genesis_envelope,
    handoff_payload,
    production_payload,
    registration_payload,
    review_payload,
    signature_payload,
)
from ledger.risk import LogDigest, detect
from ledger.rules import State, apply_event
from signer.keys import SigningKey

CONSUMER_KEYS = 5_000


def synthetic_log(size: int) -> list[bytes]:
    """``size`` entries (at least the setup's) of a log that passes the rules, as stored entry bytes."""
    now = datetime.now(UTC)
    stamp = format_time(now, milliseconds=True)
    log_key = SigningKey.from_seed(b"bench log".ljust(32, b"\0"))
    registrar = Registrar(organisation_id(9_999_999), "登记机关", (REGISTRAR.public_key,))
    envelopes = [genesis_envelope("bench.example/log", log_key, [registrar], time=now).to_json()]
    licence = Licence("food_production", "SC1", "2099-01-01T00:00:00Z")
    producer = Actor(1, "宣威火腿厂", ["producer"], licences=[licence], gs1_prefixes=[PREFIX])
    courier = Actor(3, "快递", ["courier"])
    for actor in (producer, courier):
        payload = registration_payload(REGISTRAR, actor.id, actor.name, actor.roles, [actor.key.public_key],
                                       **actor.registration, time=now)  # fmt: skip
        envelopes.append(sign_event(payload, [REGISTRAR]).to_json())
    batch_gtin = gs1(f"0{PREFIX}000001")
    production = production_payload(producer.key, batch_gtin, "LOT1", product="宣威火腿", category="food",
                                    quantity=10**12, unit="件", place="宣威市", time=now)  # fmt: skip
    envelopes.append(sign_event(production, [producer.key]).to_json())
    batch = f"01/{batch_gtin}/10/LOT1"
    consumers = [SigningKey.from_seed((10_000 + n).to_bytes(32, "big")) for n in range(CONSUMER_KEYS)]
    for chain in _parcels(producer, courier, consumers, batch, production.canonical_id(), now):
        if len(envelopes) >= size:
            break
        envelopes.extend(sign_event(payload, [key]).to_json() for payload, key in chain)
    return [LogEntry.create(parse_envelope(e), stamp).data for e in envelopes[:size]]


def _parcels(
    producer: Actor, courier: Actor, consumers: list[SigningKey], batch: str, production: str, now: datetime
) -> Iterator[list[tuple[EventPayload, SigningKey]]]:
    """Each parcel's dispatch to a consumer, the courier's scan, the receipt and the review."""
    parcel = 0
    while True:
        consumer = consumers[parcel % len(consumers)]
        path = "00/" + gs1(f"0{PREFIX}{parcel:010d}")
        dispatch = dispatch_payload(producer.key, path, [Content(batch, 1)], [production], location="宣威市",
                                    consignee_key=consumer.public_key, time=now)  # fmt: skip
        handoff = handoff_payload(courier.key, path, dispatch.canonical_id(), from_actor=producer.id,
                                  location="曲靖市麒麟区", time=now)  # fmt: skip
        receipt = signature_payload(consumer, path, handoff.canonical_id(), time=now)
        review = review_payload(consumer, batch, receipt.canonical_id(), rating=5, time=now)
        yield [(dispatch, producer.key), (handoff, courier.key), (receipt, consumer), (review, consumer)]
        parcel += 1


def replay(entries: list[bytes]) -> float:
    """CPU seconds to decode every entry and apply the rules to an in-memory state."""
    start = time.process_time()
    state = State()
    for index, data in enumerate(entries):
        entry = LogEntry.parse(data)
        apply_event(state, entry.event, index, entry.logged_moment)
    return time.process_time() - start


def detectors(entries: list[bytes]) -> tuple[float, int]:
    """CPU seconds to decode every entry, digest it and run every detector; and how many findings they made."""
    start = time.process_time()
    digest = LogDigest()
    for data in entries:
        digest.add(LogEntry.parse(data))
    found = detect(digest)
    return time.process_time() - start, len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=1_000_000, help="events in the log (at least 6)")
    args = parser.parse_args()
    built = time.perf_counter()
    entries = synthetic_log(args.size)
    print(f"log: {len(entries):,} entries built and signed in {time.perf_counter() - built:.1f} s")
    replayed = replay(entries)
    detected, findings = detectors(entries)
    print(f"replay (decode + rules, in memory): {len(entries) / replayed:,.0f} events/s (CPU time)")
    print(f"detectors (decode + digest + every detector): {len(entries) / detected:,.0f} events/s (CPU time), "
          f"{findings} findings")  # fmt: skip
    print(f"ratio detectors/replay: {replayed / detected:.2f}")


if __name__ == "__main__":
    main()
