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
