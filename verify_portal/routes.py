"""The portal's routes: GS1 resolver-style product and parcel pages, the start page and the static files.

``/01/<gtin>/10/<lot>[/21/<serial>]`` and ``/00/<sscc>`` (the URIs that QR codes hold, DESIGN §3) answer an HTML
page in Chinese (English with ``?lang=en`` or an Accept-Language preferring it), or, with ``Accept:
application/json``, the history bundle exactly as ``/v1/subjects/...`` serves it. A ``Link`` header offers both,
with the link types of the GS1 Web Vocabulary that a GS1-Conformant resolver uses (``gs1:pip``, the product
information page, and ``gs1:traceability``), written as full URIs as RFC 8288 asks of extension relation types.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import unquote

from litestar import Request, Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from api.bundles import served_bundle, snapshot_bundle
from api.controllers.subjects import bundle_response
from api.paths import raw_path
from api.problems import PROBLEM_MEDIA_TYPE, problem_for, problem_response
from api.proxies import via_trusted_proxy
from api.transport import is_head
from ledger.errors import InvalidIdentifier, NotFound
from ledger.history import subject_history
from ledger.identifiers import expiry_date, parse_digital_link
from ledger.store.cosignatures import cosigned_checkpoint
from ledger.store.ledger import Ledger
from ledger.store.scans import MAX_PLACE_LENGTH, NETWORK_PLACE_PREFIX, Scan, agent_hash, record_scan
from verify_portal.consumer import ConsumerController
from verify_portal.credit_routes import actor, disclosure_page
from verify_portal.i18n import Lang, Texts, negotiate_language
from verify_portal.page import subject_page
from verify_portal.render import STATIC, STATIC_PATH, page, secured

GS1_PIP = "https://gs1.org/voc/pip"
GS1_TRACEABILITY = "https://gs1.org/voc/traceability"
JSON = "application/json"
# Each view of a code is a scan, so neither browsers nor shared caches may answer one from a copy.
NO_STORE = "no-store"
# Ten minutes: a consumer scanning a second product loads nothing again; a fixed script reaches everyone soon.
STATIC_MAX_AGE = 600
_VALIDATION_HOST = "https://portal.invalid"  # Digital Link parsing wants a host; only path and query matter


@dataclass(frozen=True)
class PortalSettings:
    """What the composition root decides for the portal: the per-ledger salt of user-agent hashes, and which
    request headers an edge proxy sets to a coarse city (believed only from a trusted proxy, ``api.proxies``)."""

    scan_salt: bytes
    place_headers: Sequence[str] = ("x-geo-city", "cf-ipcity")


Expiry = Annotated[str | None, QueryParameter(name="17", description="expiry date YYMMDD (GS1 AI 17)")]


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.accept.best_match(["text/html", JSON], default="text/html") == JSON


def _texts(request: Request[Any, Any, Any]) -> Texts:
    return Texts(negotiate_language(request.query_params, request))


def _place(request: Request[Any, Any, Any], settings: PortalSettings) -> str:
    """A city named by a trusted edge proxy (``Kunming``, or UTF-8 percent-encoded), else the client's network
    (/16 for IPv4, /32 for IPv6): never the address. Anyone else's city header is the sender's own claim."""
    for header in settings.place_headers if via_trusted_proxy(request) else ():
        value = unquote(request.headers.get(header, "")).strip()  # a non-ASCII name arrives percent-encoded
        if value and value.isprintable():
            return value
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return NETWORK_PLACE_PREFIX + "unknown"
    prefix = 16 if address.version == 4 else 32
    return NETWORK_PLACE_PREFIX + str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _is_scan(request: Request[Any, Any, Any]) -> bool:
    """Whether someone is shown the code's history: not a HEAD request (a cache or a link checker), nor the page's
    own verifier fetching the bundle (part of a view already counted)."""
    return not is_head(request) and request.headers.get("sec-fetch-site") != "same-origin"


def _links(subject: str) -> str:
    here = f"/{subject}"
    return ", ".join([
        f'<{here}>; rel="{GS1_PIP}"; type="text/html"; hreflang="zh-CN"',
        f'<{here}?lang=en>; rel="{GS1_PIP}"; type="text/html"; hreflang="en"',
        f'</v1/subjects/{subject}>; rel="{GS1_TRACEABILITY}"; type="{JSON}"',
        f'<{here}>; rel="alternate"; type="{JSON}"',
    ])  # fmt: skip


def _label_date(path: str, expiry: str | None) -> date | None:
    """The label's expiry (``?17=YYMMDD``), validated with the subject as a Digital Link."""
    if expiry is None:
        return None
    link = parse_digital_link(f"{_VALIDATION_HOST}/{path}?17={expiry}")
    return expiry_date(link.expiry) if link.expiry else None


