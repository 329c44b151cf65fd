"""A ledger rolled back behind its high-water checkpoint, as a user meets it: appends and serve refuse it in one
line, the audit names it, and nothing is signed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ledger.events import sign_event
from ledger.events.builders import registration_payload
from signer.keys import SigningKey
from tests.ledger.conftest import make_uscc
from tests.traceledger.test_cli import PASSPHRASE, home, run

__all__ = ["home"]


def _append_two(home: Path, tmp_path: Path) -> Path:
    registrar = SigningKey.load(home / "keys" / "registrar.pem", PASSPHRASE)
    keys = [SigningKey.from_seed(bytes([n]) * 32) for n in (1, 2)]
    payloads = [
        registration_payload(registrar, make_uscc(n), f"商户{n}", ["merchant"], [k.public_key])
        for n, k in enumerate(keys)
    ]
    envelopes = [sign_event(payload, [registrar]).to_json() for payload in payloads]
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(envelopes), encoding="utf-8")
    assert run("append", str(batch), home=home).returncode == 0
    return batch


def _roll_back_to_genesis(home: Path) -> None:
    with sqlite3.connect(home / "ledger.db") as db:
        db.execute("DELETE FROM checkpoints WHERE size > 1")
        db.execute("DELETE FROM entries WHERE leaf_index > 0")
        db.execute('DELETE FROM merkle_nodes WHERE NOT (level = 0 AND "index" = 0)')
        db.execute("DELETE FROM views")
        db.execute("UPDATE log_head SET size = 1, logged_at = (SELECT logged_at FROM entries)")
    assert run("reindex", home=home).returncode == 0


def test_append_and_serve_refuse_a_rolled_back_database_in_one_line(home: Path, tmp_path: Path) -> None:
    batch = _append_two(home, tmp_path)
    _roll_back_to_genesis(home)
    for args in (("append", str(batch)), ("serve", "--port", "1")):
        refused = run(*args, home=home)
        assert refused.returncode == 1, refused.stdout
        assert refused.stderr.startswith("error: Database rolled back behind the high-water checkpoint: ")
        assert "size 1 does not extend the high-water checkpoint of size 3" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert run("checkpoint", home=home, passphrase=None).stdout.startswith("cli.example/log\n1\n"), "nothing signed"


def test_the_audit_checks_the_high_water_file(home: Path, tmp_path: Path) -> None:
    _append_two(home, tmp_path)
    assert run("audit", home=home).returncode == 0
    _roll_back_to_genesis(home)
    audited = run("audit", home=home)
    assert audited.returncode == 1
    assert "high water checkpoint 3" in audited.stderr
    assert "the log was truncated since" in audited.stderr
