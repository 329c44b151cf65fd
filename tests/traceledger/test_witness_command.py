"""``traceledger witness``: a witness set up, served and restarted, and a ledger that submits to it, all as
real processes talking HTTP, as two departments would run them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ledger.events import sign_event
from ledger.events.builders import registration_payload
from signer.keys import SigningKey
from signer.note import CosignatureVerifier, NoteVerifier, Verifier, open_note, parse_note
from tests.ledger.conftest import make_uscc
from tests.servers import free_port
from tests.traceledger.test_cli import PASSPHRASE, run

NAME = "witness.samr.example/w1"


def _env(passphrase: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    env["TRACELEDGER_KEY_PASSPHRASE"] = passphrase
    return env


def cli(*args: str, passphrase: str = PASSPHRASE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from traceledger.cli import main; main()", *args],
        capture_output=True, text=True, env=_env(passphrase), stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip


@contextmanager
def background(*args: str, log: Path, probe: str) -> Iterator[str]:
    """Run ``traceledger <args> --port <free port>`` for the block; yields its base URL once ``probe`` answers."""
    port = free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-c", "from traceledger.cli import main; main()", *args, "--port", str(port)],
            env=_env(PASSPHRASE), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text(encoding="utf-8")
            try:
                httpx.get(base + probe, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _ledger(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    created = run("init", "--origin", "cli.example/log", "--registrar-id", "91110000600037341L",
                  "--registrar-name", "测试登记机关", home=home)  # fmt: skip
    assert created.returncode == 0, created.stderr
    return home


def _registration(home: Path, n: int) -> dict[str, object]:
    registrar = SigningKey.load(home / "keys" / "registrar.pem", PASSPHRASE)
    payload = registration_payload(
        registrar, make_uscc(n), f"测试商户 {n}", ["merchant"], [SigningKey.generate().public_key]
    )
    return sign_event(payload, [registrar]).to_json()


def _wait_for_cosigned(base: str, size: int) -> str:
    deadline = time.monotonic() + 60
    while True:
        note = httpx.get(base + "/checkpoint", timeout=10).text
        if parse_note(note).text.split("\n")[1] == str(size) and len(parse_note(note).signatures) == 2:
            return note
        assert time.monotonic() < deadline, f"no cosigned checkpoint of size {size} within 60 s: {note}"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_witness_cosigns_a_served_ledger_and_keeps_its_state_across_restarts(tmp_path: Path) -> None:
    home, folder = _ledger(tmp_path), tmp_path / "witness"
    log_vkey = run("checkpoint", "--vkey", home=home).stdout.strip()
    created = cli("witness", "init", "--name", NAME, "--log", log_vkey, "--dir", str(folder))
    assert created.returncode == 0, created.stderr
    witness_vkey = cli("witness", "vkey", "--dir", str(folder)).stdout.strip()
    assert created.stdout.strip().endswith(witness_vkey)
    witness = CosignatureVerifier.from_vkey(witness_vkey)
    origin_hash = hashlib.sha256(b"cli.example/log").hexdigest()
    monitor = f"/{origin_hash}/checkpoint"

    with background("witness", "serve", "--dir", str(folder), log=tmp_path / "w1.log", probe=monitor) as witness_url:
        added = run("witness", "add", "--url", witness_url, "--vkey", witness_vkey, home=home)
        assert added.returncode == 0, added.stderr
        assert f"{witness_url} {witness_vkey}" in run("witness", "list", home=home).stdout
        with background("serve", "--home", str(home), log=tmp_path / "api.log", probe="/checkpoint") as api:
            assert httpx.post(api + "/v1/events", json=_registration(home, 1), timeout=30).status_code == 201
            note = _wait_for_cosigned(api, 2)
    verifiers: list[Verifier] = [NoteVerifier.from_vkey(log_vkey), witness]
    assert len(open_note(note, verifiers)[1]) == 2

    # The witness restarts on another port; what it cosigned is still what it holds, and it goes on from there.
    with background("witness", "serve", "--dir", str(folder), log=tmp_path / "w2.log", probe=monitor) as witness_url:
        remembered = httpx.get(witness_url + monitor, timeout=10)
        assert remembered.status_code == 200
        assert parse_note(remembered.text).text == parse_note(note).text
        stale = httpx.post(witness_url + "/add-checkpoint", content="old 0\n\n" + note, timeout=10)
        assert (stale.status_code, stale.text) == (409, "2\n")
        assert run("witness", "add", "--url", witness_url, "--vkey", witness_vkey, home=home).returncode == 0
        assert run("witness", "list", home=home).stdout.count(witness_vkey) == 1  # re-pointed, not added twice
        with background("serve", "--home", str(home), log=tmp_path / "api2.log", probe="/checkpoint") as api:
            assert httpx.post(api + "/v1/events", json=_registration(home, 2), timeout=30).status_code == 201
            assert len(open_note(_wait_for_cosigned(api, 3), verifiers)[1]) == 2
    assert PASSPHRASE not in (tmp_path / "w1.log").read_text(encoding="utf-8")


def test_trust_adds_logs_and_the_settings_say_so(tmp_path: Path) -> None:
    folder = str(tmp_path / "witness")
    assert cli("witness", "init", "--name", NAME, "--dir", folder).returncode == 0
    vkey = NoteVerifier("a.example/log", SigningKey.generate().public_key).vkey
    trusted = cli("witness", "trust", "--vkey", vkey, "--origin", "a.example/log-2026", "--dir", folder)
    assert trusted.returncode == 0, trusted.stderr
    assert "following a.example/log-2026 (1 key(s))" in trusted.stdout
    assert cli("witness", "trust", "--vkey", vkey, "--origin", "a.example/log-2026", "--dir", folder).returncode == 0
    config = json.loads((tmp_path / "witness" / "witness.json").read_text(encoding="utf-8"))
    assert config["name"] == NAME
    assert config["logs"] == [{"origin": "a.example/log-2026", "vkey": vkey}]
    key_file = (tmp_path / "witness" / "witness-key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in key_file


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("witness", "vkey", "--dir", "{tmp}/none"), "error: Witness configuration invalid: no witness at"),
        (("witness", "init", "--name", "has space", "--dir", "{tmp}/bad"), "error: Witness configuration invalid:"),
        (("witness", "trust", "--vkey", "garbage", "--dir", "{tmp}/w"), "error: Witness configuration invalid: log"),
        (("witness", "init", "--name", NAME, "--dir", "{tmp}/w"), "already holds a witness"),
        (("witness", "init", "--name", NAME, "--log", "x+y", "--dir", "{tmp}/new"), "log vkey: a vkey is"),
        (("witness", "add", "--url", "ftp://w.example", "--vkey", "x", "--home", "{tmp}/h"), "not an http(s) URL"),
    ],
)
def test_mistakes_are_one_line_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    assert cli("witness", "init", "--name", NAME, "--dir", str(tmp_path / "w")).returncode == 0
    result = cli(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert not (tmp_path / "new").exists()  # nothing written by a refused init
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


def test_serving_with_a_wrong_passphrase_fails_in_one_line(tmp_path: Path) -> None:
    folder = str(tmp_path / "witness")
    assert cli("witness", "init", "--name", NAME, "--dir", folder).returncode == 0
    result = cli("witness", "serve", "--dir", folder, "--port", str(free_port()), passphrase="wrong")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: Key file unreadable: cannot decrypt the key: wrong passphrase or not an encrypted PKCS#8 PEM"
    )
