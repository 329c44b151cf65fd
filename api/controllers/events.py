"""Capture (``POST /v1/events``) and event lookup (``GET /v1/events/{event_id}``)."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, RawBody

from api import bundles
from api.openapi import SubmitOperation
from api.problems import problem_responses
from api.schemas import AppendResponse, EventResponse
from api.submissions import read_submissions
from ledger.store.ledger import Ledger


class EventsController(Controller):
    path = "/v1/events"
    tags = ("events",)

    @post(
        "/",
        sync_to_thread=True,
        status_code=201,
        operation_class=SubmitOperation,
        summary="Append signed events",
        description=(
            "Appends one DSSE envelope, or an array of envelopes as one atomic batch: every event is logged, or "
            "none is and the problem's `event_index` names the first bad one. Answers 201 with one entry per "
            "envelope in submission order (a list of one for a single envelope), or 200 with the existing "
            "entries when every envelope was already logged (then nothing is stored)."
        ),
        responses={
            200: ResponseSpec(AppendResponse, generate_examples=False, description="Every envelope already logged"),
            **problem_responses(400, 403, 409, 413, 422, 429),
        },
    )
    def submit(self, body: RawBody, ledger: NamedDependency[Ledger]) -> Response[AppendResponse]:
        results = ledger.append(read_submissions(body))
        created = any(r.created for r in results)
        headers = {"Location": f"/v1/events/{results[0].event_id}"} if created and len(results) == 1 else {}
        return Response(bundles.appended(results), status_code=201 if created else 200, headers=headers)

    @get(
        "/{event_id:str}",
        sync_to_thread=True,
        summary="One logged event with its inclusion proof",
        responses=problem_responses(404, 429),
    )
    def event(self, event_id: FromPath[str], ledger: NamedDependency[Ledger]) -> EventResponse:
        return bundles.event(ledger, event_id)
