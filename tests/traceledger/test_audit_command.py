"""``traceledger audit`` as a user runs it: a real process over a real ledger, local or served over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from api import ApiSettings, create_app
from ledger.errors import LedgerStateError
from ledger.store.engine import make_engine
from ledger.store.tables import ENTRIES, NODES
from signer.note import parse_note
from tests.e2e.conftest import live_server
from tests.ledger.audit import tampering
from tests.ledger.audit.conftest import WITNESS, build
from tests.ledger.audit.tampering import flip_byte, index_of, is_handoff, set_column
from tests.ledger.conftest import PASSPHRASE, create_ledger
from traceledger.settings import DATABASE_FILE, Home
from traceledger.tiles_source import MAX_BODY_BYTES, TilesSource

EXTRA_SIGNATURES = 2  # in the audited ledger, a handoff and a return request each carry a second signature


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    return subprocess.run(
        [sys.executable, "-c", "from traceledger.cli import main; main()", "audit", *args, "--home", str(home)],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def home(tmp_path: Path) -> Path:
    fixture = create_ledger(tmp_path / "home")
    build(fixture)
    fixture.ledger.close()
    return fixture.home.path


def size_of(home: Path | Home) -> int:
    """The ledger's size, read through the program (the story it holds may grow)."""
    ledger = (home if isinstance(home, Home) else Home(home)).open()
    try:
        return ledger.size()
    finally:
        ledger.close()


@contextmanager
def writable(home: Path | Home) -> Iterator[Engine]:
    """An engine on the home's database, to change it behind the program's back."""
    engine = make_engine((home if isinstance(home, Home) else Home(home)).database_url())
    try:
        yield engine
    finally:
        engine.dispose()


def first_handoff(home: Path | Home) -> int:
    with writable(home) as engine:
        return index_of(engine, is_handoff)


def break_signature(home: Path | Home, index: int) -> None:
    with writable(home) as engine:
        tampering.break_signature(engine, index)


def test_a_clean_ledger_passes_with_a_summary(home: Path) -> None:
    size = size_of(home)
    result = run(home=home)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    lines = result.stdout.splitlines()
    assert lines[0].startswith("audit of trace.example.org/log (database ")
    nodes = 2 * size - bin(size).count("1")  # every complete subtree
    assert lines[1].startswith(
        f"checked {size} entries, {size + EXTRA_SIGNATURES} signatures, {size} checkpoints, {nodes} Merkle nodes, "
    )
    assert "3 attachments (1 with content), 2 cosignatures" in lines[1]
    assert lines[-1] == "OK: every entry, signature, rule, node, checkpoint and derived row checks out"


def test_the_json_report(home: Path) -> None:
    result = run("--json", "--processes", "2", home=home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["first"] is None
    assert report["findings"] == []
    assert report["size"] == report["checked"]["entries"] == report["checked"]["checkpoints"] == size_of(home)
    assert report["checked"]["view_rows"] > 50


def test_save_then_since(home: Path, tmp_path: Path) -> None:
    saved = tmp_path / "audited.checkpoint"
    assert run("--save", str(saved), home=home).returncode == 0
    size = size_of(home)
    assert saved.read_text(encoding="utf-8").startswith(f"trace.example.org/log\n{size}\n")
    result = run("--since", str(saved), home=home)
    assert result.returncode == 0, result.stderr
    assert f"the log extends the saved checkpoint of size {size}" in result.stdout


def test_a_saved_checkpoint_of_another_log_is_refused_in_one_line(home: Path, tmp_path: Path) -> None:
    other = create_ledger(tmp_path / "other")
    other.ledger.close()
    saved = tmp_path / "other.checkpoint"
    assert run("--save", str(saved), home=other.home.path).returncode == 0
    result = run("--since", str(saved), home=home)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: Checkpoint invalid: checkpoint signature: none of the 1 signatures is by a known key"
    ]


def test_a_tampered_ledger_fails_naming_the_entry(home: Path, tmp_path: Path) -> None:
    index = first_handoff(home)
    break_signature(home, index)
    saved = tmp_path / "saved"
    result = run("--save", str(saved), home=home)
    assert result.returncode == 1
    assert not saved.exists()  # a failed audit vouches for no checkpoint
    error = result.stderr.strip().splitlines()
    assert len(error) == 1
    assert error[0].startswith(f"error: Audit failed: entry {index} (shipment): the signature by key ")
    assert "Traceback" not in result.stderr
    assert f"  entry {index} (shipment): the signature by key " in result.stdout
    assert "note: derived rows not compared: the replay stopped at entry" in result.stdout


def test_cosignatures_by_a_witness_no_longer_configured_fail(home: Path) -> None:
    settings_file = Home(home).settings_file
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    witness = settings.pop("witnesses")[0]["vkey"]
    settings_file.write_text(json.dumps(settings), encoding="utf-8")
    result = run(home=home)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: Audit failed: cosignature {size_of(home) - 1}: by {witness}, a witness this ledger is not "
        "configured to submit to (and 1 more)"
    ]


