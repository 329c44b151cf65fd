"""The log's side of witnessing: real witnesses served by uvicorn, real proofs and signatures, on both databases.

Most tests drive one ``WitnessSubmitter`` pass at a time, so what each pass sent and stored is known; the last
one runs the background task of a served API and waits for the cosigned checkpoint to appear.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest
from litestar.testing import TestClient

from ledger.log.witness_protocol import AddCheckpoint, WitnessEndpoint
from ledger.store.cosignatures import cosigned_checkpoint, last_cosigned_size
from ledger.store.ledger import Ledger
from signer.keys import SigningKey
from signer.note import CosignatureSigner, NoteVerifier, Verifier, open_note, parse_note
from tests.api.conftest import make_api
from tests.e2e.conftest import live_server
from tests.ledger.conftest import ORIGIN, PASSPHRASE, LedgerFixture, create_ledger
from tests.scenarios.world import World, gtin
from traceledger.server import witness_server
from traceledger.settings import Home
from traceledger.witnessing import MAX_ANSWER_BYTES, WitnessSubmitter, witnessing_lifespan
from witness.state import WitnessState
from witness.witness import TrustedLog, Witness


@dataclass
class Served:
    witness: Witness
    endpoint: WitnessEndpoint


def _witness(folder: Path, ledger: Ledger, name: str = "witness.samr.example/w1") -> Witness:
    cosigner = CosignatureSigner(name, SigningKey.generate())
    return Witness(cosigner, [TrustedLog(ORIGIN, (ledger.log_verifier,))], WitnessState(folder / f"{name[-2:]}.db"))


@contextmanager
def serving_witness(witness: Witness, vkey: str | None = None) -> Iterator[Served]:
    """``witness`` served by uvicorn; the log is told its key is ``vkey`` (default: its real key)."""
    with live_server(witness_server(witness)) as url:
        yield Served(witness, WitnessEndpoint.from_config(url, vkey or witness.cosigner.vkey))


def submit(ledger: Ledger, *witnesses: WitnessEndpoint) -> dict[WitnessEndpoint, bool]:
    """One submitter pass over HTTP: which witnesses hold a cosignature of the latest checkpoint afterwards."""

    async def one_pass() -> dict[WitnessEndpoint, bool]:
        async with httpx.AsyncClient(timeout=10) as client:
            return await WitnessSubmitter(ledger, witnesses, client).submit_latest()

    return anyio.run(one_pass)


def _signers(note: str, ledger: Ledger, *witnesses: Served) -> tuple[Verifier, ...]:
    verifiers: list[Verifier] = [ledger.log_verifier, *(w.witness.cosigner.verifier for w in witnesses)]
    return open_note(note, verifiers)[1]


@pytest.fixture
def fixture(tmp_path: Path, database_url: str | None) -> Iterator[LedgerFixture]:
    made = create_ledger(tmp_path / "home", database_url)
    try:
        yield made
    finally:
        made.ledger.close()


def test_each_new_checkpoint_is_cosigned_by_every_witness_and_served(tmp_path: Path, fixture: LedgerFixture) -> None:
    ledger = fixture.ledger
    with (
        serving_witness(_witness(tmp_path, ledger, "witness.samr.example/w1")) as one,
        serving_witness(_witness(tmp_path, ledger, "witness.cfda.example/w2")) as two,
    ):
        assert submit(ledger, one.endpoint, two.endpoint) == {one.endpoint: True, two.endpoint: True}
        assert last_cosigned_size(ledger.engine, one.endpoint.verifier) == 1  # the genesis checkpoint
        world = World(fixture)
        producer = world.register(
            "宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",)
        )
        world.produce(producer, gtin("690123", 1), "XW2026-11", 100)
        # Nothing is cosigned before a pass: the append path never waits for witnesses.
        assert _signers(cosigned_checkpoint(ledger).note, ledger, one, two) == (ledger.log_verifier,)
        assert submit(ledger, one.endpoint, two.endpoint) == {one.endpoint: True, two.endpoint: True}
        for served in (one, two):
            latest = served.witness.state.latest(ORIGIN)
            assert latest is not None
            assert (latest.size, latest.root) == (3, ledger.root(3))  # reached from size 1 with a real proof
        with TestClient(make_api(fixture, read_rate_limit=None)) as client:
            served_note = client.get("/checkpoint").text
            bundle = client.get(f"/v1/subjects/01/{gtin('690123', 1)}/10/XW2026-11").json()
    assert len(_signers(served_note, ledger, one, two)) == 3
    assert bundle["checkpoint"] == served_note
    assert bundle["tree_size"] == 3
    # A reader who knows only the log's key still verifies it: cosignatures by unknown keys are ignored.
    open_note(served_note, [NoteVerifier.from_vkey(ledger.log_verifier.vkey)])
    assert submit(ledger, one.endpoint) == {one.endpoint: True}  # already cosigned: nothing is sent


def test_a_witness_ahead_of_the_logs_record_answers_409_and_the_log_retries_from_its_size(
    tmp_path: Path, fixture: LedgerFixture
) -> None:
    """The witness stored size 2 but its answer was lost (a crash, a timeout): the log still believes size 0."""
    ledger = fixture.ledger
    ledger.append([fixture.registration(1)])
    with serving_witness(_witness(tmp_path, ledger)) as served:
        answer = httpx.post(
            served.endpoint.add_checkpoint_url, content=AddCheckpoint(0, (), ledger.checkpoint().note).body()
        )
        assert answer.status_code == 200
        ledger.append([fixture.registration(2), fixture.registration(3)])
        assert last_cosigned_size(ledger.engine, served.endpoint.verifier) == 0
        assert submit(ledger, served.endpoint) == {served.endpoint: True}
    assert last_cosigned_size(ledger.engine, served.endpoint.verifier) == 4
    assert len(_signers(cosigned_checkpoint(ledger).note, ledger, served)) == 2


def test_a_cosignature_by_another_key_is_neither_stored_nor_served(
    tmp_path: Path, fixture: LedgerFixture, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = fixture.ledger
    expected = CosignatureSigner("witness.samr.example/w1", SigningKey.generate())
    with (
        serving_witness(_witness(tmp_path, ledger), vkey=expected.vkey) as impostor,
        caplog.at_level(logging.WARNING, "traceledger.witnessing"),
    ):
        assert submit(ledger, impostor.endpoint) == {impostor.endpoint: False}
    assert "without a valid cosignature" in caplog.text
    assert last_cosigned_size(ledger.engine, expected.verifier) == 0
    assert len(parse_note(cosigned_checkpoint(ledger).note).signatures) == 1


def test_a_witness_that_is_down_never_blocks_appends(tmp_path: Path, fixture: LedgerFixture) -> None:
    with serving_witness(_witness(tmp_path, fixture.ledger)) as served:
        pass  # stopped: its port no longer answers
    with TestClient(
        make_api(fixture, read_rate_limit=None, lifespans=[witnessing_lifespan([served.endpoint])])
    ) as client:
        created = client.post("/v1/events", json=fixture.registration(1))
        assert created.status_code == 201, created.text
        assert submit(fixture.ledger, served.endpoint) == {served.endpoint: False}
        assert len(parse_note(client.get("/checkpoint").text).signatures) == 1


def test_a_split_view_is_refused_by_the_witness_and_nothing_is_stored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The operator copies its log and key and grows two histories: a witness that cosigned one refuses the other."""
    honest = create_ledger(tmp_path / "honest")
    honest.ledger.close()
    shutil.copytree(tmp_path / "honest", tmp_path / "forked")
    forked = Home(tmp_path / "forked").open(PASSPHRASE)
    reopened = honest.home.open(PASSPHRASE)
    try:
        reopened.append([honest.registration(1), honest.registration(2)])
        forked.append([honest.registration(3), honest.registration(4)])
        assert reopened.checkpoint().size == forked.checkpoint().size == 3
        assert reopened.root() != forked.root()
        with serving_witness(_witness(tmp_path, reopened)) as served:
            assert submit(forked, served.endpoint) == {served.endpoint: True}
            seen = served.witness.state.latest(ORIGIN)
            with caplog.at_level(logging.WARNING, "traceledger.witnessing"):
                assert submit(reopened, served.endpoint) == {served.endpoint: False}  # same size, other root
                reopened.append([honest.registration(5)])
                assert submit(reopened, served.endpoint) == {served.endpoint: False}  # not an extension
            assert served.witness.state.latest(ORIGIN) == seen
        assert (caplog.text.count("conflicting-root"), caplog.text.count("inconsistent-checkpoint")) == (1, 1)
        assert last_cosigned_size(reopened.engine, served.endpoint.verifier) == 0
        assert len(parse_note(cosigned_checkpoint(reopened).note).signatures) == 1
    finally:
        reopened.close()
        forked.close()


