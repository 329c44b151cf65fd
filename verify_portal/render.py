"""Pages as responses: Jinja2 templates (autoescaped) and the security headers every portal response carries.

The Content-Security-Policy allows only this origin's own script, style and connections, and no inline script or
style at all, so a review that holds ``<script>`` can only ever be text: escaped by the template, and not run
even if escaping were ever forgotten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response

from verify_portal.i18n import Texts

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/static/portal"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a scanned code's URL names the item; it is nobody else's business
}
HTML = "text/html"  # Litestar adds the charset (utf-8)
_R = TypeVar("_R", bound=Response[Any])

_ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def secured(response: _R) -> _R:
    """``response`` with the portal's security headers set (used by pages, JSON views, errors and static files)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def _switch_href(request: Request[Any, Any, Any], texts: Texts) -> str:
    """This page in the other language, keeping the rest of the query (such as ``17``)."""
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    query["lang"] = "zh" if texts.language == "en" else "en"
    return "?" + urlencode(query)


def page(template: str, request: Request[Any, Any, Any], texts: Texts, *, status: int = 200,
         headers: dict[str, str] | None = None, **context: Any) -> Response[str]:  # fmt: skip
    """An HTML page answering ``request`` in the language of ``texts`` (with a link to the other), secured."""
    html = _ENVIRONMENT.get_template(template).render(
        t=texts, lang=texts.language, static=STATIC_PATH, switch_href=_switch_href(request, texts), **context
    )
    response: Response[str] = Response(
        html, status_code=status, media_type=HTML,
        headers={"Content-Language": texts.language, "Vary": "Accept, Accept-Language", **(headers or {})},
    )  # fmt: skip
    return secured(response)
