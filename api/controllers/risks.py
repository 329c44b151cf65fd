"""``GET /v1/risks``: the regulators' queue of logged risk findings, filtered by status, actor and detector.

A regulator acts on a finding with a sanction or recall naming it (``data.finding``), which closes it (acted).
"""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.problems import problem_responses
from api.schemas import RiskQueue, RiskResponse
from ledger.events.schemas import DETECTORS
from ledger.identifiers import validate_uscc
from ledger.store.ledger import Ledger
from ledger.store.risks import risk_queue

Detector = Literal[DETECTORS]  # type: ignore[valid-type]


class RisksController(Controller):
    path = "/v1/risks"
    tags = ("risks",)

    @get(
        "/",
        sync_to_thread=True,
        summary="Logged risk findings, oldest first",
        responses=problem_responses(400, 429),
    )
    def queue(
        self,
        ledger: NamedDependency[Ledger],
        status: Annotated[
            Literal["open", "acted"] | None, QueryParameter(description="open, or acted on by a sanction or recall")
        ] = None,
        actor: Annotated[str | None, QueryParameter(description="USCC of the actor at issue")] = None,
        detector: Annotated[Detector | None, QueryParameter(description="the detector that found it")] = None,
    ) -> RiskQueue:
        wanted = None if actor is None else validate_uscc(actor)
        queued = risk_queue(ledger, status=status, actor=wanted, detector=detector)
        return RiskQueue([RiskResponse(finding=q.finding, **q.row) for q in queued])
