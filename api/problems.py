"""RFC 9457 problem details for every 4xx and 5xx answer, whoever raised the error.

Ledger errors carry their own slug, title and status; Litestar's own refusals (validation, unknown route, wrong
method, body too large, rate limit) are mapped onto the API's problem types; anything else is a 500 whose details
go to the server log only, so no stack trace or internal message ever reaches a client. A full disk is the one
server-side failure answered as itself (507 ``insufficient-storage``): the client can safely send again later.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from api.catalogue import type_uri
from api.errors import ApiError, InternalError, InvalidRequest, MethodNotAllowed, RateLimited, RequestTooLarge
from api.paths import raw_path
from api.transport import with_head
from ledger.errors import InsufficientStorage, LedgerError, NotFound
from signer.errors import TraceledgerError

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("traceledger.api")

_BY_STATUS: dict[int, type[TraceledgerError]] = {
    400: InvalidRequest,
    404: NotFound,
    405: MethodNotAllowed,
    413: RequestTooLarge,
    429: RateLimited,
}


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem document; ``event_index`` names the failing envelope of a submitted batch."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    event_index: int | None = None


def _validation_detail(exc: ValidationException) -> str:
    """Which parameters failed and why, from Litestar's validation messages (never the raw request)."""
    reasons: list[str] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, Mapping):
            source = item.get("source")
            where = getattr(source, "value", source) or "request"  # a ParamType enum, or a plain string
            reasons.append(f"{item.get('key') or 'request'} ({where}): {item.get('message')}")
    return "; ".join(reasons) or exc.detail


def _http_detail(exc: HTTPException, kind: type[TraceledgerError], request: Request[Any, Any, Any]) -> str:
    if isinstance(exc, ValidationException):
        return _validation_detail(exc)
    if kind is NotFound:
        return f"there is no resource at {raw_path(request)}"
    if kind is MethodNotAllowed:
        allowed = with_head((exc.headers or {}).get("allow", ""))
        return f"{request.method} is not allowed on {raw_path(request)}" + (f"; allowed: {allowed}" if allowed else "")
    return exc.detail


def _internal(instance: str) -> Problem:
    return Problem(
        type_uri(InternalError.slug), InternalError.title, InternalError.status,
        "the server could not answer this request; the failure is logged on the server", instance,
    )  # fmt: skip


def problem_for(exc: Exception, request: Request[Any, Any, Any]) -> Problem:
    """The problem document answering ``exc`` (logging it when it is the server's fault)."""
    instance = raw_path(request)
    if isinstance(exc, TraceledgerError) and exc.status < 500:
        position = exc.position if isinstance(exc, LedgerError) else None
        return Problem(type_uri(exc.slug), exc.title, exc.status, exc.detail, instance, position)
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        kind = _BY_STATUS.get(exc.status_code, ApiError)
        return Problem(type_uri(kind.slug), kind.title, exc.status_code, _http_detail(exc, kind, request), instance)
    if isinstance(exc, InsufficientStorage):
        log.error("%s %s: %s", request.method, instance, exc.detail)
        return Problem(type_uri(exc.slug), exc.title, exc.status, exc.detail, instance)
    log.error("%s %s failed", request.method, instance, exc_info=exc)
    return _internal(instance)


def problem_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """Litestar exception handler: every error becomes a problem document, keeping headers such as Allow."""
    problem = problem_for(exc, request)
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) and problem.status < 500 else {}
    return Response(problem, status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries documenting that ``statuses`` answer with a problem document."""
    return {
        status: ResponseSpec(
            Problem, generate_examples=False, media_type=PROBLEM_MEDIA_TYPE, description="RFC 9457 problem details"
        )
        for status in statuses
    }
