"""The scan path: ``GET /v1/subjects/{path}``, the verifiable history bundle of a batch, item or parcel.

The latest bundle is revalidated (``no-cache`` with a strong ETag, 304 when unchanged); the bundle of one tree
size (``?size=``, the URL a portal page names) never changes, so it is ``immutable`` for browsers and CDNs.
A size no longer the latest and not held any more redirects to the latest size, which is a bundle as good.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from api import bundles
from api.paths import subject_path
from api.problems import problem_responses
from api.schemas import HistoryBundle
from ledger.store.ledger import Ledger

_PREFIX = "/v1/subjects/"
PRECOMPRESSED = "precompressed"  # a route handler's opt: its answers are compressed already (api.app's middleware)
JSON = "application/json"
LATEST = "no-cache"  # the latest bundle changes as the log grows: ask again, with the ETag
PINNED = "public, max-age=31536000, immutable"  # a year: the bundle of one tree size is the same bytes for ever

TreeSize = Annotated[
    int | None, QueryParameter(name="size", ge=1, description="the tree size the bundle is proved against")
]


def _matches(request: Request[Any, Any, Any], etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks of it) or is ``*``."""
    sent = request.headers.get("if-none-match")
    if sent is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in sent.split(",")}
    return "*" in tags or etag in tags


def _accepts_gzip(request: Request[Any, Any, Any]) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")  # as the app's compression middleware decides


def bundle_response(request: Request[Any, Any, Any], bundle: bundles.EncodedBundle, cache_control: str,
                    headers: dict[str, str] | None = None, *, gzipped: bool = False) -> Response[bytes]:  # fmt: skip
    """``bundle`` as JSON with its ETag, or 304 Not Modified when the client holds these bytes already; with
    ``gzipped`` (a route the compression middleware leaves alone) the bundle gzipped once, to a client taking it."""
    body, etag, sent = bundle.body, bundle.etag, dict(headers or {})
    if gzipped:
        sent["Vary"] = "Accept-Encoding"
        if _accepts_gzip(request):
            body, etag = bundle.gzipped, bundle.gzipped_etag
            sent["Content-Encoding"] = "gzip"
    sent.update({"ETag": etag, "Cache-Control": cache_control})
    if _matches(request, etag):
        sent.pop("Content-Encoding", None)
        return Response(b"", status_code=304, headers=sent)
    return Response(body, media_type=JSON, headers=sent)


class SubjectsController(Controller):
    path = "/v1/subjects"
    tags = ("subjects",)

    @get(
        "/{path:path}",
        sync_to_thread=True,
        opt={PRECOMPRESSED: True},
        summary="The history bundle of a batch, item or parcel",
        description=(
            "For `01/<gtin>/10/<lot>`, `01/<gtin>/10/<lot>/21/<serial>` or `00/<sscc>`: the latest checkpoint "
            "(or the one of tree size `size`), every entry about the subject with its exact bytes and an inclusion "
            "proof against that checkpoint, the entries registering every key that signed them, and a summary. "
            "With `size`, the answer is immutable; a size no longer held redirects (307) to the latest."
        ),
        responses={
            200: ResponseSpec(HistoryBundle, description="the history bundle", generate_examples=False),
            307: ResponseSpec(None, description="the size asked for is no longer held: the latest size's bundle"),
            **problem_responses(400, 404, 429),
        },
    )
    def history(
        self,
        path: FromPath[str],
        request: Request[Any, Any, Any],
        ledger: NamedDependency[Ledger],
        size: TreeSize = None,
    ) -> Response[bytes]:
        subject = subject_path(request, _PREFIX, path)
        try:
            bundle = bundles.served_bundle(ledger, subject, size)
        except bundles.StaleTreeSize as stale:
            return Response(
                b"", status_code=307, headers={"Location": stale.current.pinned_url, "Cache-Control": LATEST}
            )
        return bundle_response(request, bundle, LATEST if size is None else PINNED, gzipped=True)
