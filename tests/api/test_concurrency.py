"""Issue 4 acceptance: concurrent clients appending through real server processes never break the log.

16 client threads POST 5,000 single-event requests to real uvicorn processes (3 on PostgreSQL, 1 on SQLite):
a story world (registrations, productions), then parcels each with its chain (dispatch, courier handoffs,
arrival), where for 200 parcels two different couriers, sent by two clients to two servers at the same moment,
sign a handoff spending the same custody head. Each client owns the chains of its parcels and sends them in
order; the fork pair is the last handoff of its parcel, so only the pair conflicts.

Afterwards, reading the HTTP API only (plus the list of stored checkpoints, read from the database): the log's
indices are exactly the ones answered, one per accepted event; each fork was accepted exactly once; every
stored checkpoint is consistent with the next (proofs from the API); every entry's inclusion proof verifies
against the final checkpoint; the batches' quantities add up.

The servers are the API's app factory under uvicorn, one OS process each, opening the ledger named by the
environment as ``traceledger serve`` does, but without the per-address read limit: every client here is
127.0.0.1, and the check reads about 10,000 proofs.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from litestar import Litestar

from api import ApiSettings, create_app
from ledger.events import EventPayload, LogEntry, sign_event
from ledger.events.builders import (
    Content,
    Licence,
    dispatch_payload,
    handoff_payload,
    production_payload,
    registration_payload,
)
from ledger.identifiers import batch_subject
from ledger.log.checkpoint import Checkpoint, open_checkpoint
from ledger.log.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from ledger.log.tiles import TILE_WIDTH, tile_path
from signer.keys import PASSPHRASE_ENV, SigningKey
from tests.ledger.conftest import PASSPHRASE, LedgerFixture, create_ledger, make_uscc
from tests.scenarios.world import VALID_UNTIL, Party, gtin, sscc
from tests.servers import free_port
from traceledger.settings import DATABASE_URL_ENV, HOME_ENV, Home

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 16
PAIRS = CLIENTS // 2  # the two clients of a pair race each other's forks
TOTAL_POSTS = 5000
FORKS = 200
COURIERS = 8
BATCHES = 10
BATCH_QUANTITY = 1000
CHAIN_LENGTHS = (3, 4, 5)  # events of an ordinary parcel: dispatch, 1-3 courier handoffs, arrival
PREFIX = "690123"
SETUP_POSTS = 2 + COURIERS + BATCHES  # producer, merchant and couriers registered; batches produced
FORK_POSTS = 4  # dispatch, one courier handoff, then two rival handoffs from the same head
SERVER_START_SECONDS = 60
REQUEST_SECONDS = 120  # generous: a request waits for the sequencing lock behind every other writer
BARRIER_SECONDS = 600
PROBLEM_FORK = "/problems/custody-fork"

T = TypeVar("T")


def unthrottled_app() -> Litestar:
    """The uvicorn app factory of each server process: ``served_app`` without the per-address rate limits."""
    where = Home.resolve(None)
    passphrase = os.environ[PASSPHRASE_ENV]
    settings = ApiSettings(open_ledger=lambda: where.open(passphrase), read_rate_limit=None, write_rate_limit=None)
    return create_app(settings)


# ---- servers ------------------------------------------------------------------------------------------------


def _start_server(home: Home, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    env.update({HOME_ENV: str(home.path), PASSPHRASE_ENV: PASSPHRASE})
    if home.database_url_override:
        env[DATABASE_URL_ENV] = home.database_url_override
    command = [
        sys.executable, "-m", "uvicorn", "--factory", f"{__name__}:unthrottled_app", "--app-dir", str(ROOT),
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the server at {base} exited:\n{log.read_text(errors='replace')}"
        try:
            if httpx.get(base + "/checkpoint", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the server at {base} did not answer within {SERVER_START_SECONDS} s")


@dataclass
class Servers:
    bases: list[str]
    logs: list[Path]

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}" for log in self.logs)


@contextmanager
def running(home: Home, count: int, logs: Path) -> Iterator[Servers]:
    """``count`` server processes on ``home``'s ledger, each on its own free port, stopped when the block ends."""
    processes: list[subprocess.Popen[bytes]] = []
    servers = Servers([], [])
    try:
        for number in range(count):
            port, log = free_port(), logs / f"server-{number}.log"
            processes.append(_start_server(home, port, log))
            servers.bases.append(f"http://127.0.0.1:{port}")
            servers.logs.append(log)
        for base, process, log in zip(servers.bases, processes, servers.logs, strict=True):
            _wait_until_up(base, process, log)
        yield servers
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


