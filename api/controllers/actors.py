"""``GET /v1/actors/{id}``: a registered organisation's record, keys and sanctions; ``/record``: its credit file."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from api import bundles
from api.credit import CreditRecordResponse, credit_record_response
from api.problems import problem_responses
from api.schemas import ActorResponse
from ledger.store.credit import credit_record
from ledger.store.ledger import Ledger


class ActorsController(Controller):
    path = "/v1/actors"
    tags = ("actors",)

    @get(
        "/{actor_id:str}",
        sync_to_thread=True,
        summary="An actor by its Unified Social Credit Code",
        responses=problem_responses(400, 404, 429),
    )
    def actor(self, actor_id: FromPath[str], ledger: NamedDependency[Ledger]) -> ActorResponse:
        return bundles.actor(ledger, actor_id)

    @get(
        "/{actor_id:str}/record",
        sync_to_thread=True,
        summary="An actor's credit file and credit level (rule credit-level/2), with the facts behind them",
        responses=problem_responses(400, 404, 429),
    )
    def record(self, actor_id: FromPath[str], ledger: NamedDependency[Ledger]) -> CreditRecordResponse:
        return credit_record_response(credit_record(ledger, actor_id, datetime.now(UTC)))
