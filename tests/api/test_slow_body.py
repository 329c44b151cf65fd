"""Slow bodies: a client that sends its headers and then trickles the body is cut off, over a real socket to a real
uvicorn server process (uvicorn itself times out only idle keep-alive connections)."""

from __future__ import annotations

import json
import os
import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from litestar import Litestar

from api import ApiSettings, create_app
from signer.keys import PASSPHRASE_ENV
from tests.ledger.conftest import PASSPHRASE, create_ledger
from tests.servers import uvicorn_process
from traceledger.settings import HOME_ENV, Home

BODY_SECONDS = 1.0
TRICKLE_SECONDS = 10.0  # far beyond the deadline: on a server without one, the client is still sending then
DECLARED = 4096  # bytes the request promises


def slow_body_app() -> Litestar:
    """The uvicorn app factory: the API over TRACELEDGER_HOME's ledger, with a body deadline of BODY_SECONDS."""
    where = Home.resolve(None)
    passphrase = os.environ[PASSPHRASE_ENV]
    return create_app(ApiSettings(open_ledger=lambda: where.open(passphrase), request_body_seconds=BODY_SECONDS))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """(host, port) of the server."""
    home = tmp_path_factory.mktemp("slow-body") / "home"
    create_ledger(home).ledger.close()
    env = {HOME_ENV: str(home), PASSPHRASE_ENV: PASSPHRASE}
    with uvicorn_process(f"{__name__}:slow_body_app", env, home.parent / "server.log") as base:
        address = urlsplit(base)
        yield address.hostname or "", address.port or 0


def _trickle(server: tuple[str, int], head: str) -> tuple[bytes, float]:
    """Send ``head`` and then one body byte every 0.1 s until the server answers and closes the connection (or
    TRICKLE_SECONDS pass); returns everything the server sent and the seconds until it closed."""
    started = time.monotonic()
    received = b""
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(head.encode("ascii"))
        sent = 0
        while time.monotonic() - started < TRICKLE_SECONDS:
            try:
                if select.select([sock], [], [], 0.1)[0]:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return received, time.monotonic() - started  # the server closed the connection
                    received += chunk
                elif sent < DECLARED - 1:  # never the last byte: the body stays incomplete
                    sock.sendall(b" ")
                    sent += 1
            except ConnectionError:  # reset by the server once it answered
                return received, time.monotonic() - started
    return received, TRICKLE_SECONDS


def _request(method: str, path: str) -> str:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {DECLARED}\r\n\r\n"
    )


def test_a_trickled_body_is_answered_408_and_the_connection_closed(server: tuple[str, int]) -> None:
    received, seconds = _trickle(server, _request("POST", "/v1/events"))
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), received[:200]
    assert b"connection: close" in head.lower()
    problem = json.loads(body)
    assert problem["type"] == "/problems/request-timeout"
    assert "1 s" in problem["detail"]
    assert seconds < TRICKLE_SECONDS / 2, "the server did not close the connection soon after its deadline"


def test_a_body_nobody_reads_does_not_keep_the_connection_open(server: tuple[str, int]) -> None:
    received, seconds = _trickle(server, _request("GET", "/checkpoint"))
    head = received.partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 200 "), received[:200]
    assert b"connection: close" in head.lower()
    assert seconds < TRICKLE_SECONDS / 2, "the server kept reading a body it never used"


def test_a_body_sent_in_time_is_read(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=10) as sock:
        body = b"[]"
        sock.sendall(_request("POST", "/v1/events").replace(str(DECLARED), str(len(body))).encode() + body)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]  # an empty batch: read, and refused by the ledger
    assert b"connection: close" not in answer.lower()
