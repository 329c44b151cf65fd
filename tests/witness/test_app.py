"""The witness's HTTP app under uvicorn, spoken to as any tlog-witness client would: raw bodies, spec statuses."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ledger.log.witness_protocol import AddCheckpoint
from signer.note import open_note
from tests.api.conftest import PROBLEM_JSON, problem
from tests.e2e.conftest import live_server
from tests.witness.conftest import FORK, ORIGIN, Log, forged_signature, open_witness
from traceledger.server import witness_server
from witness.witness import Witness


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture
def served(tmp_path: Path, log: Log) -> Iterator[tuple[str, Witness]]:
    witness = open_witness(tmp_path, log)
    with live_server(witness_server(witness)) as url:
        yield url, witness


def _post(url: str, body: str | bytes) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return httpx.post(f"{url}/add-checkpoint", content=content, headers={"Content-Type": "text/plain"}, timeout=10)


def test_a_checkpoint_is_cosigned_with_a_note_signature_line(served: tuple[str, Witness], log: Log) -> None:
    url, witness = served
    response = _post(url, log.request(0, 10))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("\u2014 ")
    assert response.text.endswith("\n")
    _, signers = open_note(log.checkpoint(10) + response.text, [witness.cosigner.verifier])
    assert signers == (witness.cosigner.verifier,)
    grown = _post(url, log.request(10, 17))
    assert grown.status_code == 200
    monitored = httpx.get(f"{url}/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint", timeout=10)
    assert monitored.status_code == 200
    assert monitored.text.startswith(f"{ORIGIN}\n17\n")
    assert monitored.text.endswith(grown.text)


def test_a_size_mismatch_is_a_409_with_the_witness_size_as_text(served: tuple[str, Witness], log: Log) -> None:
    url, _ = served
    assert _post(url, log.request(0, 10)).status_code == 200
    for old in (0, 5, 12):
        response = _post(url, log.request(old, 20))
        assert response.status_code == 409
        assert response.headers["content-type"] == "text/x.tlog.size"
        assert response.text == "10\n"


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        (lambda log: "old 10\n", 400, "malformed-witness-request"),
        (lambda log: b"old 10\n\n\xff\xfe\n", 400, "malformed-witness-request"),
        (lambda log: log.request(25, 20), 400, "old-size-above-checkpoint"),
        (lambda log: AddCheckpoint(0, (), log.checkpoint(3).replace(ORIGIN, "other.example/log")).body(), 404,
         "unknown-log"),
        (lambda log: AddCheckpoint(10, tuple(log.tree.consistency_proof(10, 20)),
         forged_signature(log.checkpoint(20))).body(), 403, "untrusted-checkpoint"),
        (lambda log: AddCheckpoint(10, tuple(log.tree.consistency_proof(10, 20))[1:], log.checkpoint(20)).body(), 422,
         "inconsistent-checkpoint"),
    ],
    ids=["no blank line", "not UTF-8", "old above size", "unknown origin", "bad signature", "bad proof"],
)  # fmt: skip
def test_refusals_are_problems_with_the_spec_status(
    served: tuple[str, Witness], log: Log, body: Callable[[Log], str | bytes], status: int, slug: str
) -> None:
    url, witness = served
    assert _post(url, log.request(0, 10)).status_code == 200
    before = witness.state.latest(ORIGIN)
    response = _post(url, body(log))
    problem(response, status, slug)
    assert witness.state.latest(ORIGIN) == before


def test_a_split_view_is_refused_over_http(served: tuple[str, Witness], log: Log) -> None:
    url, witness = served
    assert _post(url, log.request(0, 20)).status_code == 200
    problem(_post(url, log.request(20, 20, FORK)), 409, "conflicting-root")  # a problem, not a size to retry from
    problem(_post(url, log.request(20, 30, FORK)), 422, "inconsistent-checkpoint")
    latest = witness.state.latest(ORIGIN)
    assert latest is not None
    assert (latest.size, latest.root) == (20, log.tree.root(20))


def test_other_methods_oversized_bodies_and_unknown_logs(served: tuple[str, Witness], log: Log) -> None:
    url, _ = served
    problem(httpx.get(f"{url}/add-checkpoint", timeout=10), 405, "method-not-allowed")
    too_big = "old 0\n\n" + log.checkpoint(3) + "x" * 70_000
    response = _post(url, too_big)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_JSON
    problem(httpx.get(f"{url}/{'0' * 64}/checkpoint", timeout=10), 404, "not-found")
    unseen = httpx.get(f"{url}/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint", timeout=10)
    problem(unseen, 404, "not-found")


def test_the_witness_state_survives_a_server_restart(tmp_path: Path, log: Log) -> None:
    with live_server(witness_server(open_witness(tmp_path, log))) as url:
        assert _post(url, log.request(0, 10)).status_code == 200
    with live_server(witness_server(open_witness(tmp_path, log))) as url:
        response = _post(url, log.request(0, 12))
        assert (response.status_code, response.text) == (409, "10\n")
        assert _post(url, log.request(10, 12)).status_code == 200
