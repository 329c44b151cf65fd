"""Forwarding headers are believed from the configured proxies only: the rate limits count the client they name
when a trusted proxy sends them, and the connecting address otherwise."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from litestar.testing import TestClient

from tests.api.conftest import get_from, make_api, problem
from tests.ledger.conftest import create_ledger

EDGE = "192.0.2.10"


def test_rate_limits_count_the_forwarded_client_only_behind_a_trusted_proxy(tmp_path: Path) -> None:
    fixture = create_ledger(tmp_path / "home")
    app = make_api(fixture, read_rate_limit=("minute", 2), trusted_proxies=[ipaddress.ip_network("192.0.2.0/28")])
    try:
        with TestClient(app) as client:
            for n in range(2):  # a client naming another address each time is still itself
                assert get_from(client, "203.0.113.9", "/checkpoint", {"X-Forwarded-For": f"10.0.0.{n}"}).is_success
            problem(
                get_from(client, "203.0.113.9", "/checkpoint", {"X-Forwarded-For": "10.0.0.9"}), 429, "rate-limited"
            )
            first, second = {"X-Forwarded-For": "198.51.100.1"}, {"X-Forwarded-For": "198.51.100.2"}
            for _ in range(2):
                assert get_from(client, EDGE, "/checkpoint", first).is_success
            assert get_from(client, EDGE, "/checkpoint", second).is_success  # another client behind the edge
            problem(get_from(client, EDGE, "/checkpoint", first), 429, "rate-limited")
    finally:
        fixture.ledger.close()
