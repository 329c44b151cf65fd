"""What the composition root decides about the API: how to open the ledger, and the request limits.

The API never locates or opens a ledger itself (that is ``traceledger``'s job, DESIGN §2): it is handed a function
that opens one, called once per server process at startup, so each uvicorn worker has its own engine and pool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Literal, TypeAlias

from litestar import Litestar
from litestar.di import NamedDependency
from litestar.params import SkipValidation
from litestar.types import ControllerRouterHandler

from api.proxies import IPNetwork
from api.transport import DEFAULT_BODY_SECONDS
from ledger.events import MAX_ENVELOPE_BYTES
from ledger.store.ledger import Ledger

DurationUnit = Literal["second", "minute", "hour", "day"]
Lifespan: TypeAlias = Callable[[Litestar], AbstractAsyncContextManager[None]]

# A full batch of 1000 envelopes at 64 KiB each would be 64 MiB, too much to buffer for one request; real events
# are far smaller (a few hundred bytes), so 8 MiB carries a full batch of them while every envelope in it is
# still checked against its own 64 KiB limit by the ledger.
DEFAULT_MAX_REQUEST_BYTES = 128 * MAX_ENVELOPE_BYTES  # 8 MiB


@dataclass(frozen=True)
class ApiSettings:
    open_ledger: Callable[[], Ledger]  # opens a ledger able to append (with the log key), called at startup
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    read_rate_limit: tuple[DurationUnit, int] | None = ("minute", 600)  # per client address; None: no limit
    # Appends per client address (a request may carry a batch of up to 1,000 events); None: no limit.
    write_rate_limit: tuple[DurationUnit, int] | None = ("minute", 120)
    request_body_seconds: float = DEFAULT_BODY_SECONDS  # a request body must have arrived this long after it began
    # Peers whose X-Forwarded-For (and the portal's city headers) are believed (``api.proxies``); by default none.
    trusted_proxies: Sequence[IPNetwork] = ()
    short_cache_seconds: int = 5  # max-age of /checkpoint, the one tlog-tiles resource that changes
    # Handlers served beside the API by the same app (the verify portal); they get the same ``ledger`` dependency.
    extra_route_handlers: Sequence[ControllerRouterHandler] = ()
    # Tasks run while the app serves, once its ledger is open (``app_ledger``): the root's witness submitter.
    lifespans: Sequence[Lifespan] = ()


# Handlers take the settings as this: our own object, unvalidated (msgspec cannot resolve ControllerRouterHandler).
SettingsDependency: TypeAlias = NamedDependency[SkipValidation[ApiSettings]]
