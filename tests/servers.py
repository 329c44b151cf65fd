"""Real server processes for tests that need real sockets: uvicorn serving an app factory, on a free local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 60


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def uvicorn_process(factory: str, env: Mapping[str, str], log: Path, probe: str = "/checkpoint") -> Iterator[str]:
    """uvicorn serving the app that ``factory`` (``module:function``) builds, with ``env`` added to a
    TRACELEDGER_-free environment; yields its base URL once ``probe`` answers, and stops it when the block ends."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")} | dict(env)
    command = [
        sys.executable, "-m", "uvicorn", "--factory", factory, "--app-dir", str(ROOT),
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=environment, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert server.poll() is None, f"the server exited:\n{log.read_text(errors='replace')}"
            try:
                httpx.get(base + probe, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"the server did not answer within {START_SECONDS} s"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def cli(*args: str, passphrase: str | None = None) -> subprocess.CompletedProcess[str]:
    """``traceledger ARGS`` in a process of its own, with a TRACELEDGER_-free environment (but the key passphrase,
    if given) and no terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    if passphrase is not None:
        env["TRACELEDGER_KEY_PASSPHRASE"] = passphrase
    return subprocess.run(
        [sys.executable, "-c", "from traceledger.cli import main; main()", *args],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip


@contextmanager
def demo_process(home: Path, log: Path) -> Iterator[tuple[str, str]]:
    """``traceledger demo --home HOME`` serving on a free port in its own process, as a newcomer starts it (no
    TRACELEDGER_ variable); yields its base URL and what it printed once it answers, and stops it by its pid."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")} | {"PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "from traceledger.cli import main; main()", "demo", "--home", str(home),
               "--port", str(port)]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 2 * START_SECONDS  # a first run builds the ledger before it serves
        while True:
            assert process.poll() is None, f"the demo exited:\n{log.read_text(errors='replace')}"
            try:
                httpx.get(f"{base}/v1/ping", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the demo server did not start"
                time.sleep(0.1)
        yield base, log.read_text("utf-8")
    finally:
        process.terminate()
        process.wait(timeout=30)
