"""The demo's ledger built in a test's folder, as ``traceledger demo`` builds it (without its manifest and pages)."""

from __future__ import annotations

from pathlib import Path

from ledger.events.builders import Registrar
from traceledger.demo import ORIGIN, REGISTRAR, DemoStory, build_demo
from traceledger.server import scan_salt
from traceledger.settings import Home


def demo_home(path: Path, passphrase: str) -> tuple[Home, DemoStory]:
    """A new home at ``path`` whose log key ``passphrase`` encrypts, holding the demo's stories; its ledger closed."""
    home = Home(path)
    ledger = home.create(ORIGIN, [Registrar(REGISTRAR.uscc, REGISTRAR.name, (REGISTRAR.key.public_key,))], passphrase)
    try:
        return home, build_demo(ledger, REGISTRAR.key, scan_salt(home))
    finally:
        ledger.close()
