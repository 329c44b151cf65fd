"""``PUT`` and ``GET /v1/attachments/{digest}``: content against a logged commitment, problems for everything else."""

from __future__ import annotations

import hashlib
import json

from ledger.events import seal_attachment
from ledger.store.attachments import attachment_text, erasure_of
from tests.api.conftest import Api, make_api, problem
from tests.ledger.store.test_attachments import REVIEW_TEXT, TEXT, reviewed

OCTET_STREAM = {"Content-Type": "application/octet-stream"}


def _url(digest: str) -> str:
    return f"/v1/attachments/{digest}"


def test_an_upload_is_stored_once_and_served_with_its_media_type(api: Api) -> None:
    sealed, index = reviewed(api.world)
    digest = sealed.ref.digest
    missing = api.client.get(_url(digest))
    assert "has not been uploaded" in problem(missing, 404, "not-found")["detail"]

    created = api.client.put(_url(digest), content=sealed.stored, headers=OCTET_STREAM)
    assert created.status_code == 201, created.text
    stored = {"digest": digest, "media_type": TEXT, "size": sealed.ref.size, "leaf_index": index}
    assert created.json() == stored
    again = api.client.put(_url(digest), content=sealed.stored, headers=OCTET_STREAM)
    assert (again.status_code, again.json()) == (200, stored)

    served = api.client.get(_url(digest))
    assert served.status_code == 200
    assert served.content == sealed.stored
    assert "sha256:" + hashlib.sha256(served.content).hexdigest() == digest  # what a reader checks
    assert served.content[16:].decode() == REVIEW_TEXT
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["x-media-type"] == TEXT
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"] == "no-cache"
    assert attachment_text(api.fixture.ledger, digest) == REVIEW_TEXT


def test_uploads_that_match_no_commitment_are_problems_and_store_nothing(api: Api) -> None:
    sealed, _ = reviewed(api.world)
    digest = sealed.ref.digest
    other = seal_attachment(REVIEW_TEXT.encode(), TEXT)
    with api.unchanged():
        unknown = api.client.put(_url(other.ref.digest), content=other.stored, headers=OCTET_STREAM)
        assert "no logged entry commits" in problem(unknown, 404, "not-found")["detail"]
        forged = api.client.put(_url(digest), content=other.stored, headers=OCTET_STREAM)
        assert "does not match its digest" in problem(forged, 400, "invalid-attachment")["detail"]
        short = api.client.put(_url(digest), content=sealed.stored[:-1], headers=OCTET_STREAM)
        assert "size differs" in problem(short, 400, "invalid-attachment")["detail"]
        for malformed in ("sha256:" + "A" * 64, "sha256:abc", digest.removeprefix("sha256:"), "md5:00"):
            answer = api.client.put(_url(malformed), content=sealed.stored, headers=OCTET_STREAM)
            assert "digest" in problem(answer, 400, "invalid-request")["detail"]
            problem(api.client.get(_url(malformed)), 400, "invalid-request")
        problem(api.client.get(_url("sha256:" + "0" * 64)), 404, "not-found")


def test_an_erased_attachment_is_gone_for_readers_and_uploaders(api: Api) -> None:
    sealed, index = reviewed(api.world)
    digest = sealed.ref.digest
    assert api.client.put(_url(digest), content=sealed.stored, headers=OCTET_STREAM).status_code == 201
    review = api.fixture.ledger.entry(index)
    committed = api.client.get(f"{_url(digest)}/commitment").json()
    assert committed == {
        "digest": digest, "media_type": TEXT, "size": len(REVIEW_TEXT.encode()), "leaf_index": index,
        "event_id": review.event_id, "subject": review.subject, "status": "stored", "erased_at": None,
    }  # fmt: skip
    # Erasing is posting the signed attachment.erasure like any event; it follows the review, about its subject.
    erasure = erasure_of(api.fixture.ledger, api.fixture.registrar, digest, "unlawful_content")
    posted = api.client.post("/v1/events", json=erasure)
    assert posted.status_code == 201, posted.text
    logged = api.fixture.ledger.entry(posted.json()["entries"][0]["index"])
    removed = api.client.get(f"{_url(digest)}/commitment").json()
    assert (removed["status"], removed["erased_at"]) == ("removed", logged.logged_at)
    with api.unchanged():
        again = erasure_of(api.fixture.ledger, api.fixture.registrar, digest, "court_order")
        problem(api.client.post("/v1/events", json=again), 409, "already-erased")
    problem(api.client.get(_url("sha256:" + "0" * 64) + "/commitment"), 404, "not-found")
    gone = problem(api.client.get(_url(digest)), 410, "attachment-removed")
    assert digest in gone["detail"]
    with api.unchanged():
        problem(api.client.put(_url(digest), content=sealed.stored, headers=OCTET_STREAM), 410, "attachment-removed")
    page = api.client.get("/problems/attachment-removed")
    assert page.status_code == 200
    assert "410" in page.text


def test_an_upload_over_the_request_limit_is_refused(api: Api) -> None:
    from litestar.testing import TestClient

    sealed, _ = reviewed(api.world)
    with TestClient(make_api(api.fixture, max_request_bytes=32, read_rate_limit=None)) as client:
        answer = client.put(_url(sealed.ref.digest), content=sealed.stored, headers=OCTET_STREAM)
        problem(answer, 413, "request-too-large")
        assert json.loads(client.get(_url(sealed.ref.digest)).content)["status"] == 404
