"""Serving the API and the verify portal together, as ``serve`` and ``demo`` do.

The portal hashes user agents with a salt of its own ledger, kept in the home folder (``scan-salt``) so that every
server process of a ledger, and every restart, hashes alike, while a hash means nothing outside this ledger.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable

from litestar import Litestar

from api import ApiSettings, create_app
from ledger.store.ledger import Ledger
from traceledger.settings import Home
from verify_portal import PortalSettings, portal_route_handlers

SCAN_SALT_FILE = "scan-salt"
SCAN_SALT_BYTES = 32


def scan_salt(home: Home) -> bytes:
    """The home's scan salt, created (readable by its owner only) the first time it is needed.

    Server processes may start together: each writes a candidate aside and links it into place, which succeeds
    for exactly one of them, so every process reads the same complete salt.
    """
    path = home.path / SCAN_SALT_FILE
    if not path.exists():
        candidate = path.with_name(f"{SCAN_SALT_FILE}.{os.getpid()}.tmp")
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(SCAN_SALT_BYTES))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process's salt is in place
        finally:
            candidate.unlink()
    return path.read_bytes()


def api_and_portal(home: Home, open_ledger: Callable[[], Ledger]) -> Litestar:
    """One app serving the HTTP API and the verify portal over the ledger that ``open_ledger`` opens."""
    portal = portal_route_handlers(PortalSettings(scan_salt=scan_salt(home)))
    return create_app(ApiSettings(open_ledger=open_ledger, extra_route_handlers=portal, witnesses=home.witnesses()))