# ---- the events to send -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One signed event, ready to send: its envelope as JSON bytes, its event id and what it is."""

    body: bytes
    event_id: str
    label: str


def _post(payload: EventPayload, key: SigningKey, label: str) -> Post:
    body = json.dumps(sign_event(payload, [key]).to_json()).encode()
    return Post(body, payload.canonical_id(), label)


@dataclass(frozen=True)
class Fork:
    number: int
    parcel: str
    head: str
    rivals: tuple[Post, Post]  # two couriers' handoffs spending ``head``
    barrier: threading.Barrier = field(compare=False)


@dataclass(frozen=True)
class Race:
    """A client's side of a fork: wait for the rival client, then send ``fork.rivals[side]``."""

    fork: Fork
    side: int


Step = Post | Race


@dataclass(frozen=True)
class Cast:
    registrar: SigningKey
    producer: Party
    merchant: Party
    couriers: list[Party]
    batches: list[tuple[str, str]]  # (batch path, production event id)


@dataclass
class Parcel:
    """Where a parcel goes: ``sent`` units of ``batch``; ``arrived`` when the merchant received it."""

    path: str
    batch: str
    posts: list[Post]
    arrived: bool


def _register(registrar: SigningKey, n: int, name: str, roles: Sequence[str], **kw: Any) -> tuple[Party, Post]:
    party = Party(make_uscc(n), name, SigningKey.generate())
    payload = registration_payload(registrar, party.id, name, roles, [party.key.public_key], **kw)
    return party, _post(payload, registrar, f"register {name}")


def setup_posts(registrar: SigningKey) -> tuple[Cast, list[Post]]:
    """The story world: a producer (food licence, GS1 prefix), a merchant, couriers, and the batches."""
    posts: list[Post] = []
    producer, post = _register(
        registrar, 301, "宣威市老浦火腿有限公司", ["producer"],
        licences=[Licence("food_production", "SC11253032800125", VALID_UNTIL)], gs1_prefixes=[PREFIX],
    )  # fmt: skip
    posts.append(post)
    merchant, post = _register(
        registrar, 302, "曲靖优选电子商务有限公司", ["merchant"],
        licences=[Licence("food_business", "JY15303020012345", VALID_UNTIL)],
    )  # fmt: skip
    posts.append(post)
    couriers: list[Party] = []
    for number in range(COURIERS):
        courier, post = _register(registrar, 310 + number, f"曲靖速达快递 {number}", ["courier"])
        couriers.append(courier)
        posts.append(post)
    batches: list[tuple[str, str]] = []
    for number in range(BATCHES):
        ham = gtin(PREFIX, number + 1)
        lot = f"XW2026-{number + 1:02d}"
        payload = production_payload(
            producer.key, ham, lot, product="宣威火腿", category="food", quantity=BATCH_QUANTITY, unit="件",
            place="云南省曲靖市宣威市",
        )  # fmt: skip
        posts.append(_post(payload, producer.key, f"produce {lot}"))
        batches.append((batch_subject(ham, lot).path, payload.canonical_id()))
    return Cast(registrar, producer, merchant, couriers, batches), posts


def _dispatch(cast: Cast, serial: int) -> tuple[str, str, Post]:
    parcel = sscc(serial, PREFIX)
    batch, production = cast.batches[serial % BATCHES]
    payload = dispatch_payload(
        cast.producer.key, parcel, [Content(batch, 1)], [production], location="宣威市 发货仓",
        to=cast.merchant.id,
    )  # fmt: skip
    return parcel, batch, _post(payload, cast.producer.key, f"{parcel} dispatch")


def _handoff(receiver: Party, parcel: str, head: str, giver: str, step: int) -> Post:
    payload = handoff_payload(receiver.key, parcel, head, from_actor=giver, location=f"曲靖分拨中心 {step}")
    return _post(payload, receiver.key, f"{parcel} handoff {step} to {receiver.name}")


