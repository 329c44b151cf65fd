"""Role commands with ``--url``: real processes that read from and append to a real ``traceledger serve`` server.

The client's handling of answers (problem documents, foreign answers, missing things) is also tested in-process
against a mock transport.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ledger.errors import AlreadySigned, CustodyFork, LedgerError, NotFound
from ledger.events import LogEntry
from signer.keys import PASSPHRASE_ENV
from tests.servers import free_port
from tests.traceledger.test_roles import (
    BATCH,
    COURIER,
    GTIN,
    LICENCE,
    PARCEL,
    PASSPHRASE,
    PRODUCER,
    keypair,
    run,
    traceledger,
)
from traceledger.client import (
    BadServerUrl,
    LedgerClient,
    RemoteError,
    RemoteProblem,
    ServerUnreachable,
    check_url,
    problem_error,
)

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Server:
    home: Path
    url: str

    def size(self) -> int:
        """The size of the served log's latest checkpoint (the index the next entry gets)."""
        note = httpx.get(self.url + "/checkpoint", timeout=10)
        assert note.status_code == 200, note.text
        return int(note.text.splitlines()[1])

    def parents(self, event_id: str) -> tuple[str, ...]:
        """The parents of a logged event, read from its entry bytes as the server serves them."""
        answer = httpx.get(f"{self.url}/v1/events/{event_id}", timeout=10)
        assert answer.status_code == 200, answer.text
        return LogEntry.parse(base64.b64decode(answer.json()["entry"])).event.payload.parents


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A new ledger in a temporary home, served by ``traceledger serve`` (one worker) until the module ends."""
    home = tmp_path_factory.mktemp("remote") / "home"
    registrar = ("--registrar-id", "91110000600037341L", "--registrar-name", "登记机关")
    created = run("init", "--origin", "remote.example/log", *registrar, home=home)
    assert created.returncode == 0, created.stderr
    port, log = free_port(), home.parent / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    env[PASSPHRASE_ENV] = PASSPHRASE
    command = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--home", str(home)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from traceledger.cli import main; main()", *command],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    served = Server(home, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(encoding="utf-8")
            try:
                served.size()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.2)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=30)


def remote_logged(server: Server, *args: str, kind: str, subject: str) -> str:
    """Run a role command with ``--url`` that must log the server's next entry; return the event id it printed."""
    index = server.size()
    result = traceledger(*args, "--url", server.url)
    assert result.returncode == 0, result.stderr
    line = result.stdout.splitlines()[0]
    match = re.fullmatch(rf"{index} ([0-9a-f]{{64}}) {re.escape(kind)} {re.escape(subject)}", line)
    assert match, line
    assert server.size() == index + 1
    return match.group(1)


def register_producer_and_courier(server: Server, producer_pub: Path, courier_pub: Path) -> None:
    """Register the test producer (food licence, GS1 prefix 690123) and courier through the server, as the genesis
    registrar, with the public keys given."""
    register = ("registrar", "register", "--key", str(server.home / "keys" / "registrar.pem"), "--role")
    remote_logged(
        server, *register, "producer", "--id", PRODUCER, "--name", "宣威火腿厂", "--actor-key", str(producer_pub),
        "--licence", LICENCE, "--gs1-prefix", "690123", kind="actor.register", subject=f"actor/{PRODUCER}",
    )  # fmt: skip
    remote_logged(
        server, *register, "courier", "--id", COURIER, "--name", "曲靖快递", "--actor-key", str(courier_pub),
        kind="actor.register", subject=f"actor/{COURIER}",
    )  # fmt: skip


def remote_refused(server: Server, *args: str, says: str) -> str:
    """Run a command with ``--url`` that must fail in one line on stderr containing ``says``, storing nothing."""
    size = server.size()
    result = traceledger(*args, "--url", server.url)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert says in result.stderr
    assert server.size() == size
    return result.stderr.strip()


def keypair_in(directory: Path, name: str) -> tuple[Path, Path]:
    """A key written as keygen writes it, in DIRECTORY/keys."""
    (directory / "keys").mkdir(exist_ok=True)
    return keypair(directory, name)