def test_an_endless_answer_is_read_no_further_than_its_limit(
    fixture: LedgerFixture, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken or hostile witness cannot make the log read an unbounded answer into memory."""
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        line = "\u2014 witness.example/w9 AAAA\n".encode()
        while True:
            pulled += 1
            yield line * (1024 // len(line))

    vkey = CosignatureSigner("witness.example/w9", SigningKey.generate()).vkey
    endpoint = WitnessEndpoint.from_config("http://witness.invalid/", vkey)

    async def one_pass() -> dict[WitnessEndpoint, bool]:
        transport = httpx.MockTransport(lambda _: httpx.Response(200, content=endless()))
        async with httpx.AsyncClient(transport=transport) as client:
            return await WitnessSubmitter(fixture.ledger, [endpoint], client).submit_latest()

    with caplog.at_level(logging.WARNING, "traceledger.witnessing"):
        assert anyio.run(one_pass) == {endpoint: False}
    assert pulled <= MAX_ANSWER_BYTES // 1000 + 1
    assert "answered with malformed lines" in caplog.text
    assert last_cosigned_size(fixture.ledger.engine, endpoint.verifier) == 0


@pytest.mark.slow
def test_a_served_api_submits_in_the_background(tmp_path: Path, fixture: LedgerFixture) -> None:
    """Both apps under uvicorn: an event posted to the API ends up in a checkpoint the witness cosigned."""
    with serving_witness(_witness(tmp_path, fixture.ledger)) as served:
        api = make_api(fixture, read_rate_limit=None, lifespans=[witnessing_lifespan([served.endpoint])])
        with live_server(api) as base:
            assert httpx.post(f"{base}/v1/events", json=fixture.registration(1), timeout=30).status_code == 201
            deadline = time.monotonic() + 60
            while True:
                note = httpx.get(f"{base}/checkpoint", timeout=10).text
                if len(parse_note(note).signatures) == 2 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
    assert _signers(note, fixture.ledger, served) == (fixture.ledger.log_verifier, served.witness.cosigner.verifier)
    assert parse_note(note).text.split("\n")[1] == "2"
