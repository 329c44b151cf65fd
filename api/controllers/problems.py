"""``GET /problems`` and ``GET /problems/{name}``: the pages that problem ``type`` URIs point to."""

from __future__ import annotations

from litestar import Controller, MediaType, Response, get
from litestar.params import FromPath

from api.catalogue import catalogue, index_page, problem_page
from api.problems import problem_responses
from ledger.errors import NotFound

# The pages hold no script, style or image: forbid them all.
_HEADERS = {"Content-Security-Policy": "default-src 'none'", "Cache-Control": "public, max-age=3600"}


class ProblemsController(Controller):
    path = "/problems"
    tags = ("problems",)

    @get("/", sync_to_thread=False, media_type=MediaType.HTML, summary="Every problem type")
    def index(self) -> Response[str]:
        return Response(index_page(), headers=_HEADERS)

    @get(
        "/{name:str}",
        sync_to_thread=False,
        media_type=MediaType.HTML,
        summary="What one problem type means",
        responses=problem_responses(404, 429),
    )
    def page(self, name: FromPath[str]) -> Response[str]:
        problem = catalogue().get(name)
        if problem is None:
            raise NotFound(f"there is no problem type {name[:60]!r}")
        return Response(problem_page(problem), headers=_HEADERS)
