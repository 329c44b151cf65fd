"""The apps traceledger serves: the API and the verify portal together (with the witness submitter beside them),
as ``serve`` and ``demo`` do, and a witness (``witness serve``), each answering refusals with problem documents.

The portal hashes user agents with a salt of its own ledger, kept in the home folder (``scan-salt``) so that every
server process of a ledger, and every restart, hashes alike, while a hash means nothing outside this ledger.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable

from litestar import Litestar

from api import ApiSettings, create_app
from api.controllers.problems import ProblemsController
from api.problems import problem_response
from api.transport import DEFAULT_BODY_SECONDS, serve_http
from ledger.store.ledger import Ledger
from signer.keys import SigningKey
from traceledger.monitoring import monitoring_lifespan
from traceledger.settings import Home
from traceledger.witnessing import witnessing_lifespan
from verify_portal import PortalSettings, portal_route_handlers
from witness.app import WitnessAppSettings, create_witness_app
from witness.witness import Witness

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


# uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1; the app decides it (api.proxies, trusted_proxies).
UVICORN_PROXY_HEADERS = False


def api_and_portal(home: Home, open_ledger: Callable[[], Ledger], monitor: SigningKey | None = None) -> Litestar:
    """One app serving the HTTP API and the verify portal over the ledger that ``open_ledger`` opens, running the
    risk detectors with the ``monitor`` key when one is given."""
    portal = portal_route_handlers(PortalSettings(scan_salt=scan_salt(home)))
    lifespans = [witnessing_lifespan(home.witnesses()), monitoring_lifespan(monitor)]
    settings = ApiSettings(
        open_ledger=open_ledger, extra_route_handlers=portal, lifespans=lifespans,
        trusted_proxies=home.trusted_proxies(),
    )  # fmt: skip
    return create_app(settings)


def witness_server(witness: Witness) -> Litestar:
    """The witness's app, refusing with the API's problem documents and serving the pages their types point to,
    with HEAD and request bodies handled as the API's are."""
    settings = WitnessAppSettings(witness, problem_response, extra_route_handlers=[ProblemsController])
    return serve_http(create_witness_app(settings), DEFAULT_BODY_SECONDS)
