"""Scan-path benchmark: a batch's bundle and an item's page over HTTP, against a trivial endpoint of the same server.

A fresh SQLite ledger is built in a temporary home (its story gives one batch a history of 20 events: production,
inspections, listings, reviews, complaints and their resolutions, a recall; the parcels that carried the goods to
four consumers are logged too but are not part of the batch's own history, and the first of them carries item
0001). A real uvicorn server process is then started on localhost with the app factory, and ``wrk`` drives each
endpoint in turn with N concurrent keep-alive connections, sending ``Accept-Encoding: gzip`` as a phone browser
does: ``GET /v1/subjects/{batch}`` (the bundle), and the item's portal page as a phone opens it, the HTML (each
one a scan the portal records) followed by the bundle the page's verifier fetches, as one request pair.

Prints requests/s (pairs/s for the page), p50 and p99 latency of each and its ratio to the trivial endpoint
(``GET /v1/ping``), which measures what the server, the framework and the load generator cost on their own, so
the ratio says what the scan path adds, on a shared, noisy machine.

Why wrk: it is C (epoll, one thread here) and costs the server's machine little CPU per request, so even the
trivial endpoint is limited by the server rather than by the client; a Python load generator (httpx with
threads) spends more CPU per request than the server's trivial handler does and would cap that baseline, making
the ratio meaningless on a 2-core machine. Install it with ``apt-get install -y wrk``.

The server runs without the per-client rate limits (``traceledger serve`` limits each client address to 600
reads and 120 appends a minute, which a load generator on localhost would hit at once) and without the access log.

    .venv/bin/python -m bench.scan_http [--duration 10] [--warmup 2] [--connections 8] [--workers 1]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bench.ingest import Actor, gs1, organisation_id
from ledger.events import EventPayload, sign_event
from ledger.events.builders import (
    Content,
    Licence,
    Registrar,
    complaint_payload,
    dispatch_payload,
    handoff_payload,
    inspection_payload,
    listing_payload,
    production_payload,
    recall_payload,
    registration_payload,
    resolution_payload,
    review_payload,
    signature_payload,
)
from ledger.store.ledger import Ledger
from signer.keys import PASSPHRASE_ENV, SigningKey
from traceledger.settings import DATABASE_URL_ENV, HOME_ENV, Home

if TYPE_CHECKING:
    from litestar import Litestar

PASSPHRASE = "bench passphrase"  # noqa: S105 -- the log key of a throwaway ledger
PREFIX = "690123"
VALID_UNTIL = "2099-01-01T00:00:00Z"
CONSUMERS = 4
HISTORY_EVENTS = 20
TRIVIAL = "/v1/ping"
ITEM_SERIAL = "0001"  # carried by the first consumer's parcel

# wrk calls done() once at the end; it prints one JSON line after its own report (what ``wrk()`` reads).
# Latencies are in microseconds. Every wrk script of the benchmarks ends with it.
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%.0f,"p99_us":%.0f,"errors":%d,"bad_status":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""
GZIP = {"Accept-Encoding": "gzip"}
JSON = "application/json"


# ---- the ledger ----------------------------------------------------------------------------------------------


def served_app() -> Litestar:
    """The app of the benchmark's server process: the API and portal over the ledger of TRACELEDGER_HOME, without
    rate limits."""
    from api import ApiSettings, create_app
    from traceledger.server import scan_salt
    from verify_portal import PortalSettings, portal_route_handlers

    where = Home.resolve(None)
    passphrase = os.environ.get(PASSPHRASE_ENV, "")
    portal = portal_route_handlers(PortalSettings(scan_salt=scan_salt(where)))
    settings = ApiSettings(
        open_ledger=lambda: where.open(passphrase), read_rate_limit=None, write_rate_limit=None,
        extra_route_handlers=portal,
    )  # fmt: skip
    return create_app(settings)


class _Story:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def log(self, payload: EventPayload, key: SigningKey) -> str:
        return self.ledger.append([sign_event(payload, [key]).to_json()])[0].event_id


def build_story(ledger: Ledger, registrar: SigningKey) -> str:
    """Register the actors and log a story giving one batch a history of 20 events; returns the batch's path."""
    licence = Licence("food_production", "SC11253010200015", VALID_UNTIL)
    producer = Actor(1, "宣威火腿厂", ["producer"], licences=[licence], gs1_prefixes=[PREFIX])
    lab = Actor(2, "云南省食品检验所", ["lab"])
    regulator = Actor(3, "曲靖市市场监督管理局", ["regulator"])
    courier = Actor(4, "曲靖快递", ["courier"])
    merchants = [
        Actor(10 + n, f"网店{n}", ["merchant"], licences=[Licence("food_business", f"JY{n}", VALID_UNTIL)])
        for n in range(3)
    ]
    story = _Story(ledger)
    for actor in (producer, lab, regulator, courier, *merchants):
        payload = registration_payload(
            registrar, actor.id, actor.name, actor.roles, [actor.key.public_key], **actor.registration
        )
        story.log(payload, registrar)

    gtin = gs1(f"0{PREFIX}000001")
    batch = f"01/{gtin}/10/XW2026-11"
    production = story.log(
        production_payload(
            producer.key, gtin, "XW2026-11", product="宣威火腿", category="food", quantity=1000, unit="件",
            place="云南省宣威市", expiry="2099-01-01",
        ),
        producer.key,
    )  # fmt: skip
    for inspector in (producer, lab, regulator):
        payload = inspection_payload(inspector.key, batch, production, result="pass", standard="GB 2730-2015")
        story.log(payload, inspector.key)
    for merchant in merchants:
        story.log(listing_payload(merchant.key, batch, production, price=12_800), merchant.key)

    receipts: list[tuple[SigningKey, str]] = []
    for n in range(CONSUMERS):
        content = Content(batch, 1, (ITEM_SERIAL,) if n == 0 else ())
        consumer = SigningKey.from_seed(f"consumer {n}".encode().ljust(32, b"\0"))
        parcel = "00/" + gs1(f"0{PREFIX}{n:010d}")
        dispatched = story.log(
            dispatch_payload(
                producer.key, parcel, [content], [production], location="宣威市",
                consignee_key=consumer.public_key,
            ),
            producer.key,
        )  # fmt: skip
        handoff = handoff_payload(courier.key, parcel, dispatched, from_actor=producer.id, location="曲靖分拨中心")
        picked_up = story.log(handoff, courier.key)
        receipts.append((consumer, story.log(signature_payload(consumer, parcel, picked_up), consumer)))
    for consumer, receipt in receipts:
        first = story.log(review_payload(consumer, batch, receipt, rating=5), consumer)
        story.log(review_payload(consumer, batch, first, rating=4), consumer)
    for consumer, receipt in receipts[:2]:
        complaint = story.log(complaint_payload(consumer, batch, category="quality", parents=[receipt]), consumer)
        resolution = resolution_payload(
            regulator.key, batch, complaint, outcome="compensated", reason="mediation_agreement", compensation=500
        )
        story.log(resolution, regulator.key)
    story.log(recall_payload(producer.key, batch, production, reason="quality", level=3), producer.key)
    return batch


