"""The command line as a user runs it: a real process, real files, one-line errors and exit codes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.events import sign_event
from ledger.events.builders import registration_payload
from signer.keys import SigningKey
from tests.disks import small_disk
from tests.ledger.conftest import make_uscc
from traceledger.settings import Home

PASSPHRASE = "cli passphrase"


def run(*args: str, home: Path, passphrase: str | None = PASSPHRASE) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    if passphrase is not None:
        env["TRACELEDGER_KEY_PASSPHRASE"] = passphrase
    return subprocess.run(
        [sys.executable, "-c", "from traceledger.cli import main; main()", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    result = run(
        "init",
        "--origin",
        "cli.example/log",
        "--registrar-id",
        "91110000600037341L",
        "--registrar-name",
        "测试登记机关",
        home=home,
    )
    assert result.returncode == 0, result.stderr
    assert "cli.example/log\n1\n" in result.stdout
    return home


def _registrar(home: Path) -> SigningKey:
    return SigningKey.load(home / "keys" / "registrar.pem", PASSPHRASE)


def test_init_append_checkpoint_prove_and_verify(home: Path, tmp_path: Path) -> None:
    registrar = _registrar(home)
    envelopes = []
    for n in range(3):
        key = SigningKey.generate()
        payload = registration_payload(registrar, make_uscc(n), f"商户{n}", ["merchant"], [key.public_key])
        envelopes.append(sign_event(payload, [registrar]).to_json())
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(envelopes[:2]))
    single = tmp_path / "one.json"
    single.write_text(json.dumps(envelopes[2]))
    appended = run("append", str(batch), str(single), home=home)
    assert appended.returncode == 0, appended.stderr
    assert [line.split()[0] for line in appended.stdout.splitlines()] == ["1", "2", "3"]

    again = run("append", str(single), home=home)
    assert "already logged" in again.stdout

    note = run("checkpoint", home=home, passphrase=None).stdout
    assert note.startswith("cli.example/log\n4\n")
    vkey = run("checkpoint", "--vkey", home=home, passphrase=None).stdout.strip()
    assert vkey.startswith("cli.example/log+")

    proof = run("prove", "inclusion", "--index", "2", home=home, passphrase=None)
    assert proof.returncode == 0, proof.stderr
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(proof.stdout)
    verified = run("verify-proof", str(proof_file), "--vkey", vkey, home=home, passphrase=None)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("OK")

    document = json.loads(proof.stdout)
    document["leaf_index"] = 1
    proof_file.write_text(json.dumps(document))
    failed = run("verify-proof", str(proof_file), home=home, passphrase=None)
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: ")
    assert len(failed.stderr.strip().splitlines()) == 1

    consistency = run("prove", "consistency", "1", home=home, passphrase=None)
    proof_file.write_text(consistency.stdout)
    assert run("verify-proof", str(proof_file), home=home, passphrase=None).returncode == 0


def test_errors_are_one_line_and_store_nothing(home: Path, tmp_path: Path) -> None:
    stranger = SigningKey.generate()
    payload = registration_payload(stranger, make_uscc(1), "x", ["merchant"], [stranger.public_key])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(sign_event(payload, [stranger]).to_json()))
    result = run("append", str(bad), home=home)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "unknown" in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert run("checkpoint", home=home, passphrase=None).stdout.startswith("cli.example/log\n1\n")

    not_json = tmp_path / "x.json"
    not_json.write_text("{")
    result = run("append", str(not_json), home=home)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")


def test_wrong_passphrase_and_missing_home(home: Path, tmp_path: Path) -> None:
    registrar = _registrar(home)
    payload = registration_payload(registrar, make_uscc(5), "x", ["merchant"], [SigningKey.generate().public_key])
    envelope = tmp_path / "e.json"
    envelope.write_text(json.dumps(sign_event(payload, [registrar]).to_json()))
    wrong = run("append", str(envelope), home=home, passphrase="not it")
    assert wrong.returncode == 1
    assert "passphrase" in wrong.stderr
    assert "not it" not in wrong.stderr
    missing = run("checkpoint", home=tmp_path / "nowhere", passphrase=None)
    assert missing.returncode == 1
    assert "traceledger init" in missing.stderr


def test_no_passphrase_without_a_terminal_is_refused(tmp_path: Path) -> None:
    result = run("keygen", "courier", home=tmp_path / "h", passphrase=None)
    assert result.returncode == 1
    assert "TRACELEDGER_KEY_PASSPHRASE" in result.stderr


def test_keygen_writes_an_encrypted_key_and_its_public_half(tmp_path: Path) -> None:
    result = run("keygen", "courier", home=tmp_path / "h")
    assert result.returncode == 0, result.stderr
    pem = (tmp_path / "h" / "keys" / "courier.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    public = json.loads((tmp_path / "h" / "keys" / "courier.pub").read_text())
    assert SigningKey.from_encrypted_pem(pem, PASSPHRASE).kid == public["kid"]


def test_demo_builds_a_ledger_and_verifies_a_proof(tmp_path: Path) -> None:
    result = run("demo", "--no-serve", home=tmp_path / "demo")
    assert result.returncode == 0, result.stderr
    assert "verified against the checkpoint root" in result.stdout


def test_reindex_rebuilds_identical_views(home: Path, tmp_path: Path) -> None:
    registrar = _registrar(home)
    payload = registration_payload(registrar, make_uscc(9), "商户", ["merchant"], [SigningKey.generate().public_key])
    envelope = tmp_path / "e.json"
    envelope.write_text(json.dumps(sign_event(payload, [registrar]).to_json()))
    assert run("append", str(envelope), home=home).returncode == 0
    result = run("reindex", home=home, passphrase=None)
    assert result.returncode == 0, result.stderr
    assert "replayed 2 entries" in result.stdout
    assert "0 differed" in result.stdout


def test_a_one_character_passphrase_is_refused_in_one_line(tmp_path: Path) -> None:
    result = run("keygen", "courier", home=tmp_path / "h", passphrase="x")
    assert result.returncode == 1
    assert result.stderr == "error: Passphrase too short: a passphrase for a new key needs at least 8 characters\n"
    assert not (tmp_path / "h" / "keys" / "courier.pem").exists()


def test_the_home_its_database_and_keys_are_private(home: Path, tmp_path: Path) -> None:
    """Created under a permissive umask: the home and keys folders 0700, the database, its WAL and SHM, keys 0600."""
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "keys").stat().st_mode) == 0o700
    ledger = Home(home).open()  # while a connection is open, SQLite keeps its WAL and SHM files
    try:
        assert ledger.size() == 1
        for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm", "log-key.pem", "keys/registrar.pem"):
            assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name
    finally:
        ledger.close()


@pytest.fixture(autouse=True)
def _permissive_umask() -> Iterator[None]:
    """Every command here runs under umask 022, as on a default system (the child processes inherit it)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_full_disk_is_one_line_and_the_retry_is_taken(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        home = disk.path / "home"
        init = run("init", "--origin", "cli.example/log", "--registrar-id", "91110000600037341L",
                   "--registrar-name", "测试登记机关", home=home)  # fmt: skip
        assert init.returncode == 0, init.stderr
        registrar = _registrar(home)
        envelopes = []
        for n in range(200):  # a few hundred KiB of entries, nodes and views: more than the room left
            key = SigningKey.from_seed(n.to_bytes(32, "big"))
            payload = registration_payload(registrar, make_uscc(n), f"商户{n}", ["merchant"], [key.public_key])
            envelopes.append(sign_event(payload, [registrar]).to_json())
        batch = tmp_path / "batch.json"  # outside the small disk
        batch.write_text(json.dumps(envelopes))

        disk.fill(leave=96 * 1024)  # room to open the database, not to commit the batch
        refused = run("append", str(batch), home=home)
        assert refused.returncode == 1
        assert refused.stderr.splitlines() == [
            "error: Insufficient storage: the batch was not stored: the ledger's database or disk is full; "
            "free space and send it again"
        ]
        disk.free()
        disk.fill()
        unopened = run("append", str(batch), home=home)
        assert unopened.returncode == 1
        assert len(unopened.stderr.splitlines()) == 1, unopened.stderr
        assert unopened.stderr.startswith("error: Insufficient storage: "), unopened.stderr

        disk.free()
        taken = run("append", str(batch), home=home)
        assert taken.returncode == 0, taken.stderr
        assert len(taken.stdout.splitlines()) == 200
        audited = run("audit", home=home, passphrase=None)
        assert audited.returncode == 0, audited.stdout + audited.stderr
