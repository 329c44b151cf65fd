"""Audit benchmark: a full audit of a ledger of N entries (dispatches and courier handoffs, as bench.ingest makes).

The ledger is built once (ingest runs at a few thousand events/s) and kept for later runs, as bench.ingest keeps
its ledgers (``build/bench-ledgers/<N>-<code version>``). Prints entries/s and the ratio to a bare single-core
libsodium (pynacl) verify loop over the same signed messages, measured in the same run, so the figure means
something on a shared, noisy machine; and the CPU time the audit took per entry (its process and its workers),
the figure to compare between runs there.

    .venv/bin/python -m bench.audit [--entries 100000] [--processes 2] [--rebuild]
"""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

from bench.ingest import actors, bare_verify_rate, cached_home
from ledger.audit import audit_log
from ledger.audit.database import DatabaseSource
from ledger.events import LogEntry
from ledger.store.engine import make_engine
from ledger.store.tables import ENTRIES
from signer.note import NoteVerifier
from traceledger.settings import Home


def signed_envelopes(home: Home) -> list[dict[str, Any]]:
    """The parcel chains' envelopes as logged, for the baseline loop over the same messages."""
    engine = make_engine(home.database_url())
    try:
        with engine.connect() as conn:
            datas = conn.execute(select_shipments()).scalars().all()
    finally:
        engine.dispose()
    return [LogEntry.parse(bytes(data)).event.envelope.to_json() for data in datas]


def select_shipments() -> Any:
    from sqlalchemy import select

    return select(ENTRIES.c.data).where(ENTRIES.c.kind == "shipment").order_by(ENTRIES.c.leaf_index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=None, help="worker processes [default: one per core]")
    parser.add_argument("--rebuild", action="store_true", help="build the ledger again even if it is cached")
    args = parser.parse_args()
    home = cached_home(args.entries, rebuild=args.rebuild)
    verifier = NoteVerifier.from_vkey(home.settings()["log_vkey"])
    before = cpu_seconds()
    started = time.perf_counter()
    with DatabaseSource(home.database_url()) as source:
        report = audit_log(source, verifier, verifier.name, processes=args.processes)
    elapsed = time.perf_counter() - started
    auditing, workers = (after - earlier for after, earlier in zip(cpu_seconds(), before, strict=True))
    assert report.ok, report.first.line if report.first else ""
    rate = report.entries / elapsed
    producer, merchant, couriers = actors()
    keys = {a.key.kid: a.key.public_key for a in (producer, merchant, *couriers)}
    baseline = bare_verify_rate(signed_envelopes(home), keys)
    print(f"audited: {report.entries:,} entries, {report.signatures:,} signatures, {report.checkpoints:,} checkpoints,")
    print(f"         {report.nodes:,} Merkle nodes, {report.view_rows:,} view rows, SQLite, in {elapsed:.1f} s")
    print(f"audit: {rate:,.0f} entries/s")
    cpu = (auditing + workers) / report.entries
    per_entry = f"auditing process {auditing / report.entries * 1e6:.0f}, workers {workers / report.entries * 1e6:.0f}"
    print(f"audit cpu: {cpu * 1e6:.0f} µs/entry ({per_entry})")
    print(f"baseline (bare single-core libsodium verify): {baseline:,.0f} verifies/s")
    print(f"ratio audit/baseline: {rate / baseline:.2f}")
    print(f"cpu ratio (one verify's time / the audit's cpu per entry): {1 / baseline / cpu:.2f}")


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user and system) of this process and of its finished children (the audit's workers): on a
    shared machine the cost of an audit, where its wall time is mostly the neighbours' load."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
