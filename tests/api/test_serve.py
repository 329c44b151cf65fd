"""``traceledger serve``: uvicorn worker processes each build the app from the environment, never logging secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from litestar.testing import TestClient

from ledger.store.scans import scans_of
from signer.keys import PASSPHRASE_ENV
from tests.ledger.conftest import PASSPHRASE, create_ledger
from tests.scenarios.world import World
from tests.servers import free_port
from tests.verify_portal.conftest import ITEM, tell
from traceledger.cli import served_app
from traceledger.settings import DATABASE_URL_ENV, HOME_ENV


def _serve(home: Path, port: int, passphrase: str, log: Path, workers: int = 2) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    env[PASSPHRASE_ENV] = passphrase
    command = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--home", str(home)]
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from traceledger.cli import main; main()", *command],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            return httpx.get(base + "/checkpoint", timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer within 60 s")


@pytest.mark.slow
def test_serve_runs_workers_that_append_and_read(tmp_path: Path) -> None:
    fixture = create_ledger(tmp_path / "home")
    envelope = fixture.registration(1)
    fixture.ledger.close()
    port, log = free_port(), tmp_path / "serve.log"
    server = _serve(fixture.home.path, port, PASSPHRASE, log)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_until_up(base, server).text.startswith("trace.example.org/log\n1\n")
        created = httpx.post(base + "/v1/events", json=envelope, timeout=30)
        assert created.status_code == 201, created.text
        event_id = created.json()["entries"][0]["event_id"]
        assert httpx.get(f"{base}/v1/events/{event_id}", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = log.read_text(encoding="utf-8")
    assert "Uvicorn running" in output or "Started parent process" in output
    assert PASSPHRASE not in output


def test_serve_refuses_a_wrong_passphrase_in_one_line(tmp_path: Path) -> None:
    fixture = create_ledger(tmp_path / "home")
    fixture.ledger.close()
    log = tmp_path / "serve.log"
    server = _serve(fixture.home.path, free_port(), "wrong passphrase", log)
    assert server.wait(timeout=60) == 1
    lines = log.read_text(encoding="utf-8").strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")


@pytest.mark.parametrize(
    ("witness", "says"),
    [
        (
            {"url": "ftp://witness.example", "vkey": "w+00000000+AQ"},
            "error: Witness configuration invalid: witness URL",
        ),
        ({"url": "https://witness.example"}, "a witness needs a url and a vkey"),
    ],
)
def test_serve_refuses_a_malformed_witness_in_one_line(tmp_path: Path, witness: dict[str, str], says: str) -> None:
    fixture = create_ledger(tmp_path / "home")
    fixture.ledger.close()
    settings = fixture.home.settings_file
    settings.write_text(json.dumps({**json.loads(settings.read_text()), "witnesses": [witness]}))
    log = tmp_path / "serve.log"
    server = _serve(fixture.home.path, free_port(), PASSPHRASE, log)
    assert server.wait(timeout=60) == 1
    lines = log.read_text(encoding="utf-8").strip().splitlines()
    assert len(lines) == 1, lines
    assert says in lines[0]


@pytest.mark.parametrize(
    ("trusted", "places"),
    [
        ([], ["net:127.0.0.0/16", "net:127.0.0.0/16"]),  # by default no one: not even loopback, as uvicorn would
        (["127.0.0.1/32"], ["北京市", "net:10.9.0.0/16"]),
    ],
)
def test_serve_believes_forwarding_headers_from_trusted_proxies_only(
    tmp_path: Path, trusted: list[str], places: list[str]
) -> None:
    fixture = create_ledger(tmp_path / "home")
    try:
        tell(World(fixture))
        settings = fixture.home.settings_file
        settings.write_text(json.dumps({**json.loads(settings.read_text()), "trusted_proxies": trusted}))
        port, log = free_port(), tmp_path / "serve.log"
        server = _serve(fixture.home.path, port, PASSPHRASE, log, workers=1)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, server)
            forwarded = {"X-Forwarded-For": "10.9.8.7"}
            for headers in ({**forwarded, "X-Geo-City": quote("北京市")}, forwarded):
                assert httpx.get(f"{base}/{ITEM.path}", headers=headers, timeout=30).status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
        assert [s.place for s in scans_of(fixture.ledger, ITEM.path)] == places
    finally:
        fixture.ledger.close()


def test_serve_refuses_malformed_trusted_proxies_in_one_line(tmp_path: Path) -> None:
    fixture = create_ledger(tmp_path / "home")
    fixture.ledger.close()
    settings = fixture.home.settings_file
    settings.write_text(json.dumps({**json.loads(settings.read_text()), "trusted_proxies": ["10.0.0.1/8"]}))
    log = tmp_path / "serve.log"
    server = _serve(fixture.home.path, free_port(), PASSPHRASE, log)
    assert server.wait(timeout=60) == 1
    lines = log.read_text(encoding="utf-8").strip().splitlines()
    assert len(lines) == 1, lines
    assert "trusted_proxies holds '10.0.0.1/8'" in lines[0]


def test_served_app_opens_the_ledger_named_by_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fixture = create_ledger(tmp_path / "home")
    try:
        monkeypatch.setenv(HOME_ENV, str(fixture.home.path))
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
        monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
        with TestClient(served_app()) as client:
            assert client.get("/checkpoint").text == fixture.ledger.checkpoint().note
            assert client.post("/v1/events", json=fixture.registration(1)).status_code == 201
    finally:
        fixture.ledger.close()
