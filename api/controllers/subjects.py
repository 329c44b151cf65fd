"""The scan path: ``GET /v1/subjects/{path}``, the verifiable history bundle of a batch, item or parcel."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from api import bundles
from api.paths import subject_path
from api.problems import problem_responses
from api.schemas import HistoryBundle
from ledger.store.ledger import Ledger

_PREFIX = "/v1/subjects/"


class SubjectsController(Controller):
    path = "/v1/subjects"
    tags = ("subjects",)

    @get(
        "/{path:path}",
        sync_to_thread=True,
        summary="The history bundle of a batch, item or parcel",
        description=(
            "For `01/<gtin>/10/<lot>`, `01/<gtin>/10/<lot>/21/<serial>` or `00/<sscc>`: the latest checkpoint, "
            "every entry about the subject with its exact bytes and an inclusion proof against that checkpoint, "
            "the entries registering every key that signed them, and a summary."
        ),
        responses=problem_responses(400, 404, 429),
    )
    def history(
        self, path: FromPath[str], request: Request[Any, Any, Any], ledger: NamedDependency[Ledger]
    ) -> HistoryBundle:
        return bundles.history_bundle(ledger, subject_path(request, _PREFIX, path))
