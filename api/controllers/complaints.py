"""``GET /v1/complaints``: the complaint queue, filtered by status, actor complained about and channel, each
complaint flagged overdue when still open 7 days after it was logged (``ledger.rules.feedback.ANSWER_WITHIN``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.problems import problem_responses
from api.schemas import ComplaintQueue, ComplaintResponse
from ledger.errors import InvalidPayload, InvalidQuery
from ledger.events import format_time, parse_time
from ledger.events.schemas import COMPLAINT_CHANNELS
from ledger.identifiers import validate_uscc
from ledger.store.complaints import complaint_queue
from ledger.store.ledger import Ledger

Channel = Literal[COMPLAINT_CHANNELS]  # type: ignore[valid-type]


def _moment(at: str | None) -> datetime:
    """The time overdue flags are judged at: ``at`` (RFC 3339 UTC), or now."""
    if at is None:
        return datetime.now(UTC)
    try:
        return parse_time(at, "at")
    except InvalidPayload as exc:
        raise InvalidQuery(exc.detail) from None


class ComplaintsController(Controller):
    path = "/v1/complaints"
    tags = ("complaints",)

    @get(
        "/",
        sync_to_thread=True,
        summary="Logged complaints, oldest first, with their due times and overdue flags",
        responses=problem_responses(400, 429),
    )
    def queue(
        self,
        ledger: NamedDependency[Ledger],
        status: Annotated[Literal["open", "resolved"] | None, QueryParameter(description="open or resolved")] = None,
        actor: Annotated[str | None, QueryParameter(description="USCC of the actor complained about")] = None,
        channel: Annotated[
            Channel | None, QueryParameter(description="consumer, or the hotline it came through (12315, ...)")
        ] = None,
        at: Annotated[
            str | None, QueryParameter(description="judge overdue flags at this RFC 3339 UTC time (default now)")
        ] = None,
    ) -> ComplaintQueue:
        moment = _moment(at)
        wanted = None if actor is None else validate_uscc(actor)
        queued = complaint_queue(ledger, at=moment, status=status, actor=wanted, channel=channel)
        complaints = [ComplaintResponse(complaint=q.complaint, due=q.due, overdue=q.overdue, **q.row) for q in queued]
        return ComplaintQueue(at=format_time(moment), complaints=complaints)
