"""Fixtures for ledgers in temporary homes, and builders of valid test events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ledger.events import sign_event
from ledger.events.builders import Registrar, registration_payload
from ledger.store.ledger import Ledger
from ledger.store.tables import metadata
from signer.keys import SigningKey
from traceledger.settings import Home

PASSPHRASE = "test passphrase"
ORIGIN = "trace.example.org/log"
REGISTRAR_ID = "91110000600037341L"


def make_uscc(n: int) -> str:
    """The n-th valid Unified Social Credit Code of a test series (GB 32100-2015 check character)."""
    from stdnum.cn import uscc

    body = f"91530300MA{n:07d}"
    return body + str(uscc.calc_check_digit(body))


@dataclass
class LedgerFixture:
    home: Home
    ledger: Ledger
    registrar: SigningKey

    def registration(self, n: int, key: SigningKey | None = None) -> dict[str, Any]:
        """A valid envelope registering the n-th test merchant."""
        key = key or SigningKey.from_seed(n.to_bytes(32, "big"))
        payload = registration_payload(self.registrar, make_uscc(n), f"测试商户 {n}", ["merchant"], [key.public_key])
        return sign_event(payload, [self.registrar]).to_json()

    def table_snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, to prove that a rejected request stored nothing."""
        with self.ledger.engine.connect() as conn:
            return {
                table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
                for table in metadata.sorted_tables
            }


def create_ledger(path: Path, database_url: str | None = None) -> LedgerFixture:
    registrar = SigningKey.from_seed(b"registrar".ljust(32, b"\0"))
    home = Home(path, database_url)
    ledger = home.create(ORIGIN, [Registrar(REGISTRAR_ID, "测试市场监督管理局", (registrar.public_key,))], PASSPHRASE)
    return LedgerFixture(home, ledger, registrar)


@pytest.fixture
def ledger_fixture(tmp_path: Path, database_url: str | None) -> Iterator[LedgerFixture]:
    fixture = create_ledger(tmp_path / "home", database_url)
    yield fixture
    fixture.ledger.close()
