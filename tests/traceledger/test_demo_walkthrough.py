"""The demo's walkthrough as a newcomer follows it: a second ``traceledger demo`` serves the same ledger, and the
commands it prints, run as printed with the consumer's key pasted in, send a parcel that the consumer signs for."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from signer.encoding import b64
from signer.keys import SigningKey
from tests.servers import cli, demo_process
from tests.traceledger.test_demo import _demo
from traceledger.demo import KEY_FILES
from traceledger.demo_walkthrough import DEMO_PASSPHRASE, KEY_PLACEHOLDER

PROJECT = Path(__file__).resolve().parents[2]
CONSUMER_PASSPHRASE = "consumer test passphrase"


def _printed_commands(output: str) -> list[list[str]]:
    """The walkthrough's command lines, as argument lists after ``./dev traceledger``."""
    commands = []
    for line in output.splitlines():
        if line.strip().startswith("./dev traceledger "):
            commands.append(shlex.split(line.strip())[2:])
    return commands


@pytest.fixture
def second_run(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A demo built once (``--no-serve``), then served by a second run; yields what the second run printed, and
    the home."""
    home = tmp_path / "demo"
    built = _demo("--no-serve", home=home)
    assert built.returncode == 0, built.stderr
    with demo_process(home, tmp_path / "demo.log") as (_, printed):
        yield printed, home


def test_the_demo_keeps_its_actors_keys_encrypted(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    assert _demo("--no-serve", home=home).returncode == 0
    for name in KEY_FILES:
        pem = (home / "keys" / f"{name}.pem").read_text()
        assert "BEGIN ENCRYPTED PRIVATE KEY" in pem, name
        kid = SigningKey.load(home / "keys" / f"{name}.pem", DEMO_PASSPHRASE).kid
        assert kid in (home / "keys" / f"{name}.pub").read_text(), name


def test_a_second_run_serves_the_same_ledger_and_the_walkthrough_works_as_printed(
    second_run: tuple[str, Path], tmp_path: Path
) -> None:
    output, _ = second_run
    assert "reusing the demo ledger" in output
    assert "serving read-only" not in output
    assert f"export TRACELEDGER_KEY_PASSPHRASE={DEMO_PASSPHRASE}" in output
    dispatch, handoff = _printed_commands(output)
    assert dispatch[-1] == KEY_PLACEHOLDER
    consumer = SigningKey.generate()  # the key the consumer page shows, pasted in as text
    for command in ([*dispatch[:-1], b64(consumer.public_key)], handoff):
        ran = cli(*command, passphrase=DEMO_PASSPHRASE)
        assert ran.returncode == 0, ran.stderr
    parcel = dispatch[dispatch.index("--parcel") + 1]
    url = dispatch[dispatch.index("--url") + 1]
    consumer.save(tmp_path / "consumer.pem", CONSUMER_PASSPHRASE)
    signed = cli(
        "consumer", "receipt", "--key", str(tmp_path / "consumer.pem"), "--parcel", parcel, "--url", url,
        passphrase=CONSUMER_PASSPHRASE,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    bundle = httpx.get(f"{url}/v1/subjects/{parcel}", timeout=10).json()
    assert [entry["kind"] for entry in bundle["entries"]] == ["shipment", "shipment", "signature"]


def test_dev_runs_the_command_line_without_activating_the_venv() -> None:
    ran = subprocess.run(
        [str(PROJECT / "dev"), "traceledger", "checkpoint", "--help"], cwd=PROJECT, capture_output=True, text=True,
        check=False, env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "Print the latest signed checkpoint" in ran.stdout


def test_a_demo_built_with_another_passphrase_is_served_read_only_without_it(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    built = cli("demo", "--home", str(home), "--no-serve", passphrase="a passphrase of my own")
    assert built.returncode == 0, built.stderr
    assert "keep it set" in built.stdout
    assert DEMO_PASSPHRASE not in built.stdout
    again = _demo("--no-serve", home=home)  # without the variable: the published passphrase does not open it
    assert again.returncode == 0, again.stderr
    assert "serving read-only: set TRACELEDGER_KEY_PASSPHRASE" in again.stdout
    assert "./dev traceledger" not in again.stdout