@pytest.mark.slow
def test_a_story_through_the_server(server: Server) -> None:
    home = server.home
    producer, producer_pub = keypair(home, "producer")
    courier, courier_pub = keypair(home, "courier")
    consumer, consumer_pub = keypair(home, "consumer")
    register_producer_and_courier(server, producer_pub, courier_pub)
    production = remote_logged(
        server, "producer", "batch", "--key", str(producer), "--gtin", GTIN, "--lot", "XW2026-11", "--product",
        "宣威火腿", "--category", "food", "--quantity", "100", "--unit", "box", "--place", "云南省宣威市",
        kind="production", subject=BATCH,
    )  # fmt: skip
    dispatched = remote_logged(
        server, "producer", "dispatch", "--key", str(producer), "--parcel", PARCEL, "--content", f"{BATCH}:2",
        "--consignee-key", str(consumer_pub), "--location", "宣威市", kind="shipment", subject=PARCEL,
    )  # fmt: skip
    assert server.parents(dispatched) == (production,)  # the batch's production, read from its history
    handoff = ("courier", "handoff", "--key", str(courier), "--parcel", PARCEL, "--location", "曲靖分拨中心")
    picked_up = remote_logged(server, *handoff, kind="shipment", subject=PARCEL)
    assert server.parents(picked_up) == (dispatched,)  # the custody head, from the parcel's history
    receipt_args = ("consumer", "receipt", "--key", str(consumer), "--parcel", PARCEL)
    receipt = remote_logged(server, *receipt_args, kind="signature", subject=PARCEL)
    assert server.parents(receipt) == (picked_up,)
    review = ("consumer", "review", "--key", str(consumer), "--subject", BATCH, "--receipt", receipt, "--rating", "5")
    reviewed = remote_logged(server, *review, kind="review", subject=BATCH)  # --receipt checked at /v1/events
    assert server.parents(reviewed) == (receipt,)

    # The server's rules refuse a second receipt; its problem answer is the command's one line, and nothing is stored.
    line = remote_refused(server, *receipt_args, says="already signed for")
    assert line.startswith(f"error: {AlreadySigned.title}: ")
    # A handoff of a delivered parcel is refused by the server as well (the head read is the receipt).
    remote_refused(server, *handoff, says="error: ")
    # Reads that find nothing are the same errors as with a local ledger, naming the server.
    remote_refused(
        server, "merchant", "list", "--key", str(producer), "--batch", f"01/{GTIN}/10/NOSUCHLOT", "--price", "1",
        says=f"no batch 01/{GTIN}/10/NOSUCHLOT in the ledger at {server.url}",
    )  # fmt: skip
    remote_refused(server, *review[:-4], "--receipt", dispatched, "--rating", "5", says="is a shipment event")

    # The consumer has its follow-up's text erased (PIPL): a signed erasure posted to /v1/events, found remotely.
    follow_up = (*review, "--follow-up-of", reviewed, "--text", "后来发现有点咸")
    result = traceledger(*follow_up, "--url", server.url)
    assert result.returncode == 0, result.stderr
    followed, digest = result.stdout.split()[1], result.stdout.splitlines()[1].split()[1]
    assert httpx.get(f"{server.url}/v1/attachments/{digest}", timeout=10).status_code == 200
    erase = ("consumer", "erase-attachment", digest, "--key", str(consumer))
    remote_refused(server, *erase, "--reason", "court_order", says="erases its own attachment with reason pipl_")
    erasure = remote_logged(server, *erase, "--reason", "pipl_request", kind="attachment.erasure", subject=BATCH)
    assert server.parents(erasure) == (followed,)
    gone = httpx.get(f"{server.url}/v1/attachments/{digest}", timeout=10)
    assert (gone.status_code, gone.json()["type"]) == (410, "/problems/attachment-removed")
    commitment = httpx.get(f"{server.url}/v1/attachments/{digest}/commitment", timeout=10).json()
    assert (commitment["event_id"], commitment["subject"], commitment["status"]) == (followed, BATCH, "removed")
    registrar = ("registrar", "erase-attachment", "--key", str(home / "keys" / "registrar.pem"), "--reason", "other")
    remote_refused(server, *registrar, digest, says="error: Attachment already erased: ")
    unknown = "sha256:" + "0" * 64
    remote_refused(server, *registrar, unknown, says=f"attachment {unknown} in the ledger at {server.url}")


def test_a_key_the_server_does_not_know_is_refused_in_one_line(server: Server, tmp_path: Path) -> None:
    stranger, _ = keypair_in(tmp_path, "stranger")
    line = remote_refused(
        server, "producer", "batch", "--key", str(stranger), "--gtin", GTIN, "--lot", "STRANGER", "--product", "x",
        "--category", "food", "--quantity", "1", "--unit", "box", "--place", "x", says="error: Unknown signing key: ",
    )  # fmt: skip
    assert "Traceback" not in line


