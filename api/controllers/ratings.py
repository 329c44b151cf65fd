"""``GET /v1/ratings/{party}``: the ratings a courier, sender or buyer key received (issue 11), from the views."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from api.problems import problem_responses
from ledger.credit_facts import PartyRatings, party_ratings
from ledger.store.ledger import Ledger


class RatingsController(Controller):
    path = "/v1/ratings"
    tags = ("ratings",)

    @get(
        "/{party:str}",
        sync_to_thread=True,
        summary="The ratings a party received, as courier, sender and buyer (a USCC, or a consignee key id)",
        responses=problem_responses(400, 429),
    )
    def ratings(self, party: FromPath[str], ledger: NamedDependency[Ledger]) -> PartyRatings:
        return party_ratings(ledger, party)
