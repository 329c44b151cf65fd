"""Scans: each view of a code is recorded coarsely, and a serialised item's scans can raise the copy warning."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from ledger.events import parse_time
from ledger.store.scans import MAX_SCANS_PER_PLACE, SCAN_BOUND_WINDOW, Scan, agent_hash, record_scan, scans_of
from tests.api.conftest import get_from
from tests.verify_portal.conftest import EDGE, HAM, ITEM, PARCEL, SALT, UNSOLD, Portal
from verify_portal.copies import (
    COPY_PLACES,
    COPY_WINDOW,
    MAX_DEVICES_AFTER_RECEIPT,
    MAX_DEVICES_PER_PLACE,
    copy_suspicion,
)
from verify_portal.i18n import Texts

ZH = Texts("zh-CN")
PHONE = "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0"


def _view(portal: Portal, path: str, city: str | None = None, client: str = EDGE, **headers: str) -> str:
    sent = {"User-Agent": PHONE, **headers, **({"X-Geo-City": quote(city)} if city else {})}
    response = get_from(portal.client, client, f"/{path}", sent)
    assert response.status_code == 200
    return response.text


def test_each_view_records_a_coarse_scan_without_personal_data(portal: Portal) -> None:
    ledger = portal.fixture.ledger
    _view(portal, ITEM.path, "曲靖市")
    _view(portal, ITEM.path, "昆明市", Accept="application/json")
    _view(portal, ITEM.path, **{"CF-IPCity": "Guangzhou"})
    scans = scans_of(ledger, ITEM.path)
    assert [s.place for s in scans] == ["曲靖市", "昆明市", "Guangzhou"]
    assert {s.agent for s in scans} == {agent_hash(SALT, PHONE)}
    assert PHONE not in repr(scans)
    assert agent_hash(b"another ledger", PHONE) != agent_hash(SALT, PHONE)


def test_the_pages_own_verification_fetch_is_not_another_scan(portal: Portal) -> None:
    _view(portal, ITEM.path, "曲靖市")
    _view(portal, ITEM.path, "曲靖市", Accept="application/json", **{"Sec-Fetch-Site": "same-origin"})
    assert len(scans_of(portal.fixture.ledger, ITEM.path)) == 1


def test_every_page_counts_its_scans_this_one_included(portal: Portal) -> None:
    for path in (HAM.path, ITEM.path, PARCEL):
        for count in (1, 2):
            assert ZH("scans_summary", count=count) in _view(portal, path), (path, count)


def test_an_unknown_code_records_nothing(portal: Portal) -> None:
    assert portal.client.get(f"/01/{HAM.gtin}/10/UNKNOWN").status_code == 404
    assert scans_of(portal.fixture.ledger, f"01/{HAM.gtin}/10/UNKNOWN") == []


@pytest.mark.parametrize(
    ("address", "place"),
    [
        ("203.0.113.9", "net:203.0.0.0/16"),
        ("2001:db8:1234:5678::1", "net:2001:db8::/32"),
        ("testclient", "net:unknown"),
    ],
)
def test_without_an_edge_city_only_the_clients_network_is_kept(portal: Portal, address: str, place: str) -> None:
    _view(portal, ITEM.path, client=address)
    (scan,) = scans_of(portal.fixture.ledger, ITEM.path)
    assert scan.place == place
    assert address not in scan.place


def test_city_and_forwarding_headers_from_anyone_but_the_edge_are_ignored(portal: Portal) -> None:
    for city in ("昆明市", "广州市", "哈尔滨市"):
        headers = {"CF-IPCity": quote(city), "X-Forwarded-For": "198.51.100.7"}
        page = _view(portal, ITEM.path, city, client="203.0.113.9", **headers)
        assert ZH("banner_copy") not in page
    assert {s.place for s in scans_of(portal.fixture.ledger, ITEM.path)} == {"net:203.0.0.0/16"}


@pytest.mark.parametrize(
    ("forwarded", "place"),
    [
        ("198.51.100.7", "net:198.51.0.0/16"),
        ("203.0.113.9, 198.51.100.7", "net:198.51.0.0/16"),  # the nearest hop the edge did not itself add
        ("198.51.100.7, 192.0.2.11", "net:198.51.0.0/16"),  # behind a second trusted proxy
    ],
)
def test_the_edge_names_the_client_it_forwards(portal: Portal, forwarded: str, place: str) -> None:
    _view(portal, ITEM.path, **{"X-Forwarded-For": forwarded})
    assert [s.place for s in scans_of(portal.fixture.ledger, ITEM.path)] == [place]


def test_one_client_varying_its_user_agent_is_not_a_crowd(portal: Portal) -> None:
    for n in range(MAX_DEVICES_AFTER_RECEIPT + 10):
        page = _view(portal, ITEM.path, client="203.0.113.9", **{"User-Agent": f"phone {n}"})
        assert ZH("banner_copy") not in page, n
    assert len(scans_of(portal.fixture.ledger, ITEM.path)) == MAX_SCANS_PER_PLACE


def test_the_scans_a_code_keeps_a_day_are_bounded(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = portal.fixture.ledger
    monkeypatch.setattr("ledger.store.scans.MAX_SCANS_PER_SUBJECT", 8)
    now = datetime.now(UTC)
    kept = [record_scan(ledger, HAM.path, f"net:10.{n}.0.0/16", "a", now + timedelta(seconds=n)) for n in range(10)]
    assert kept == [True] * 8 + [False] * 2  # a batch: any place, up to the subject's bound
    assert record_scan(ledger, HAM.path, "net:10.0.0.0/16", "a", now + SCAN_BOUND_WINDOW + timedelta(seconds=5))
    same = [record_scan(ledger, ITEM.path, "曲靖市", f"agent {n}", now + timedelta(seconds=n)) for n in range(7)]
    assert same == [True] * MAX_SCANS_PER_PLACE + [False] * (7 - MAX_SCANS_PER_PLACE)  # an item: per place
    assert record_scan(ledger, ITEM.path, "昆明市", "agent", now + timedelta(seconds=8))
    assert len(scans_of(ledger, HAM.path)) == 9


def test_an_item_seen_in_three_cities_within_a_day_may_be_a_copy(portal: Portal) -> None:
    cities = ["昆明市", "广州市", "哈尔滨市"]
    assert len(cities) == COPY_PLACES
    for seen, city in enumerate(cities, start=1):
        page = _view(portal, ITEM.path, city)
        assert (ZH("banner_copy") in page) == (seen == COPY_PLACES), seen
    page = _view(portal, ITEM.path, "广州市")
    assert ZH("banner_copy_places", places="昆明市、广州市、哈尔滨市") in page


def test_cities_more_than_a_day_apart_are_not_a_copy(portal: Portal) -> None:
    ledger = portal.fixture.ledger
    now = datetime.now(UTC)
    record_scan(ledger, ITEM.path, "昆明市", "a", now - 2 * COPY_WINDOW - timedelta(hours=1))
    record_scan(ledger, ITEM.path, "广州市", "b", now - COPY_WINDOW - timedelta(hours=1))
    record_scan(ledger, ITEM.path, "net:10.1.0.0/16", "c", now - timedelta(hours=1))  # a network is no city
    assert ZH("banner_copy") not in _view(portal, ITEM.path, "哈尔滨市")


def test_far_more_devices_after_receipt_than_a_household_has_may_be_a_copy(portal: Portal) -> None:
    ledger = portal.fixture.ledger
    received = parse_time(ledger.entry_by_event_id(portal.story.receipt).logged_at, "logged_at")
    record_scan(ledger, ITEM.path, "net:172.16.0.0/16", "before", received - timedelta(minutes=1))  # not counted
    for n in range(MAX_DEVICES_AFTER_RECEIPT - 1):  # 19 devices in 7 networks
        network = f"net:10.{n // MAX_DEVICES_PER_PLACE}.0.0/16"
        record_scan(ledger, ITEM.path, network, f"device {n}", received + timedelta(seconds=n + 1))
    record_scan(ledger, ITEM.path, "net:10.0.0.0/16", "a fourth agent", received + timedelta(minutes=1))  # no device
    for _ in range(MAX_SCANS_PER_PLACE - 1):  # the 20th device, reloading: still one device
        assert ZH("banner_copy") not in _view(portal, ITEM.path, "曲靖市")
    page = _view(portal, ITEM.path, "曲靖市", **{"User-Agent": "another phone"})
    assert ZH("banner_copy_devices", count=MAX_DEVICES_AFTER_RECEIPT + 1) in page


def test_unsold_items_and_batches_only_warn_by_places(portal: Portal) -> None:
    for n in range(MAX_DEVICES_AFTER_RECEIPT + 2):
        page = _view(portal, UNSOLD.path, "曲靖市", **{"User-Agent": f"phone {n}"})
        assert ZH("banner_copy") not in page  # never received: no count
    for city in ("昆明市", "广州市", "哈尔滨市"):
        assert ZH("banner_copy") not in _view(portal, HAM.path, city)  # a batch code is on many packs


def test_scans_are_not_views_and_survive_reindex(portal: Portal) -> None:
    ledger = portal.fixture.ledger
    views = ledger.views()
    _view(portal, ITEM.path, "曲靖市")
    assert ledger.views() == views
    ledger.reindex()
    assert ledger.views() == views
    assert [s.place for s in scans_of(ledger, ITEM.path)] == ["曲靖市"]


def _most_places_in_a_window(scans: list[Scan]) -> tuple[str, ...]:
    """The copy rule read literally: every window that ends at a named scan, all its named places, first seen first."""
    named = [s for s in scans if not s.place.startswith("net:")]
    best: tuple[str, ...] = ()
    for end in named:
        window = [s.place for s in named if timedelta(0) <= end.scanned_at - s.scanned_at <= COPY_WINDOW]
        best = max(best, tuple(dict.fromkeys(window)), key=len)
    return best


@pytest.mark.parametrize("seed", range(20))
def test_the_places_of_a_copy_are_those_of_its_busiest_window(seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    cities = ["昆明市", "广州市", "哈尔滨市", "曲靖市", "net:10.0.0.0/16"][: rng.randint(2, 5)]
    moments = sorted(start + timedelta(minutes=rng.randrange(60 * 24 * 5)) for _ in range(rng.randint(1, 120)))
    scans = [Scan(at, rng.choice(cities), "agent") for at in moments]
    expected = _most_places_in_a_window(scans)
    suspicion = copy_suspicion(scans, None)
    assert (suspicion.places if suspicion else ()) == (expected if len(expected) >= COPY_PLACES else ())