def test_url_errors_are_one_line(tmp_path: Path) -> None:
    key, _ = keypair_in(tmp_path, "producer")
    batch = ("producer", "inspect", "--key", str(key), "--batch", BATCH, "--result", "pass", "--standard", "GB")
    closed = f"http://127.0.0.1:{free_port()}"
    for args, says in [
        ((*batch, "--url", closed), f"error: Server unreachable: GET {closed}/v1/subjects/{BATCH}: "),
        ((*batch, "--url", "127.0.0.1:8000"), "error: Invalid server URL: --url '127.0.0.1:8000' must be http"),
        ((*batch, "--url", closed, "--home", str(tmp_path)), "error: Invalid event payload: give either --url"),
    ]:
        result = traceledger(*args)
        assert result.returncode == 1, result.stdout
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith(says), result.stderr


# ---- the client against a mock transport -----------------------------------------------------------------------


def mock_client(answer: Callable[[httpx.Request], httpx.Response]) -> LedgerClient:
    return LedgerClient("http://ledger.test/base/", transport=httpx.MockTransport(answer))


def problem(status: int, slug: str, title: str, detail: str) -> httpx.Response:
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    return httpx.Response(status, json=body, headers={"content-type": PROBLEM_JSON})


def test_a_problem_of_a_known_type_is_the_local_error() -> None:
    fork = problem(409, "custody-fork", CustodyFork.title, "custody head ab was already spent by cd")
    with mock_client(lambda request: fork) as client, pytest.raises(CustodyFork) as info:
        client.submit({"payloadType": "x", "payload": "", "signatures": []})
    assert type(info.value) is CustodyFork
    assert info.value.detail == "custody head ab was already spent by cd"


def test_a_problem_of_another_type_keeps_the_servers_words() -> None:
    error = problem_error(
        429, b'{"type":"/problems/rate-limited","title":"Too many requests","status":429,"detail":"d"}'
    )
    assert isinstance(error, RemoteProblem)
    assert (error.slug, error.title, error.status, error.detail) == ("rate-limited", "Too many requests", 429, "d")
    renamed = problem_error(404, b'{"type":"/problems/not-found","title":"Gone fishing","status":404,"detail":"d"}')
    assert isinstance(renamed, RemoteProblem)  # a different title is not taken for the local error
    assert renamed.title == "Gone fishing"
    assert type(problem_error(400, b"not json")) is RemoteError


def test_answers_that_are_not_the_api_are_remote_errors() -> None:
    html = httpx.Response(502, text="<html>bad gateway</html>", headers={"content-type": "text/html"})
    with mock_client(lambda request: html) as client, pytest.raises(RemoteError, match="502 Bad Gateway"):
        client.actor(PRODUCER)
    garbled = httpx.Response(200, json={"entries": "nope"})
    with mock_client(lambda request: garbled) as client, pytest.raises(RemoteError, match="does not understand"):
        client.subject(BATCH)


def test_missing_things_are_none_and_paths_keep_the_base() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode("ascii"))
        if request.url.path == "/base/checkpoint":
            return httpx.Response(200, text="ledger.test/log\n1\n...\n")
        return problem(404, "not-found", NotFound.title, "the log holds nothing about it")

    with mock_client(answer) as client:
        assert client.subject("01/06901234567892/10/A%2FB") is None
        assert client.production(BATCH) is None
        assert client.custody(PARCEL) is None
        assert client.event("ab" * 32) is None
        assert client.actor(PRODUCER) is None
    assert seen[0] == "/base/v1/subjects/01/06901234567892/10/A%2FB"  # a lot's encoded "/" stays encoded
    assert seen[1] == "/base/checkpoint"  # checked once, the first time something is missing
    assert seen.count("/base/checkpoint") == 1
    assert seen[-1] == f"/base/v1/actors/{PRODUCER}"


def test_a_base_url_that_is_not_the_api_is_not_taken_for_a_missing_thing() -> None:
    missing = problem(404, "not-found", NotFound.title, "there is no resource at /wrong/v1/actors")
    with mock_client(lambda request: missing) as client, pytest.raises(RemoteError, match="does not serve the"):
        client.actor(PRODUCER)


def test_an_unreachable_server_and_bad_urls() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with mock_client(refuse) as client, pytest.raises(ServerUnreachable, match="connection refused"):
        client.event("ab" * 32)
    for url in ("127.0.0.1:8000", "ftp://host", "http://", "http://host:99999", "http://host/?q=1"):
        with pytest.raises(BadServerUrl):
            check_url(url)
    assert check_url("https://trace.example/api/") == "https://trace.example/api"


def test_a_rule_violation_keeps_its_position() -> None:
    body = b'{"type":"/problems/already-signed","title":"Parcel already signed for","status":409,"detail":"d",'
    error = problem_error(409, body + b'"event_index":3}')
    assert isinstance(error, LedgerError)
    assert error.position == 3