def test_a_corrupt_database_file_is_one_line(home: Path) -> None:
    database = home / DATABASE_FILE
    database.write_bytes(b"not a database" + database.read_bytes()[14:])
    result = run(home=home)
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["error: Ledger unavailable: cannot read the database: file is not a database"]


def test_a_remote_log_needs_its_key(tmp_path: Path) -> None:
    result = run("--url", "http://127.0.0.1:9", home=tmp_path / "nowhere")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: Ledger unavailable: give the log's verifier key with --vkey (no local ledger pins one)"
    ]


def test_a_remote_answer_is_read_no_further_than_the_largest_tile() -> None:
    """A hostile server cannot make a remote audit read an endless answer into memory."""
    pulled = 0

    def endless() -> Iterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield bytes(65536)

    transport = httpx.MockTransport(lambda _: httpx.Response(200, content=endless()))
    too_long = f"more than {MAX_BODY_BYTES} bytes to /checkpoint"
    with (
        TilesSource("http://log.invalid", transport=transport) as source,
        pytest.raises(LedgerStateError, match=too_long),
    ):
        source.checkpoints()
    assert pulled <= MAX_BODY_BYTES // 65536 + 1


def test_remote_audits_give_the_local_verdicts(home: Path, tmp_path: Path) -> None:
    """The same log audited from its database and through its served tiles: clean, then after a signature in an
    entry is broken, then (restored) after a leaf node is changed."""
    vkey, size = Home(home).settings()["log_vkey"], size_of(home)
    app = create_app(ApiSettings(open_ledger=lambda: Home(home).open(PASSPHRASE), read_rate_limit=None))
    elsewhere = tmp_path / "auditor"  # the remote auditor has no ledger of its own: only the URL and the key
    with live_server(app) as base:
        served = parse_note(httpx.get(f"{base}/checkpoint").text)  # cosigned: the remote audit reads past that line
        assert [sig.name for sig in served.signatures] == ["trace.example.org/log", WITNESS]
        local, remote = run(home=home), run("--url", base, "--vkey", vkey, home=elsewhere)
        assert (local.returncode, remote.returncode) == (0, 0), remote.stderr
        assert (
            f"checked {size} entries, {size + EXTRA_SIGNATURES} signatures, 1 checkpoints, {size} tile hashes"
            in remote.stdout
        )

        index = first_handoff(home)
        engine = make_engine(Home(home).database_url())
        with engine.connect() as conn:
            original = bytes(conn.execute(select(ENTRIES.c.data).where(ENTRIES.c.leaf_index == index)).scalar_one())
        break_signature(home, index)
        local, remote = run(home=home), run("--url", base, "--vkey", vkey, home=elsewhere)
        assert (local.returncode, remote.returncode) == (1, 1)
        assert remote.stderr.splitlines()[0].split(" (and ")[0] == local.stderr.splitlines()[0].split(" (and ")[0]

        set_column(engine, ENTRIES, {"leaf_index": index}, "data", original)
        with engine.connect() as conn:
            leaf = bytes(conn.execute(select(NODES.c.hash).where(NODES.c.level == 0, NODES.c.index == 5)).scalar_one())
        set_column(engine, NODES, {"level": 0, "index": 5}, "hash", flip_byte(leaf, 0))
        engine.dispose()
        local, remote = run(home=home), run("--url", base, "--vkey", vkey, home=elsewhere)
    assert (local.returncode, remote.returncode) == (1, 1)
    assert local.stderr.startswith("error: Audit failed: merkle node 5 (level 0): stored hash differs")
    assert remote.stderr.startswith(f"error: Audit failed: tile 0 (tile/0/000.p/{size}): hash 5 (node 5 at level 0)")


def test_clean_then_tampered_on_either_database(tmp_path: Path, database_url: str | None) -> None:
    """``--database-url`` audits the same way: on PostgreSQL (each test in its own schema) as on SQLite."""
    fixture = create_ledger(tmp_path / "home", database_url)
    build(fixture)
    fixture.ledger.close()
    where = ("--database-url", database_url) if database_url else ()
    clean = run(*where, home=fixture.home.path)
    assert clean.returncode == 0, clean.stderr
    size = size_of(fixture.home)
    assert f"checked {size} entries, {size + EXTRA_SIGNATURES} signatures, {size} checkpoints" in clean.stdout
    index = first_handoff(fixture.home)
    break_signature(fixture.home, index)
    tampered = run(*where, home=fixture.home.path)
    assert tampered.returncode == 1
    assert tampered.stderr.startswith(f"error: Audit failed: entry {index} (shipment): the signature by key ")
