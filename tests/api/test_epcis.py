"""``GET /epcis/events`` over the demo ledger: EPCIS 2.0 query documents, the query parameters, pages, and a 400
problem for every parameter it does not understand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api import ApiSettings, create_app
from ledger.store.ledger import Ledger
from tests.api.conftest import problem
from tests.demos import demo_home
from tests.ledger.epcis.schemas import log_document, schema_errors
from traceledger.demo import HAM

PASSPHRASE = "demo test passphrase"
DL = "https://id.gs1.org/"
PARCEL = "00/069012300000000027"  # the demo's ham parcel from the shop to a consumer


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient[Litestar], Ledger]]:
    home, _ = demo_home(tmp_path_factory.mktemp("epcis") / "home", PASSPHRASE)
    ledger = home.open(PASSPHRASE)
    settings = ApiSettings(open_ledger=lambda: home.open(PASSPHRASE), read_rate_limit=None)
    with TestClient(create_app(settings)) as client:
        yield client, ledger
    ledger.close()


def _query(client: TestClient[Litestar], query: str = "") -> tuple[httpx.Response, list[dict[str, Any]]]:
    response = client.get(f"/epcis/events{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/ld+json"
    document = json.loads(response.content)
    assert schema_errors(document) == []
    events: list[dict[str, Any]] = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return response, events


def _ids(events: list[dict[str, Any]]) -> list[str]:
    return [e["eventID"] for e in events]


def test_every_event_of_the_log_as_an_epcis_query_document(served: tuple[TestClient[Litestar], Ledger]) -> None:
    client, ledger = served
    response, events = _query(client)
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert "link" not in response.headers
    assert _ids(events) == _ids(log_document(ledger)["epcisBody"]["eventList"])


def test_match_epc_finds_a_parcels_moves_whether_named_by_digital_link_or_urn(
    served: tuple[TestClient[Litestar], Ledger],
) -> None:
    client, _ = served
    _, by_link = _query(client, f"?MATCH_epc={DL}{PARCEL}")
    _, by_urn = _query(client, "?MATCH_epc=urn:epc:id:sscc:690123.00000000002")
    assert by_link
    assert _ids(by_link) == _ids(by_urn)
    assert all(e["epcList"] == [DL + PARCEL] for e in by_link)
    _, any_epc = _query(client, f"?MATCH_anyEPC={DL}{PARCEL}")
    assert [e for e in any_epc if e["type"] == "AggregationEvent"], "MATCH_anyEPC also finds it as the parent"
    assert set(_ids(by_link)) < set(_ids(any_epc))


def test_match_epc_finds_an_item_inside_its_parcel(served: tuple[TestClient[Litestar], Ledger]) -> None:
    client, _ = served
    _, events = _query(client, f"?MATCH_epc={DL}01/{HAM.gtin}/21/0001")
    assert [e["bizStep"] for e in events] == ["shipping"]
    _, gtin_pattern = _query(client, f"?MATCH_epc={DL}01/{HAM.gtin}")  # every serial of the GTIN
    assert len(gtin_pattern) >= 2


def test_a_lot_a_step_and_a_time_window(served: tuple[TestClient[Litestar], Ledger]) -> None:
    client, _ = served
    _, lot = _query(client, f"?MATCH_epcClass={quote(DL + HAM.path, safe='')}")
    steps = [e.get("bizStep") for e in lot]
    assert steps[:2] == ["commissioning", "inspecting"]
    assert "shipping" in steps
    _, moves = _query(client, "?EQ_bizStep=shipping|urn:epcglobal:cbv:bizstep:receiving")
    assert moves
    assert {e["bizStep"] for e in moves} == {"shipping", "receiving"}
    _, everything = _query(client)
    middle = everything[len(everything) // 2]["eventTime"]
    _, early = _query(client, f"?LT_eventTime={middle}")
    _, late = _query(client, f"?GE_eventTime={middle}")
    assert early
    assert late
    assert sorted(_ids(early) + _ids(late)) == sorted(_ids(everything))
    _, recalled = _query(client, "?EQ_disposition=recalled&eventType=ObjectEvent&EQ_action=OBSERVE")
    assert len(recalled) == 1


def test_pages_link_to_the_next(served: tuple[TestClient[Litestar], Ledger]) -> None:
    client, _ = served
    _, everything = _query(client)
    seen: list[dict[str, Any]] = []
    query = "?perPage=7&EQ_action=OBSERVE|ADD"
    for _ in range(len(everything)):
        response, events = _query(client, query)
        seen += events
        link = response.headers.get("link")
        if link is None:
            break
        assert len(events) == 7
        query = "?" + link.split("?", 1)[1].split(">", 1)[0]
    assert _ids(seen) == _ids(everything)


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("?MATCH_everything=1", "MATCH_everything"),
        ("?GE_eventTime=yesterday", "GE_eventTime"),
        ("?LT_recordTime=2026-11-29T08:00:00", "time zone"),
        ("?perPage=0", "perPage"),
        ("?perPage=5000", "perPage"),
        ("?eventType=TransactionEvent", "eventType"),
        ("?EQ_action=SHIP", "EQ_action"),
        ("?nextPageToken=abc", "nextPageToken"),
        ("?EQ_bizStep=", "EQ_bizStep"),
    ],
)
def test_a_parameter_it_does_not_understand_is_a_problem(
    served: tuple[TestClient[Litestar], Ledger], query: str, named: str
) -> None:
    client, _ = served
    body = problem(client.get(f"/epcis/events{query}"), 400, "invalid-query")
    assert named in body["detail"]
