"""Submission benchmark: single-event ``POST /v1/events`` from many concurrent clients, over HTTP.

A fresh ledger (SQLite in a temporary home, or with ``--database-url`` a PostgreSQL schema made for the run and
dropped after it) gets a producer, a shop and the producer's batches; then each request posts one new dispatch of
one parcel from a batch to the shop, signed by the producer, as a city's shops do all day. A real uvicorn server
(``--workers`` processes) serves the app factory, and ``wrk`` drives it with ``--connections`` keep-alive clients,
each request a different envelope (a Lua script reads them from a file), so every answer is a 201 and a new entry.

Prints events/s (the 201s wrk counted, checked against the log's growth over the run), latency,
and the ratio to a bare single-core libsodium verify loop over the same envelopes measured in the same run: what
the whole path (HTTP, parsing, verifying, rules, commit, fsync, checkpoint) keeps of the one step it cannot skip.

    .venv/bin/python -m bench.submit_http [--duration 10] [--warmup 2] [--connections 16] [--workers 1]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine

from bench.ingest import REGISTRAR, Actor, bare_verify_rate, create_ledger, gs1, setup
from bench.scan_http import WRK_REPORT, serving, wrk
from ledger.events import sign_event
from ledger.events.builders import Content, Licence, dispatch_payload
from traceledger.settings import Home

PREFIX = "690123"
BATCHES = 50
VALID_UNTIL = "2099-01-01T00:00:00Z"

# One envelope per line of BODIES; each request takes the next (wrk's report follows: bench.scan_http.WRK_REPORT).
WRK_REQUESTS = """
local bodies = {}
for line in io.lines("BODIES") do bodies[#bodies + 1] = line end
local next_body = 0
request = function()
  next_body = next_body + 1
  local body = bodies[next_body]
  if body == nil then body = bodies[1] end  -- out of envelopes: a replay (200), which the run then reports
  return wrk.format("POST", "/v1/events", {["Content-Type"] = "application/json"}, body)
end
"""


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A PostgreSQL schema of the run's own under ``url``; yields a URL whose connections use it."""
    schema = f"traceledger_bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


def dispatches(producer: Actor, shop: Actor, productions: list[str], count: int) -> list[dict[str, Any]]:
    """``count`` independent single-event submissions: each dispatches one unit of a batch in a parcel of its own."""
    envelopes = []
    for n in range(count):
        number = n % len(productions)
        batch = f"01/{gs1(f'0{PREFIX}{number:06d}')}/10/LOT{number}"
        parcel = "00/" + gs1(f"0{PREFIX}{n:010d}")
        payload = dispatch_payload(
            producer.key, parcel, [Content(batch, 1)], [productions[number]], location="宣威市", to=shop.id
        )
        envelopes.append(sign_event(payload, [producer.key]).to_json())
    return envelopes


def posting(stem: Path, envelopes: list[dict[str, Any]]) -> Path:
    """A wrk script posting ``envelopes`` one a request, in order (written beside it as ``stem``.jsonl)."""
    bodies = stem.with_suffix(".jsonl")
    bodies.write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in envelopes), encoding="utf-8")
    script = stem.with_suffix(".lua")
    script.write_text(WRK_REQUESTS.replace("BODIES", str(bodies)) + WRK_REPORT, encoding="utf-8")
    return script


def log_size(base: str) -> int:
    """The tree size of the log's latest checkpoint (the second line of the C2SP note)."""
    response = httpx.get(f"{base}/checkpoint", timeout=30)
    response.raise_for_status()
    return int(response.text.splitlines()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive clients")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--envelopes", type=int, default=60_000, help="distinct envelopes signed for the run")
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead of SQLite")
    args = parser.parse_args()
    wrk_path = shutil.which("wrk")
    if wrk_path is None:
        raise SystemExit("this benchmark drives the server with wrk: install it (Debian: apt-get install -y wrk)")

    licence = Licence("food_production", "SC1125", VALID_UNTIL)
    producer = Actor(1, "宣威火腿厂", ["producer"], licences=[licence], gs1_prefixes=[PREFIX])
    shop = Actor(2, "网店", ["merchant"], licences=[Licence("food_business", "JY1", VALID_UNTIL)])
    with tempfile.TemporaryDirectory(prefix="traceledger-submit-") as tmp, _database(args.database_url) as url:
        home = Home(Path(tmp) / "home", url)
        ledger = create_ledger(home)
        try:
            productions = setup(ledger, REGISTRAR, producer, [shop], BATCHES)
        finally:
            ledger.close()
        envelopes = dispatches(producer, shop, productions, args.envelopes)
        verify_rate = bare_verify_rate(envelopes[:5_000], {producer.key.kid: producer.key.public_key})
        # The warm-up posts the envelopes from the end of the list, the run those from the start.
        script = posting(Path(tmp) / "run", envelopes)
        warm_script = posting(Path(tmp) / "warm", envelopes[len(envelopes) // 2 :])
        with serving(home.path, args.workers, Path(tmp) / "server.log", url) as base:
            if args.warmup:
                wrk(wrk_path, base, warm_script, seconds=args.warmup, connections=args.connections)
            before = log_size(base)
            result = wrk(wrk_path, base, script, seconds=args.duration, connections=args.connections)
            logged = log_size(base) - before
    # Requests in flight when the warm-up or the run stopped land on either side of the count: at most one per client.
    if abs(logged - result.requests) > 2 * args.connections:
        raise SystemExit(f"wrk counted {result.requests} answers but the log grew by {logged}: out of envelopes?")
    rate = result.requests / result.seconds
    database = "PostgreSQL" if args.database_url else "SQLite WAL"
    print(f"database: {database}; server: uvicorn, {args.workers} worker(s), no rate limit, no access log")
    print(f"load: wrk, {args.connections} connections, one new dispatch event per request, {args.duration} s")
    print(f"submissions: {rate:9,.0f} events/s   p50 {result.p50_ms:7.2f} ms   p99 {result.p99_ms:7.2f} ms")
    print(f"bare libsodium verify, one core: {verify_rate:,.0f}/s")
    print(f"ratio events/s ÷ verify/s: {rate / verify_rate:.3f}")


@contextmanager
def _database(url: str | None) -> Iterator[str | None]:
    if url is None:
        yield None
        return
    with fresh_schema(url) as schema_url:
        yield schema_url


if __name__ == "__main__":
    main()
