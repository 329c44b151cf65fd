"""EPCIS query benchmark: ``MATCH_epc`` of one parcel (what ``GET /epcis/events?MATCH_epc=…`` runs) over a log
of parcel chains, against a baseline measured in the same run: the EPCIS export of that parcel's own history
(``traceledger export 00/<SSCC>``), which reads its entries by the subject index.

A query that reads the whole log to find one parcel's events costs in proportion to the log; one served by the
subject index costs about the baseline. Prints both times and their ratio (baseline ÷ query: near 1 when the
query is served by the index, far below 1 when it scans the log).

    .venv/bin/python -m bench.epcis_query [--events 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.ingest import COURIERS, PREFIX, REGISTRAR, Actor, create_ledger, gs1, parcel_chains, setup
from ledger.epcis.export import epcis_events, subject_entries
from ledger.epcis.query import query_events
from ledger.events.builders import Licence
from traceledger.settings import Home


def _median(runs: int, call: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    licence = Licence("food_production", "SC1", "2099-01-01T00:00:00Z")
    producer = Actor(1, "宣威火腿厂", ["producer"], licences=[licence], gs1_prefixes=[PREFIX])
    merchant = Actor(2, "曲靖商店", ["merchant"])
    couriers = [Actor(10 + i, f"快递{i}", ["courier"]) for i in range(COURIERS)]
    with tempfile.TemporaryDirectory(prefix="traceledger-bench-") as tmp:
        ledger = create_ledger(Home(Path(tmp) / "home"))
        try:
            productions = setup(ledger, REGISTRAR, producer, [merchant, *couriers], batches=20)
            envelopes = parcel_chains(producer, merchant, couriers, productions, args.events)
            for _ in ledger.append_batches(envelopes[i : i + 1000] for i in range(0, len(envelopes), 1000)):
                pass
            path = "00/" + gs1(f"0{PREFIX}{len(envelopes) // 10:010d}")  # a parcel from mid-log
            parcel = "https://id.gs1.org/" + path
            found = query_events(ledger, {"MATCH_epc": [parcel]}).events
            assert len(found) == 4, len(found)  # its four handoffs (its dispatch names it as parentID)
            query = _median(args.runs, lambda: query_events(ledger, {"MATCH_epc": [parcel]}))
            baseline = _median(args.runs, lambda: epcis_events(ledger, subject_entries(ledger, path)))
        finally:
            ledger.close()
    print(f"log: {len(envelopes)} events (dispatches and custody handoffs), SQLite WAL FULL")
    print(f"MATCH_epc of one parcel: {query * 1000:.1f} ms")
    print(f"baseline (the parcel's own history exported): {baseline * 1000:.1f} ms")
    print(f"ratio baseline/query: {baseline / query:.3f}")


if __name__ == "__main__":
    main()