def ordinary_parcel(cast: Cast, serial: int, length: int) -> Parcel:
    """A parcel of ``length`` events: dispatch, couriers in turn, and (from 2 events) the merchant's arrival."""
    parcel, batch, dispatch = _dispatch(cast, serial)
    posts = [dispatch]
    custodian = cast.producer.id
    for step in range(length - 2):
        courier = cast.couriers[(serial + step) % COURIERS]  # consecutive couriers always differ
        posts.append(_handoff(courier, parcel, posts[-1].event_id, custodian, step + 1))
        custodian = courier.id
    if length >= 2:
        posts.append(_handoff(cast.merchant, parcel, posts[-1].event_id, custodian, length - 1))
    return Parcel(parcel, batch, posts, arrived=length >= 2)


def fork_parcel(cast: Cast, serial: int, number: int) -> tuple[Parcel, Fork]:
    """Dispatch, one courier's handoff, then two other couriers both taking the parcel from that courier."""
    parcel, batch, dispatch = _dispatch(cast, serial)
    first = cast.couriers[number % COURIERS]
    taken = _handoff(first, parcel, dispatch.event_id, cast.producer.id, 1)
    rivals = tuple(
        _handoff(cast.couriers[(number + offset) % COURIERS], parcel, taken.event_id, first.id, 2) for offset in (1, 2)
    )
    fork = Fork(number, parcel, taken.event_id, (rivals[0], rivals[1]), threading.Barrier(2, timeout=BARRIER_SECONDS))
    return Parcel(parcel, batch, [dispatch, taken], arrived=False), fork


@dataclass
class Plan:
    setup: list[Post]
    parcels: list[Parcel]
    forks: list[Fork]
    schedules: list[list[Step]]  # one per client, in the order it sends

    @property
    def posts(self) -> int:
        return len(self.setup) + sum(len(p.posts) for p in self.parcels) + 2 * len(self.forks)