# ---- the server ----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(home: Path, workers: int, log: Path, database_url: str | None = None) -> Iterator[str]:
    """A uvicorn server process over the ledger in ``home`` (its database at ``database_url`` if given) until the
    block ends; yields its base URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    env.update({HOME_ENV: str(home), PASSPHRASE_ENV: PASSPHRASE})
    if database_url is not None:
        env[DATABASE_URL_ENV] = database_url
    command = [
        sys.executable, "-m", "uvicorn", "bench.scan_http:served_app", "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    root = Path(__file__).resolve().parent.parent
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 -- our own server, fixed arguments
            command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the server exited:\n{log.read_text(encoding='utf-8')}")
            try:
                if httpx.get(base + TRIVIAL, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer within 60 s")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# ---- the load ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk(wrk_path: str, url: str, script: Path, *, seconds: int, connections: int) -> Result:
    """Run wrk against ``url`` with one thread and ``connections`` keep-alive connections."""
    command = [
        wrk_path, "--threads", "1", "--connections", str(connections), "--duration", f"{seconds}s",
        "--timeout", "10s", "--script", str(script), url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 60)  # noqa: S603
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    figures: dict[str, Any] = json.loads(lines[-1])
    if figures["errors"] or figures["bad_status"]:
        raise SystemExit(f"{url}: {figures['errors']} socket errors, {figures['bad_status']} non-2xx answers")
    return Result(figures["requests"], figures["duration_us"] / 1e6, figures["p50_us"] / 1e3, figures["p99_us"] / 1e3)


def _check_bundle(base: str, batch: str) -> tuple[int, int]:
    """The bundle's size decoded and as sent gzipped, after checking that it holds the whole history."""
    with httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}, timeout=30) as client:
        response = client.get(f"/v1/subjects/{batch}")
        response.raise_for_status()
        entries = response.json()["entries"]
        if len(entries) != HISTORY_EVENTS:
            raise SystemExit(f"the bundle of {batch} holds {len(entries)} entries, not {HISTORY_EVENTS}")
        return len(response.content), response.num_bytes_downloaded


