"""``GET /v1/sanctions?list=black|red``: the public disclosure list of sanctions, lifted and expired ones shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.credit import SanctionList, sanction_list
from api.problems import problem_responses
from ledger.store.credit import disclosure
from ledger.store.ledger import Ledger


class SanctionsController(Controller):
    path = "/v1/sanctions"
    tags = ("actors",)

    @get(
        "/",
        sync_to_thread=True,
        summary="Every red- and black-list sanction, newest first, with its status now",
        responses=problem_responses(400, 429),
    )
    def sanctions(
        self,
        ledger: NamedDependency[Ledger],
        list_: Annotated[
            Literal["black", "red"] | None, QueryParameter(name="list", description="black or red; both if absent")
        ] = None,
    ) -> SanctionList:
        now = datetime.now(UTC)
        return sanction_list(disclosure(ledger, list_, now), now)
