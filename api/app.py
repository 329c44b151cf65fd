"""The app factory: ``create_app(settings)`` assembles controllers, dependencies, problems and limits.

Nothing is global: the ledger is opened by the lifespan of each app (so each server process has its own engine),
kept in the app's state and injected into handlers as ``ledger``; the settings are injected as ``settings``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio.to_thread
from litestar import Litestar, Request
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.types import Middleware

from api.controllers import CONTROLLERS
from api.controllers.subjects import PRECOMPRESSED
from api.openapi import openapi_config
from api.ping import ping
from api.problems import problem_response
from api.settings import ApiSettings
from api.transport import serve_http
from ledger.store.ledger import Ledger

_READ_METHODS = frozenset({"GET", "HEAD"})
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LEDGER = "ledger"


def _ledger_lifespan(settings: ApiSettings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        ledger = await anyio.to_thread.run_sync(settings.open_ledger)
        app.state[_LEDGER] = ledger
        try:
            yield
        finally:
            del app.state[_LEDGER]
            await anyio.to_thread.run_sync(ledger.close)

    return lifespan


def _provide_ledger(state: State) -> Ledger:
    ledger: Ledger = state[_LEDGER]
    return ledger


def app_ledger(app: Litestar) -> Ledger:
    """The ledger ``app`` opened at startup, for the tasks of ``ApiSettings.lifespans``."""
    return _provide_ledger(app.state)


async def _is_read(request: Request[Any, Any, Any]) -> bool:
    return request.method in _READ_METHODS


async def _is_write(request: Request[Any, Any, Any]) -> bool:
    return request.method in _WRITE_METHODS


def _middleware(settings: ApiSettings) -> list[Middleware]:
    """Reads and writes each have their own budget per client address, kept in their own store."""
    return [
        RateLimitConfig(rate_limit=limit, check_throttle_handler=applies, store=store).middleware
        for limit, applies, store in (
            (settings.read_rate_limit, _is_read, "read_rate_limit"),
            (settings.write_rate_limit, _is_write, "write_rate_limit"),
        )
        if limit is not None
    ]


def create_app(settings: ApiSettings) -> Litestar:
    """The traceledger HTTP API over the ledger that ``settings.open_ledger`` opens at startup."""
    app = Litestar(
        route_handlers=[*CONTROLLERS, ping, *settings.extra_route_handlers],
        dependencies={
            "ledger": Provide(_provide_ledger, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False, use_cache=True),
        },
        lifespan=[_ledger_lifespan(settings), *settings.lifespans],
        exception_handlers={Exception: problem_response},
        middleware=_middleware(settings),
        request_max_body_size=settings.max_request_bytes,
        # Entry bundles (the spec asks for gzip) and JSON compress well; tiles of random hashes do not.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, exclude=["^/tile/[0-9]"], exclude_opt_key=PRECOMPRESSED
        ),
        openapi_config=openapi_config(),
        logging_config=None,
    )
    return serve_http(app, settings.request_body_seconds, settings.trusted_proxies)
