"""A regulator's trace: ``GET /v1/trace/{path}``, where a batch, item or parcel went or what it came from."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from api import bundles
from api.paths import subject_path
from api.problems import problem_responses
from api.schemas import TraceResponse
from ledger.store.ledger import Ledger
from ledger.trace import DEFAULT_DEPTH, MAX_DEPTH, Direction

_PREFIX = "/v1/trace/"


class TraceController(Controller):
    path = "/v1/trace"
    tags = ("trace",)

    @get(
        "/{path:path}",
        sync_to_thread=True,
        summary="The forward or backward trace of a batch, item or parcel",
        description=(
            "For `01/<gtin>/10/<lot>`, `01/<gtin>/10/<lot>/21/<serial>` or `00/<sscc>`: forward, every parcel "
            "that carried it with its quantity, each handoff, the actors that received it, the consumer receipts "
            "(by key id) and the batches made from it; backward, the batches it was made from and the parcels "
            "that brought them. Production links are followed `depth` hops. Each step carries the inclusion "
            "proof of the entry that proves it against the latest checkpoint, which is included."
        ),
        responses=problem_responses(400, 404, 429),
    )
    def trace(
        self,
        path: FromPath[str],
        request: Request[Any, Any, Any],
        ledger: NamedDependency[Ledger],
        direction: Annotated[
            Direction, QueryParameter(description="forward: where it went; backward: what it came from")
        ] = "forward",
        depth: Annotated[
            int, QueryParameter(ge=0, le=MAX_DEPTH, description="production hops to follow (0: its own goods)")
        ] = DEFAULT_DEPTH,
    ) -> TraceResponse:
        return bundles.traced(ledger, subject_path(request, _PREFIX, path), direction, depth)
