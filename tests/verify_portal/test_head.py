"""HEAD wherever GET (RFC 9110 §9.3.2): every GET route of the served app, API, tiles and portal alike, answers
HEAD with the status and headers its GET answers, and no body; a HEAD of a product page is no scan."""

from __future__ import annotations

from litestar.routes import HTTPRoute

from ledger.store.scans import scan_count
from tests.verify_portal.conftest import HAM, ITEM, PARCEL, Portal
from verify_portal.routes import JSON

KEY = "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="  # a 32-byte public key in base64


def _examples(portal: Portal) -> dict[str, list[str]]:
    """For each GET route of the app, paths that it answers (successfully, and with a problem)."""
    event_id = portal.story.review
    return {
        "/v1/events/{event_id:str}": [f"/v1/events/{event_id}", "/v1/events/" + "0" * 64],
        "/v1/subjects/{path:path}": [f"/v1/subjects/{HAM.path}", "/v1/subjects/01/123"],
        "/v1/trace/{path:path}": [f"/v1/trace/{HAM.path}", "/v1/trace/01/123", f"/v1/trace/{HAM.path}?depth=-1"],
        "/v1/actors/{actor_id:str}": [f"/v1/actors/{portal.story.producer.id}", "/v1/actors/nobody"],
        "/v1/actors/{actor_id:str}/record": [f"/v1/actors/{portal.story.producer.id}/record", "/v1/actors/x/record"],
        "/v1/sanctions": ["/v1/sanctions", "/v1/sanctions?list=black", "/v1/sanctions?list=grey"],
        "/actor/{actor_id:str}": [f"/actor/{portal.story.producer.id}", "/actor/nobody"],
        "/disclosure": ["/disclosure", "/disclosure?list=red&lang=en"],
        "/v1/risks": ["/v1/risks", "/v1/risks?status=open", "/v1/risks?status=closed"],
        "/v1/complaints": ["/v1/complaints", "/v1/complaints?channel=12315", "/v1/complaints?status=closed"],
        "/v1/ratings/{party:str}": [f"/v1/ratings/{portal.story.courier.id}", "/v1/ratings/nobody"],
        "/v1/attachments/{digest:str}": [f"/v1/attachments/{portal.story.review_digest}"],
        "/v1/attachments/{digest:str}/commitment": [f"/v1/attachments/{portal.story.review_digest}/commitment"],
        "/v1/proofs/consistency": ["/v1/proofs/consistency?old=1&new=2", "/v1/proofs/consistency?old=2"],
        "/v1/proofs/inclusion": ["/v1/proofs/inclusion?index=0&size=2"],
        "/epcis/events": ["/epcis/events", "/epcis/events?perPage=0"],
        "/checkpoint": ["/checkpoint"],
        "/tile/entries/{index:path}": ["/tile/entries/000.p/2", "/tile/entries/999"],
        "/tile/{level:str}/{index:path}": ["/tile/0/000.p/2", "/tile/1/000"],
        "/problems": ["/problems"],
        "/problems/{name:str}": ["/problems/not-found", "/problems/nothing"],
        "/v1/ping": ["/v1/ping"],
        "/": ["/", "/?lang=en"],
        "/01/{path:path}": [f"/{ITEM.path}", f"/{HAM.path}?lang=en", f"/01/{HAM.gtin}/10/UNKNOWN", "/01/123"],
        "/00/{path:path}": [f"/{PARCEL}"],
        "/consumer": ["/consumer"],
        "/consumer/key.svg": [f"/consumer/key.svg?key={KEY}", "/consumer/key.svg?key=short"],
        "/static/portal/{file_path:path}": ["/static/portal/verify.js", "/static/portal/missing.js"],
        "/schema": ["/schema"],
        "/schema/openapi.json": ["/schema/openapi.json"],
        "/schema/{path:str}": ["/schema/swagger"],
    }


def test_every_get_route_answers_head_with_the_same_headers_and_no_body(portal: Portal) -> None:
    app = portal.client.app
    examples = _examples(portal)
    get_routes = {r.path for r in app.routes if isinstance(r, HTTPRoute) and "GET" in r.methods}
    assert get_routes == set(examples), "every GET route needs examples here"
    statuses: set[int] = set()
    for path in (p for paths in examples.values() for p in paths):
        for accept in ({}, {"Accept": JSON}):
            got = portal.client.get(path, headers=accept)
            head = portal.client.head(path, headers=accept)
            assert head.status_code == got.status_code, (path, accept, head.text)
            assert dict(head.headers) == dict(got.headers), (path, accept)
            assert head.content == b""
            statuses.add(got.status_code)
    assert {200, 400, 404} <= statuses


def test_405_and_options_name_head_beside_get(portal: Portal) -> None:
    refused = portal.client.delete("/checkpoint")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD, OPTIONS"
    assert "GET, HEAD, OPTIONS" in refused.json()["detail"]
    assert portal.client.options("/checkpoint").headers["allow"] == "GET, HEAD, OPTIONS"
    assert set(portal.client.delete("/v1/events").headers["allow"].split(", ")) == {"OPTIONS", "POST"}  # no GET


def test_a_head_request_is_no_scan(portal: Portal) -> None:
    before = scan_count(portal.fixture.ledger, ITEM.path)
    for accept in ({}, {"Accept": JSON}):
        assert portal.client.head(f"/{ITEM.path}", headers=accept).status_code == 200
    assert scan_count(portal.fixture.ledger, ITEM.path) == before
    assert portal.client.get(f"/{ITEM.path}").status_code == 200
    assert scan_count(portal.fixture.ledger, ITEM.path) == before + 1