def plan(cast: Cast, setup: list[Post]) -> Plan:
    """Spread the parcels over the clients; each fork's rivals go to the two clients of a pair, which meet at
    the fork's barrier (both handle their pair's forks in the same order, so they cannot wait on each other
    in a cycle); the fork's owner sends its dispatch and first handoff just before."""
    ordinary_budget = TOTAL_POSTS - len(setup) - FORK_POSTS * FORKS
    units: list[list[list[Post]]] = [[] for _ in range(CLIENTS)]  # per client: its parcels' chains
    parcels: list[Parcel] = []
    serial = 1
    while ordinary_budget > 0:
        length = min(CHAIN_LENGTHS[serial % len(CHAIN_LENGTHS)], ordinary_budget)
        parcel = ordinary_parcel(cast, serial, length)
        parcels.append(parcel)
        units[serial % CLIENTS].append(parcel.posts)
        ordinary_budget -= length
        serial += 1
    forks: list[Fork] = []
    owned: dict[int, tuple[int, Parcel]] = {}
    for number in range(FORKS):
        parcel, fork = fork_parcel(cast, serial, number)
        serial += 1
        parcels.append(parcel)
        forks.append(fork)
        pair = number % PAIRS
        owned[number] = (2 * pair + (number // PAIRS) % 2, parcel)
    schedules: list[list[Step]] = []
    for client in range(CLIENTS):
        pair = client // 2
        races = [fork for fork in forks if fork.number % PAIRS == pair]
        mine = units[client]
        schedule: list[Step] = []
        spacing = len(mine) / (len(races) + 1)
        done = 0
        for place, fork in enumerate(races, start=1):
            while done < round(place * spacing):
                schedule.extend(mine[done])
                done += 1
            owner, parcel = owned[fork.number]
            if owner == client:
                schedule.extend(parcel.posts)
            schedule.append(Race(fork, side=0 if owner == client else 1))
        for unit in mine[done:]:
            schedule.extend(unit)
        schedules.append(schedule)
    result = Plan(setup, parcels, forks, schedules)
    assert result.posts == TOTAL_POSTS
    return result


# ---- sending --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    post: Post
    server: int
    status: int
    body: Any
    started: float  # time.monotonic() when the request was sent, and when its answer had arrived
    ended: float

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def problem_type(self) -> str | None:
        return self.body.get("type") if isinstance(self.body, dict) else None

    @property
    def index(self) -> int:
        index: int = self.body["entries"][0]["index"]
        return index

    def describe(self) -> str:
        return f"{self.post.label} on server {self.server}: {self.status} {json.dumps(self.body)[:300]}"


def send(client: httpx.Client, server: int, post: Post) -> Outcome:
    started = time.monotonic()
    response = client.post("/v1/events", content=post.body, headers={"content-type": "application/json"})
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return Outcome(post, server, response.status_code, body, started, time.monotonic())


def run_clients(servers: Servers, schedules: list[list[Step]], forks: list[Fork]) -> list[Outcome]:
    """Each client thread sends its schedule to its server (client n → server n mod count); a failure in one
    breaks every fork barrier so that no client waits for a partner that stopped."""
    outcomes: list[list[Outcome]] = [[] for _ in schedules]
    errors: list[BaseException] = []

    def client_main(number: int) -> None:
        server = number % len(servers.bases)
        try:
            with httpx.Client(base_url=servers.bases[server], timeout=REQUEST_SECONDS) as client:
                for step in schedules[number]:
                    if isinstance(step, Race):
                        step.fork.barrier.wait()
                        outcomes[number].append(send(client, server, step.fork.rivals[step.side]))
                    else:
                        outcomes[number].append(send(client, server, step))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            for fork in forks:
                fork.barrier.abort()

    threads = [threading.Thread(target=client_main, args=(n,), name=f"client-{n}") for n in range(len(schedules))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise AssertionError(f"{len(errors)} client(s) failed, first: {errors[0]!r}") from errors[0]
    return [outcome for per_client in outcomes for outcome in per_client]


# ---- reading back ---------------------------------------------------------------------------------------------


class Readers:
    """HTTP reads spread over every server from a pool of threads, one httpx client per thread and server."""

    def __init__(self, servers: Servers) -> None:
        self.bases = servers.bases
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    def get(self, number: int, path: str) -> httpx.Response:
        clients: dict[int, httpx.Client] | None = getattr(self._local, "clients", None)
        if clients is None:
            clients = self._local.clients = {}
        server = number % len(self.bases)
        if server not in clients:
            clients[server] = httpx.Client(base_url=self.bases[server], timeout=REQUEST_SECONDS)
            with self._lock:
                self._clients.append(clients[server])
        return clients[server].get(path)

    def map(self, function: Callable[[int], T], count: int) -> list[T]:
        with ThreadPoolExecutor(CLIENTS) as pool:
            return list(pool.map(function, range(count)))

    def close(self) -> None:
        for client in self._clients:
            client.close()


def _ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, f"{response.request.url}: {response.status_code} {response.text[:300]}"
    return response


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def read_entries(readers: Readers, size: int) -> list[bytes]:
    """Every entry of the log, from the C2SP entry bundles: full tiles, then the partial last one."""
    widths = [TILE_WIDTH] * (size // TILE_WIDTH) + ([size % TILE_WIDTH] if size % TILE_WIDTH else [])

    def bundle(n: int) -> list[bytes]:
        data = _ok(readers.get(n, "/" + tile_path("entries", n, widths[n]))).content
        entries: list[bytes] = []
        offset = 0
        while offset < len(data):
            length = int.from_bytes(data[offset : offset + 2], "big")
            entries.append(data[offset + 2 : offset + 2 + length])
            offset += 2 + length
        assert len(entries) == widths[n], f"entry bundle {n} holds {len(entries)} entries, not {widths[n]}"
        return entries

    return [entry for entries in readers.map(bundle, len(widths)) for entry in entries]


def _batch_summary(readers: Readers, batch: str) -> dict[str, Any]:
    summary: dict[str, Any] = _ok(readers.get(0, f"/v1/subjects/{batch}")).json()["summary"]["distribution"]
    return summary


# ---- the test -----------------------------------------------------------------------------------------------------


def _timed(timings: dict[str, float], name: str, started: float) -> float:
    now = time.monotonic()
    timings[name] = now - started
    return now


@pytest.mark.slow
def test_concurrent_clients_on_several_servers_keep_one_consistent_log(
    tmp_path: Path, database_url: str | None
) -> None:
    timings: dict[str, float] = {}
    started = time.monotonic()
    fixture: LedgerFixture = create_ledger(tmp_path / "home", database_url)
    home, registrar = fixture.home, fixture.registrar
    verifier, origin = fixture.ledger.log_verifier, fixture.ledger.origin
    fixture.ledger.close()
    server_count = 3 if database_url else 1

    with running(home, server_count, tmp_path) as servers:
        clock = _timed(timings, "start servers", started)
        cast, setup = setup_posts(registrar)
        with httpx.Client(base_url=servers.bases[0], timeout=REQUEST_SECONDS) as client:
            setup_outcomes = [send(client, 0, post) for post in setup]
        assert [o.status for o in setup_outcomes] == [201] * len(setup), [o.describe() for o in setup_outcomes]
        clock = _timed(timings, "set up the world", clock)

        the_plan = plan(cast, setup)
        clock = _timed(timings, "sign the events", clock)
        outcomes = setup_outcomes + run_clients(servers, the_plan.schedules, the_plan.forks)
        clock = _timed(timings, "send", clock)
        assert len(outcomes) == TOTAL_POSTS

        # Every answer: 201 for each ordinary event; of each fork pair one 201 and one 409 custody-fork.
        errors = [o for o in outcomes if o.status >= 500]
        assert not errors, f"{len(errors)} server errors, e.g. {errors[0].describe()}\n{servers.output()}"
        by_id = {o.post.event_id: o for o in outcomes}
        assert len(by_id) == TOTAL_POSTS, "two posts had the same event id"
        rivals = {post.event_id for fork in the_plan.forks for post in fork.rivals}
        unexpected = [o.describe() for o in outcomes if o.post.event_id not in rivals and o.status != 201]
        assert not unexpected, f"{len(unexpected)} ordinary events were refused, e.g. {unexpected[:5]}"
        winners: dict[int, str] = {}
        overlapping = 0  # fork pairs whose two requests were in flight at the same time
        for fork in the_plan.forks:
            pair = [by_id[post.event_id] for post in fork.rivals]
            accepted = [o for o in pair if o.status == 201]
            refused = [o for o in pair if o.status != 201]
            assert len(accepted) == 1, [o.describe() for o in pair]
            assert len(refused) == 1, [o.describe() for o in pair]
            assert refused[0].status == 409, refused[0].describe()
            assert refused[0].problem_type == PROBLEM_FORK, refused[0].describe()
            assert pair[0].server != pair[1].server or server_count == 1
            winners[fork.number] = accepted[0].post.event_id
            overlapping += max(pair[0].started, pair[1].started) < min(pair[0].ended, pair[1].ended)
        accepted_outcomes = [o for o in outcomes if o.status == 201]
        assert len(accepted_outcomes) == TOTAL_POSTS - FORKS

        readers = Readers(servers)
        try:
            # The final checkpoint, the same on every server, signed by the log key.
            notes = {_ok(readers.get(n, "/checkpoint")).text for n in range(server_count)}
            assert len(notes) == 1, f"the servers serve different checkpoints: {notes}"
            final = open_checkpoint(notes.pop(), verifier, origin)
            assert final.size == 1 + len(accepted_outcomes), "the log does not hold exactly the accepted events"

            # Indices: the entries, read back from the tiles, are exactly the accepted events, each at the index
            # its answer named (genesis at 0), in an order that respects every parcel's chain.
            entries = read_entries(readers, final.size)
            assert len(entries) == final.size
            logged_ids = [LogEntry.parse(entry).event.event_id for entry in entries]
            assert LogEntry.parse(entries[0]).event.payload.kind == "genesis"
            answered = sorted(o.index for o in accepted_outcomes)
            assert answered == list(range(1, final.size)), "the answered indices are not 1..size-1, once each"
            misplaced = [o.describe() for o in accepted_outcomes if logged_ids[o.index] != o.post.event_id]
            assert not misplaced, f"{len(misplaced)} events are not at the index answered, e.g. {misplaced[:3]}"
            position = {event_id: index for index, event_id in enumerate(logged_ids)}
            for parcel in the_plan.parcels:
                places = [position[post.event_id] for post in parcel.posts]
                assert places == sorted(places), f"{parcel.path} was logged out of order"
            stamps = [LogEntry.parse(entry).logged_at for entry in entries]
            assert stamps == sorted(stamps), "logged_at decreases along the log"
            assert all(o.body["entries"][0]["checkpoint_size"] > o.index for o in accepted_outcomes)

            # Each fork was accepted exactly once: the winner is logged after its head, the loser nowhere.
            for fork in the_plan.forks:
                logged = [post.event_id for post in fork.rivals if post.event_id in position]
                assert logged == [winners[fork.number]], f"fork {fork.number} on {fork.parcel}: {logged}"
                assert position[logged[0]] > position[fork.head]
            losers = [post.event_id for fork in the_plan.forks for post in fork.rivals if post.event_id not in position]
            statuses = readers.map(lambda n: readers.get(n, f"/v1/events/{losers[n]}").status_code, len(losers))
            assert statuses == [404] * len(losers)
            clock = _timed(timings, "read entries", clock)

            # The tree: the leaves of the entries give the final root, and every stored checkpoint's root.
            leaves = [leaf_hash(entry) for entry in entries]
            tree = MerkleTree(leaves)
            assert tree.root() == final.root
            reader = home.open()  # read-only: no passphrase, no log key
            try:
                checkpoints: list[Checkpoint] = reader.checkpoints()  # each verified under the log key
            finally:
                reader.close()
            sizes = [c.size for c in checkpoints]
            assert sizes == sorted(set(sizes)), "checkpoint sizes repeat"
            assert sizes[0] == 1
            assert sizes[-1] == final.size
            assert checkpoints[-1].root == final.root
            wrong_roots = [c.size for c in checkpoints if c.root != tree.root(c.size)]
            assert not wrong_roots, f"checkpoints of sizes {wrong_roots[:10]} do not match the logged entries"
            assert {o.body["entries"][0]["checkpoint_size"] for o in accepted_outcomes} <= set(sizes)

            # Every checkpoint is consistent with the next, by proofs that the API serves.
            def consistent(n: int) -> None:
                old, new = checkpoints[n], checkpoints[n + 1]
                body = _ok(readers.get(n, f"/v1/proofs/consistency?old={old.size}&new={new.size}")).json()
                assert (body["old_size"], body["new_size"]) == (old.size, new.size)
                verify_consistency(old.size, new.size, old.root, new.root, [_unb64(h) for h in body["proof"]])

            readers.map(consistent, len(checkpoints) - 1)
            clock = _timed(timings, "check consistency", clock)

            # Every entry's inclusion proof verifies against the final checkpoint.
            def included(index: int) -> None:
                body = _ok(readers.get(index, f"/v1/proofs/inclusion?index={index}&size={final.size}")).json()
                assert _unb64(body["leaf_hash"]) == leaves[index]
                verify_inclusion(leaves[index], index, final.size, [_unb64(h) for h in body["proof"]], final.root)

            readers.map(included, final.size)
            clock = _timed(timings, "check inclusion", clock)

            # The derived views agree: each batch's units are held by the producer or the merchant, or in transit.
            for batch, _ in cast.batches:
                mine = [p for p in the_plan.parcels if p.batch == batch]
                arrived = sum(1 for p in mine if p.arrived)
                summary = _batch_summary(readers, batch)
                held = {k: v for k, v in summary["held"].items() if v}
                expected = {cast.producer.id: BATCH_QUANTITY - len(mine), cast.merchant.id: arrived}
                assert held == {k: v for k, v in expected.items() if v}, batch
                assert summary["in_transit"] == len(mine) - arrived, batch
                assert summary["delivered"] == 0, batch
        finally:
            readers.close()

    slowest = max(o.seconds for o in outcomes)
    timings["total"] = time.monotonic() - started
    report = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
    print(
        f"\n{server_count} server(s), {CLIENTS} clients: {TOTAL_POSTS} posts ({FORKS} fork pairs), "
        f"{(TOTAL_POSTS - SETUP_POSTS) / timings['send']:.0f} posts/s, slowest answer {slowest:.2f} s, "
        f"{overlapping} of {FORKS} fork pairs in flight together, {len(checkpoints)} checkpoints; {report}"
    )