def _verifier_fetch(base: str, item: str) -> str:
    """The path the item page's verifier fetches its bundle from: the one the page names (``traceledger-bundle``), else
    the page's own path asked for JSON."""
    response = httpx.get(f"{base}/{item}", headers={"Accept": "text/html"}, timeout=30)
    response.raise_for_status()
    named = re.search(r'<meta name="traceledger-bundle" content="([^"]+)"', response.text)
    return html.unescape(named.group(1)) if named else f"/{item}"


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    headers: dict[str, str]

    def script(self) -> str:
        """The wrk script sending this target's headers, as a phone browser would, and reporting in JSON."""
        lines = [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in {**GZIP, **self.headers}.items()]
        return "\n".join(lines) + "\n" + WRK_REPORT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load per endpoint first")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    wrk_path = shutil.which("wrk")
    if wrk_path is None:
        raise SystemExit("this benchmark drives the server with wrk: install it (Debian: apt-get install -y wrk)")

    registrar = SigningKey.from_seed(b"bench registrar".ljust(32, b"\0"))
    with tempfile.TemporaryDirectory(prefix="traceledger-scan-") as tmp:
        home = Home(Path(tmp) / "home")
        genesis_registrar = Registrar(organisation_id(9_999_999), "登记机关", (registrar.public_key,))
        ledger = home.create("bench.example/log", [genesis_registrar], PASSPHRASE)
        try:
            batch = build_story(ledger, registrar)
            size = ledger.size()
        finally:
            ledger.close()
        item = f"{batch}/21/{ITEM_SERIAL}"
        with serving(home.path, args.workers, Path(tmp) / "server.log") as base:
            decoded, sent = _check_bundle(base, batch)
            targets = [
                Target("trivial", TRIVIAL, {}),
                Target("bundle", f"/v1/subjects/{batch}", {}),
                Target("page", f"/{item}", {"Accept": "text/html"}),
                Target("verifier", _verifier_fetch(base, item), {"Accept": JSON, "Sec-Fetch-Site": "same-origin"}),
            ]
            results: dict[str, Result] = {}
            for target in targets:
                script = Path(tmp) / f"{target.name}.lua"
                script.write_text(target.script(), encoding="utf-8")
                url = base + target.path
                if args.warmup:
                    wrk(wrk_path, url, script, seconds=args.warmup, connections=args.connections)
                results[target.name] = wrk(wrk_path, url, script, seconds=args.duration, connections=args.connections)

    print(f"ledger: {size} entries, SQLite WAL; batch {batch}: {HISTORY_EVENTS} events in its history")
    print(f"bundle: {decoded:,} bytes of JSON, {sent:,} bytes gzipped on the wire")
    print(
        f"server: uvicorn, {args.workers} worker(s), no rate limit, no access log; load: wrk, 1 thread, "
        f"{args.connections} connections, {args.duration} s per endpoint after {args.warmup} s warm-up"
    )
    trivial = results["trivial"].rate
    for target in targets:
        r = results[target.name]
        print(
            f"{target.name:9} GET {target.path[:60]:60} {r.rate:8,.0f} req/s  p50 {r.p50_ms:6.2f} ms  "
            f"p99 {r.p99_ms:6.2f} ms  p99/p50 {r.p99_ms / r.p50_ms:4.1f}  ratio {r.rate / trivial:.3f}"
        )
    page, verifier = results["page"], results["verifier"]
    viewed = 1 / (1 / page.rate + 1 / verifier.rate)  # one server's time for the page and its verifier's fetch
    print(f"item page viewed (HTML + verifier fetch): {viewed:,.0f} views/s, ratio to trivial {viewed / trivial:.3f}")


if __name__ == "__main__":
    main()
