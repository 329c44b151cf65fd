"""Every portal response carries the strict Content-Security-Policy and its companions, errors and files included."""

from __future__ import annotations

import re

import pytest

from tests.verify_portal.conftest import HAM, ITEM, PARCEL, Portal
from verify_portal.render import CONTENT_SECURITY_POLICY
from verify_portal.routes import STATIC_MAX_AGE

JSON = {"Accept": "application/json"}


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/", {}, 200),
        ("/?lang=en", {}, 200),
        (f"/{ITEM.path}", {}, 200),
        (f"/{ITEM.path}", JSON, 200),
        (f"/{HAM.path}?lang=en", {}, 200),
        (f"/{PARCEL}", {}, 200),
        (f"/01/{HAM.gtin}/10/UNKNOWN", {}, 404),
        (f"/01/{HAM.gtin}/10/UNKNOWN", JSON, 404),
        ("/01/123", {}, 400),
        (f"/{HAM.path}?17=1", JSON, 400),
        ("/static/portal/portal.css", {}, 200),
        ("/static/portal/icon.svg", {}, 200),
        ("/static/portal/missing.js", {}, 404),
        ("/consumer", {}, 200),
    ],
)
def test_every_portal_response_has_the_security_headers(
    portal: Portal, path: str, headers: dict[str, str], status: int
) -> None:
    response = portal.client.get(path, headers=headers)
    assert response.status_code == status
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_the_policy_forbids_inline_code_and_framing() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"


def test_pages_hold_no_inline_script_or_style(portal: Portal) -> None:
    for path in ("/", f"/{ITEM.path}", f"/{HAM.path}", f"/{PARCEL}", f"/01/{HAM.gtin}/10/UNKNOWN"):
        page = portal.client.get(path).text
        assert "<style" not in page
        assert " style=" not in page
        assert re.search(r"<[^>]*\son[a-z]+=", page) is None  # no event handler attributes
        scripts = [part.split(">", 1)[0] for part in page.split("<script")[1:]]
        assert all(' src="/static/portal/' in attributes for attributes in scripts), scripts


def test_static_files_are_cacheable_and_typed(portal: Portal) -> None:
    css = portal.client.get("/static/portal/portal.css")
    assert css.headers["content-type"].startswith("text/css")
    assert set(css.headers["cache-control"].split(", ")) == {"public", f"max-age={STATIC_MAX_AGE}"}
    assert css.headers.get("etag") or css.headers.get("last-modified")


def test_pages_and_json_views_are_never_cached(portal: Portal) -> None:
    for headers in ({}, JSON):
        assert portal.client.get(f"/{ITEM.path}", headers=headers).headers["cache-control"] == "no-store"