def _headers(subject: str) -> dict[str, str]:
    return {"Link": _links(subject), "Cache-Control": NO_STORE, "Vary": "Accept, Accept-Language"}


def _record_scan(request: Request[Any, Any, Any], ledger: Ledger, settings: PortalSettings, subject: str
                 ) -> Scan | None:  # fmt: skip
    """Record this view as a scan of ``subject``; the scan, if the day's bounds let it be stored."""
    scan = Scan(datetime.now(UTC), _place(request, settings)[:MAX_PLACE_LENGTH],
                agent_hash(settings.scan_salt, request.headers.get("user-agent", "")))  # fmt: skip
    return scan if record_scan(ledger, subject, scan.place, scan.agent, scan.scanned_at) else None


def _subject(request: Request[Any, Any, Any], ledger: Ledger, settings: PortalSettings,
             expiry: str | None) -> Response[Any]:  # fmt: skip
    path = raw_path(request).removeprefix("/")
    label_date = _label_date(path, expiry)
    if _wants_json(request):
        bundle = served_bundle(ledger, path)  # names the canonical subject
        if _is_scan(request):
            _record_scan(request, ledger, settings, bundle.subject)
        return secured(bundle_response(request, bundle, NO_STORE, _headers(bundle.subject)))
    texts = _texts(request)
    label = None if label_date is None else (label_date, expiry or "")
    with ledger.snapshot() as snapshot:  # the page and the bundle it names read one state of the log
        history = subject_history(snapshot, path)
        subject = history.subject.path
        # A scan of a known code only; stored beside the snapshot, which does not see it: the page adds it.
        scan = None if is_head(request) else _record_scan(request, ledger, settings, subject)
        checkpoint = cosigned_checkpoint(snapshot)
        bundle = snapshot_bundle(snapshot, history, checkpoint)
        view = subject_page(snapshot, history, checkpoint, texts, label, scan)
    return page(
        "subject.html", request, texts, headers=_headers(subject), view=view, vkey=ledger.log_verifier.vkey,
        origin=ledger.origin, bundle_url=bundle.pinned_url,
    )  # fmt: skip


@get("/01/{path:path}", sync_to_thread=True, include_in_schema=False)
def product(
    path: FromPath[str],
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    portal: NamedDependency[PortalSettings],
    expiry: Expiry = None,
    lang: Lang = None,
) -> Response[Any]:
    """A batch or item: ``/01/<gtin>/10/<lot>[/21/<serial>][?17=YYMMDD]``."""
    return _subject(request, ledger, portal, expiry)


@get("/00/{path:path}", sync_to_thread=True, include_in_schema=False)
def parcel(
    path: FromPath[str],
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    portal: NamedDependency[PortalSettings],
    lang: Lang = None,
) -> Response[Any]:
    """A parcel: ``/00/<sscc>``."""
    return _subject(request, ledger, portal, None)


@get("/", sync_to_thread=False, include_in_schema=False)
def landing(request: Request[Any, Any, Any], lang: Lang = None) -> Response[str]:
    """How to scan a code, in the visitor's language."""
    return page("landing.html", request, _texts(request))


def _error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Problem+json for a JSON client; otherwise a page a consumer can act on (the problem logged if ours)."""
    problem = problem_for(exc, request)
    if _wants_json(request):
        return secured(Response(problem, status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE))
    texts = _texts(request)
    if isinstance(exc, NotFound):
        title, text = texts("not_found_title"), texts("not_found_text")
    elif isinstance(exc, InvalidIdentifier):
        title, text = texts("bad_code_title"), texts("bad_code_text", detail=problem.detail)
    else:
        title, text = problem.title, problem.detail
    return page("problem.html", request, texts, status=problem.status, title=title, text=text)


def portal_route_handlers(settings: PortalSettings) -> list[ControllerRouterHandler]:
    """The portal's routes, to pass as ``ApiSettings(extra_route_handlers=...)`` (the app injects ``ledger``)."""
    pages = Router(
        path="/",
        route_handlers=[landing, product, parcel, ConsumerController, actor, disclosure_page],
        dependencies={"portal": Provide(lambda: settings, sync_to_thread=False, use_cache=True)},
        exception_handlers={Exception: _error},
        include_in_schema=False,
    )
    static = create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC],
        name="portal-static",
        cache_control=CacheControlHeader(public=True, max_age=STATIC_MAX_AGE),
        after_request=_secure_static,
        exception_handlers={Exception: _static_error},
    )
    return [pages, static]


async def _secure_static(response: Response[Any]) -> Response[Any]:
    return secured(response)


def _static_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return secured(problem_response(request, exc))
