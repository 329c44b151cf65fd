"""``GET /v1/ping``: a tiny fixed JSON answer that touches no ledger (a liveness check, and the baseline that
``bench/scan_http.py`` measures the scan path against)."""

from __future__ import annotations

import msgspec
from litestar import get

from api.problems import problem_responses


class Pong(msgspec.Struct):
    status: str = "ok"


@get("/v1/ping", sync_to_thread=False, tags=["health"], summary="A tiny fixed answer", responses=problem_responses(429))
def ping() -> Pong:
    return Pong()
