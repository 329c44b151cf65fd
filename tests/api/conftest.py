"""An API over a real ledger in a temporary home, driven through Litestar's TestClient.

Every test that takes the ``api`` fixture runs twice, like the ledger and story suites: on the embedded SQLite file
and on PostgreSQL (``database_url`` in ``tests/conftest.py``; skipped without ``TRACELEDGER_TEST_DATABASE_URL``).

Actors are registered and goods produced through the ``World`` of the scenario tests (its own ``Ledger`` on the
same database); the events under test are posted over HTTP, as a client would.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api import ApiSettings, create_app
from ledger.events import EventPayload, sign_event
from ledger.log.checkpoint import Checkpoint, open_checkpoint
from ledger.store.engine import make_engine
from ledger.store.tables import metadata
from signer.keys import SigningKey
from tests.conftest import DATABASE_URL_ENV
from tests.ledger.conftest import PASSPHRASE, LedgerFixture, create_ledger
from tests.scenarios.world import World

PROBLEM_JSON = "application/problem+json"


@dataclass
class Api:
    client: TestClient[Litestar]
    world: World

    @property
    def fixture(self) -> LedgerFixture:
        return self.world.fixture

    def post(self, body: Any) -> httpx.Response:
        return self.client.post("/v1/events", json=body)

    def checkpoint(self) -> Checkpoint:
        """The latest checkpoint as served, verified under the log's key."""
        response = self.client.get("/checkpoint")
        assert response.status_code == 200
        ledger = self.fixture.ledger
        return open_checkpoint(response.text, ledger.log_verifier, ledger.origin)

    @contextmanager
    def unchanged(self) -> Iterator[None]:
        """The block must leave every table exactly as it was."""
        before = self.fixture.table_snapshot()
        yield
        assert self.fixture.table_snapshot() == before, "a rejected request changed the database"


def signed(payload: EventPayload, *keys: SigningKey) -> dict[str, Any]:
    return sign_event(payload, list(keys)).to_json()


def listed(api: Api, path: str, field: str) -> list[dict[str, object]]:
    """The ``field`` list of a successful GET of ``path`` (a queue such as /v1/risks)."""
    response = api.client.get(path)
    assert response.status_code == 200, response.text
    rows: list[dict[str, object]] = response.json()[field]
    return rows


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """Check that ``response`` is the RFC 9457 problem ``slug`` with ``status``, and return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = json.loads(response.content)
    assert body["type"] == f"/problems/{slug}", body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert "Traceback" not in response.text
    return body


def get_from(client: TestClient[Litestar], address: str, path: str, headers: dict[str, str]) -> httpx.Response:
    """GET ``path`` from the app that ``client`` runs, as a server sees a connection from ``address``."""

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
            return await http.get(path, headers=headers)

    with ThreadPoolExecutor(1) as thread:  # a loop of its own, even beside Playwright's in the same session
        return thread.submit(anyio.run, get).result()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def make_api(fixture: LedgerFixture, **settings: Any) -> Litestar:
    return create_app(ApiSettings(open_ledger=lambda: fixture.home.open(PASSPHRASE), **settings))


@contextmanager
def serving(home: Path, database_url: str | None = None) -> Iterator[Api]:
    """A new ledger in ``home`` (on ``database_url``, or SQLite in ``home``) and an API over it (no rate limits),
    running until the block ends."""
    fixture = create_ledger(home, database_url)
    try:
        with TestClient(make_api(fixture, read_rate_limit=None, write_rate_limit=None)) as client:
            yield Api(client, World(fixture))
    finally:
        fixture.ledger.close()


@pytest.fixture
def api(tmp_path: Path, database_url: str | None) -> Iterator[Api]:
    """An API over a new ledger, once on SQLite and once on PostgreSQL."""
    with serving(tmp_path / "home", database_url) as api:
        yield api


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``database_url`` for a module-scoped fixture: one log built once and shared by a module's tests, e.g.
    ``serving(tmp_path_factory.mktemp(...) / "home", module_database_url)``.

    The PostgreSQL tables are dropped once, when the module's PostgreSQL round starts; a module using it must not
    also use the function-scoped ``database_url`` (which drops them again before each of its tests).
    """
    if request.param == "sqlite":
        yield None
        return
    url = os.environ.get(DATABASE_URL_ENV)
    if not url:
        pytest.skip(f"PostgreSQL suite: set {DATABASE_URL_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    engine = make_engine(url)
    metadata.drop_all(engine)
    engine.dispose()
    yield url
