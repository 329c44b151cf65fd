"""The witness's own HTTP app (c2sp.org/tlog-witness): ``POST /add-checkpoint``, ``GET /<origin hash>/checkpoint``.

It is a separate app from the ledger's API: a witness is run by someone who does not trust the log's operator.
A size conflict is answered as the spec asks (409, the witness's size as ``text/x.tlog.size``) so that any
tlog client can retry from it; every other refusal goes to the settings' ``problem_handler``, which the
composition root (``traceledger.server``) sets to the RFC 9457 problem documents the API answers with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Litestar, MediaType, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, RawBody
from litestar.types import ControllerRouterHandler, ExceptionHandler

from ledger.errors import NotFound
from ledger.log.witness_errors import MalformedWitnessRequest, TreeSizeConflict
from ledger.log.witness_protocol import MAX_REQUEST_BYTES, SIZE_MEDIA_TYPE, size_body
from witness.witness import Witness


@dataclass(frozen=True)
class WitnessAppSettings:
    witness: Witness
    problem_handler: ExceptionHandler[Exception]  # answers every refusal but a size conflict, and every failure
    # Served beside the protocol by the same app: the pages that problem ``type`` URIs point to.
    extra_route_handlers: Sequence[ControllerRouterHandler] = ()
    max_request_bytes: int = MAX_REQUEST_BYTES


def _size_conflict(_: Request[Any, Any, Any], exc: TreeSizeConflict) -> Response[str]:
    # Exactly the spec's media type: Litestar would append "; charset=utf-8" to a text/* type it sets itself.
    return Response(size_body(exc.size), status_code=exc.status, headers={"Content-Type": SIZE_MEDIA_TYPE})


class WitnessController(Controller):
    path = "/"
    tags = ("witness",)

    @post(
        "/add-checkpoint",
        sync_to_thread=True,
        media_type=MediaType.TEXT,
        status_code=200,
        summary="Cosign a checkpoint that extends the last one this witness cosigned for its log",
    )
    def add_checkpoint(self, body: RawBody, witness: NamedDependency[Witness]) -> str:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedWitnessRequest("the request body is not UTF-8") from None
        return witness.add_checkpoint(text)

    @get(
        "/{origin_hash:str}/checkpoint",
        sync_to_thread=True,
        media_type=MediaType.TEXT,
        summary="The latest checkpoint this witness cosigned for the log whose origin has this SHA-256 (hex)",
    )
    def checkpoint(self, origin_hash: FromPath[str], witness: NamedDependency[Witness]) -> str:
        note = witness.checkpoint(origin_hash)
        if note is None:
            raise NotFound(f"this witness has cosigned no checkpoint of a log with origin hash {origin_hash[:64]!r}")
        return note


def create_witness_app(settings: WitnessAppSettings) -> Litestar:
    """The HTTP face of ``settings.witness``."""
    return Litestar(
        route_handlers=[WitnessController, *settings.extra_route_handlers],
        dependencies={"witness": Provide(lambda: settings.witness, sync_to_thread=False, use_cache=True)},
        exception_handlers={TreeSizeConflict: _size_conflict, Exception: settings.problem_handler},
        request_max_body_size=settings.max_request_bytes,
        openapi_config=None,  # the protocol is c2sp.org/tlog-witness, not this app's own API
        logging_config=None,
    )
