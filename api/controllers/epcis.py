"""``GET /epcis/events``: the log's supply-chain events as EPCIS 2.0 (JSON-LD), filtered by the EPCIS query
parameters that fit (``ledger.epcis.query``), a page at a time with a ``Link: …; rel="next"`` to the next."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from api.problems import problem_responses
from ledger.epcis.export import as_of, epcis_query_document
from ledger.epcis.query import DEFAULT_PER_PAGE, MAX_PER_PAGE, PARAMETERS, query_events
from ledger.store.ledger import Ledger

JSON_LD = "application/ld+json"
_VERSIONS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}


class EpcisController(Controller):
    path = "/epcis"
    tags = ("epcis",)

    @get(
        "/events",
        sync_to_thread=True,
        media_type=JSON_LD,
        summary="The log's supply-chain events as an EPCIS 2.0 query document",
        description=(
            "Productions, inspections, recalls, dispatches, handoffs and receipts as EPCIS 2.0 events, in log "
            "order, each `eventID` its CBV 2.0 event hash ID. Query parameters (repeat one, or separate values "
            f"with `|`): {', '.join(f'`{p}`' for p in sorted(PARAMETERS))}. Pages hold `perPage` events "
            f"({DEFAULT_PER_PAGE} by default, at most {MAX_PER_PAGE}); a full page links to the next one. An "
            "unknown parameter or a malformed value is a 400 problem."
        ),
        responses={
            200: ResponseSpec(
                dict[str, Any], media_type=JSON_LD, generate_examples=False, description="An EPCISQueryDocument"
            ),
            **problem_responses(400, 429),
        },
    )
    def events(self, request: Request[Any, Any, Any], ledger: NamedDependency[Ledger]) -> Response[bytes]:
        parameters = request.query_params.dict()
        page = query_events(ledger, parameters)
        body = json.dumps(epcis_query_document(page.events, as_of(ledger)), ensure_ascii=False)
        headers = dict(_VERSIONS)
        if page.next_page_token is not None:
            following = {**parameters, "nextPageToken": [page.next_page_token]}
            headers["Link"] = f'<{request.url.path}?{urlencode(following, doseq=True)}>; rel="next"'
        return Response(body.encode("utf-8"), media_type=JSON_LD, headers=headers)
