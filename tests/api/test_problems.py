"""Problem details: the catalogue and its pages, and Litestar's own refusals (405, 413, 429, 500) as problems."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import pytest
from litestar.testing import TestClient

import ledger.errors
from api.app import create_app
from api.catalogue import catalogue
from api.errors import ApiError
from api.settings import ApiSettings
from ledger.errors import LedgerStateError
from ledger.store.ledger import Ledger
from signer.errors import TraceledgerError
from tests.api.conftest import PROBLEM_JSON, Api, make_api, problem
from tests.ledger.conftest import PASSPHRASE, create_ledger


def _classes(root: type[TraceledgerError]) -> list[type[TraceledgerError]]:
    found = [root]
    for sub in root.__subclasses__():
        found += _classes(sub)
    return found


def test_every_error_class_has_its_own_slug_and_page(api: Api) -> None:
    ours = [c for c in _classes(TraceledgerError) if c.__module__.split(".")[0] in ("signer", "ledger", "api")]
    assert len({c.slug for c in ours}) == len(ours), "two error classes share a slug"
    assert set(catalogue()) == {c.slug for c in ours}
    assert {c.slug for c in _classes(ledger.errors.LedgerError)} <= set(catalogue())
    for cls in ours:
        response = api.client.get(f"/problems/{cls.slug}")
        assert response.status_code == 200, cls
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["content-security-policy"] == "default-src 'none'"
        assert f"<h1>{html.escape(cls.title)}</h1>" in response.text
        assert f"HTTP status {cls.status}" in response.text


def test_a_page_explains_from_the_error_tree(api: Api) -> None:
    page = api.client.get("/problems/envelope-too-large").text
    assert "Over 64 KiB." in page  # its line in the tree drawn in ledger/errors.py
    assert 'href="/problems/invalid-event"' in page  # a kind of: its parents
    fork = api.client.get("/problems/custody-fork").text
    assert 'href="/problems/rule-conflict"' in fork
    assert "409" in fork
    index = api.client.get("/problems").text
    assert all(f'href="/problems/{slug}"' in index for slug in catalogue())


def test_an_unknown_problem_page_is_a_404_problem(api: Api) -> None:
    problem(api.client.get("/problems/<script>"), 404, "not-found")


def test_api_errors_have_pages(api: Api) -> None:
    for cls in _classes(ApiError):
        assert api.client.get(f"/problems/{cls.slug}").status_code == 200


def test_unknown_routes_and_methods_are_problems(api: Api) -> None:
    body = problem(api.client.get("/v2/nothing"), 404, "not-found")
    assert body["instance"] == "/v2/nothing"
    response = api.client.delete("/v1/events")
    body = problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["allow"]
    assert "DELETE" in body["detail"]
    problem(api.client.post("/checkpoint"), 405, "method-not-allowed")


def test_reads_and_writes_are_rate_limited_each_on_its_own_budget(tmp_path: Path) -> None:
    fixture = create_ledger(tmp_path / "home")
    envelope = fixture.registration(1)
    try:
        with TestClient(make_api(fixture, read_rate_limit=("minute", 3), write_rate_limit=("minute", 2))) as client:
            for _ in range(3):
                assert client.get("/checkpoint").status_code == 200
            response = client.get("/v1/proofs/inclusion?index=0&size=1")
            body = problem(response, 429, "rate-limited")
            assert body["instance"] == "/v1/proofs/inclusion"
            assert response.headers["ratelimit-remaining"] == "0"
            assert client.post("/v1/events", json=envelope).status_code == 201
            assert client.post("/v1/events", json=envelope).status_code == 200  # a replay counts too
            before = fixture.table_snapshot()
            response = client.post("/v1/events", json=fixture.registration(2))
            body = problem(response, 429, "rate-limited")
            assert fixture.table_snapshot() == before
            assert body["instance"] == "/v1/events"
            assert response.headers["ratelimit-limit"] == "2"
            problem(client.put("/v1/attachments/sha256:" + "0" * 64, content=b"x"), 429, "rate-limited")
    finally:
        fixture.ledger.close()


@pytest.mark.parametrize("error", [RuntimeError("secret internals"), LedgerStateError("secret internals")])
def test_a_server_failure_is_a_generic_500_logged_on_the_server(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, error: Exception
) -> None:
    def fail(self: Ledger, size: int | None = None) -> None:
        raise error

    monkeypatch.setattr(Ledger, "checkpoint", fail)
    with caplog.at_level(logging.ERROR, logger="traceledger.api"):
        response = api.client.get("/checkpoint")
    body = problem(response, 500, "internal-error")
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "secret" not in response.text
    assert body["detail"] == "the server could not answer this request; the failure is logged on the server"
    (record,) = caplog.records
    assert record.exc_info is not None
    assert record.exc_info[1] is error


def _ledger_problems() -> list[type[TraceledgerError]]:
    """Every error the ledger or signer can raise at a client (status below 500), each a problem type."""
    return [
        c for c in _classes(TraceledgerError)
        if c.__module__ in ("ledger.errors", "signer.errors") and c.status < 500
    ]  # fmt: skip


@pytest.mark.parametrize("error", _ledger_problems(), ids=lambda c: c.slug)
def test_every_ledger_problem_type_answers_as_problem_json(tmp_path: Path, error: type[TraceledgerError]) -> None:
    """Whatever the ledger refuses a submission with reaches the client as its own type, status and detail.

    Each rule raises its own error for real in tests/scenarios/test_rules.py; here the ledger behind the API is made
    to refuse with each type in turn, so the HTTP mapping is checked for all of them, batch position included.
    """
    fixture = create_ledger(tmp_path / "home")
    real = fixture.home.open

    class Refusing(Ledger):
        def append(self, submissions: object) -> list[object]:  # type: ignore[override]
            raise (
                error(f"refused with {error.__name__}").at(1)
                if issubclass(error, ledger.errors.LedgerError)
                else (error(f"refused with {error.__name__}"))
            )

    def open_refusing() -> Ledger:
        opened = real(PASSPHRASE)
        opened.__class__ = Refusing
        return opened

    app = create_app(ApiSettings(open_ledger=open_refusing, read_rate_limit=None))
    try:
        with TestClient(app) as client:
            before = fixture.table_snapshot()
            response = client.post("/v1/events", json=[{"payloadType": "x"}, {"payloadType": "y"}])
            body = problem(response, error.status, error.slug)
            assert error.__name__ in body["detail"]
            if issubclass(error, ledger.errors.LedgerError):
                assert body["event_index"] == 1
            assert fixture.table_snapshot() == before
    finally:
        fixture.ledger.close()
