"""A small world of registered actors over a real ledger, for telling whole stories through the public API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from stdnum import ean

from ledger.errors import LedgerError
from ledger.events import EventPayload, sign_event
from ledger.events.builders import (
    Content,
    Licence,
    dispatch_payload,
    handoff_payload,
    production_payload,
    registration_payload,
    signature_payload,
)
from ledger.store.ledger import AppendResult
from signer.keys import SigningKey
from tests.ledger.conftest import LedgerFixture, create_ledger, make_uscc
from tests.ledger.epcis.schemas import assert_valid_export, log_document

VALID_UNTIL = "2030-12-31T00:00:00Z"


def gtin(prefix: str, item: int) -> str:
    """A GTIN-14 (indicator 0) under a GS1 company prefix."""
    body = "0" + prefix + str(item).zfill(12 - len(prefix))
    return body + ean.calc_check_digit(body)


def sscc(serial: int, prefix: str = "690123") -> str:
    """The subject path of a parcel: an SSCC-18 (extension digit 0) under a GS1 company prefix."""
    body = "0" + prefix + str(serial).zfill(16 - len(prefix))
    return "00/" + body + ean.calc_check_digit(body)


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    key: SigningKey

    @property
    def subject(self) -> str:
        return f"actor/{self.id}"


class World:
    def __init__(self, fixture: LedgerFixture) -> None:
        self.fixture = fixture
        self.ledger = fixture.ledger
        self.registrar = fixture.registrar
        self._next = 100

    def append(self, payload: EventPayload, *keys: SigningKey) -> AppendResult:
        signers = keys or (self._key_of(payload),)
        return self.ledger.append([sign_event(payload, list(signers)).to_json()])[0]

    def _key_of(self, payload: EventPayload) -> SigningKey:
        raise AssertionError(f"pass the signing key for {payload.kind}")

    def register(self, name: str, *roles: str, licences: tuple[str, ...] = (), prefixes: tuple[str, ...] = ()) -> Party:
        self._next += 1
        party = Party(make_uscc(self._next), name, SigningKey.generate())
        payload = registration_payload(
            self.registrar, party.id, name, roles, [party.key.public_key],
            licences=[Licence(t, f"{t.upper()}-{self._next}", VALID_UNTIL) for t in licences],
            gs1_prefixes=prefixes,
        )  # fmt: skip
        self.append(payload, self.registrar)
        return party

    def produce(
        self, producer: Party, gtin_: str, lot: str, quantity: int, *, category: str = "food",
        expiry: str | None = None, product: str = "宣威火腿", inputs: tuple[str, ...] = (),
    ) -> str:  # fmt: skip
        payload = production_payload(
            producer.key, gtin_, lot, product=product, category=category, quantity=quantity, unit="件",
            place="云南省曲靖市宣威市", expiry=expiry, inputs=inputs,
        )  # fmt: skip
        return self.append(payload, producer.key).event_id

    def batch(self, path: str) -> dict[str, object]:
        row = self.ledger.view("batches", path)
        assert row is not None
        return row

    def parcel(self, path: str) -> dict[str, object]:
        row = self.ledger.view("parcels", path)
        assert row is not None
        return row

    def dispatch_payload(
        self, sender: Party, parcel: str, contents: list[tuple[str, int]], *, to: Party | None = None,
        consignee: SigningKey | None = None,
    ) -> EventPayload:  # fmt: skip
        parents = sorted({str(self.batch(b)["production"]) for b, _ in contents})
        return dispatch_payload(
            sender.key, parcel, [Content(b, q) for b, q in contents], parents, location="曲靖市麒麟区",
            to=to.id if to else None, consignee_key=consignee.public_key if consignee else None,
        )  # fmt: skip

    def dispatch(self, sender: Party, parcel: str, contents: list[tuple[str, int]], **kw: object) -> str:
        return self.append(self.dispatch_payload(sender, parcel, contents, **kw), sender.key).event_id  # type: ignore[arg-type]

    def handoff_payload(self, courier: Party, parcel: str, place: str = "曲靖分拨中心") -> EventPayload:
        row = self.parcel(parcel)
        return handoff_payload(courier.key, parcel, str(row["head"]), from_actor=str(row["custodian"]), location=place)

    def handoff(self, courier: Party, parcel: str, place: str = "曲靖分拨中心") -> str:
        return self.append(self.handoff_payload(courier, parcel, place), courier.key).event_id

    def sign_for(self, consumer: SigningKey, parcel: str, condition: str = "intact") -> str:
        head = str(self.parcel(parcel)["head"])
        return self.append(signature_payload(consumer, parcel, head, condition=condition), consumer).event_id

    @contextmanager
    def rejected(self, error: type[LedgerError]) -> Iterator[pytest.ExceptionInfo[LedgerError]]:
        """Expect exactly ``error`` (not a parent type) and that nothing at all was stored."""
        before = self.fixture.table_snapshot()
        with pytest.raises(error) as info:
            yield info
        assert type(info.value) is error, f"expected {error.__name__}, got {type(info.value).__name__}"
        assert self.fixture.table_snapshot() == before, "a rejected event changed the database"

    def conserved(self, batch_path: str) -> None:
        from ledger.rules import check_conservation

        check_conservation(batch_path, self.batch(batch_path))


@pytest.fixture
def world(tmp_path: Path, database_url: str | None) -> Iterator[World]:
    """A fresh world; afterwards, reindexing its ledger must reproduce the derived views exactly, and its whole log
    must export as a valid EPCIS 2.0 document whose event ids the reference implementation agrees with."""
    fixture = create_ledger(tmp_path / "home", database_url)
    yield World(fixture)
    assert_valid_export(log_document(fixture.ledger))
    views = fixture.ledger.views()
    fixture.ledger.reindex()
    rebuilt = fixture.ledger.views()
    differing = sorted(row for row in views.keys() | rebuilt.keys() if views.get(row) != rebuilt.get(row))
    assert not differing, f"reindex did not reproduce the views of this story: {differing[:5]}"
    fixture.ledger.close()
