"""Realistic ledgers to audit: every event kind and view, attachments with and without content, several checkpoints.

A ledger is built once per database flavour and copied for each test (SQLite: the file; PostgreSQL: built afresh
in the test's own schema), since tests here change it behind the program's back.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.audit import AuditReport, audit_log
from ledger.audit.database import DatabaseSource
from ledger.events import seal_attachment
from ledger.events.builders import complaint_payload, inspection_payload, risk_finding_payload
from ledger.log.witness_protocol import WitnessEndpoint
from ledger.store.attachments import erase_attachment, store_attachment
from ledger.store.cosignatures import record_cosignature
from ledger.store.engine import make_engine
from signer.keys import SigningKey
from signer.note import CosignatureSigner, NoteSigner, NoteVerifier, parse_note
from tests.ledger.conftest import ORIGIN, PASSPHRASE, LedgerFixture, create_ledger
from tests.ledger.store.test_reindex import build_varied_ledger
from tests.scenarios.world import World
from traceledger.settings import Home

WITNESS = "witness.example/w1"  # the witness the ledger is configured with, which cosigned its last two checkpoints


@dataclass
class Audited:
    """A ledger on disk (closed: the audit and the tampering reach it only through the database)."""

    home: Home
    url: str
    vkey: str
    names: dict[str, str]
    _engine: Engine | None = None

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier.from_vkey(self.vkey)

    def engine(self) -> Engine:
        """A writable engine, for tampering (one, disposed with the fixture)."""
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def audit(self, since: str | None = None, processes: int = 0) -> AuditReport:
        """Audited as ``traceledger audit`` does: with the home's configured witnesses."""
        with DatabaseSource(self.url, [witness.verifier.vkey for witness in self.home.witnesses()]) as source:
            return audit_log(source, self.verifier, ORIGIN, since=since, processes=processes)

    def log_signer(self) -> NoteSigner:
        """The log's checkpoint signer: what an attacker holding the log key signs with."""
        return NoteSigner(ORIGIN, SigningKey.load(self.home.log_key_file, PASSPHRASE))


def build(fixture: LedgerFixture) -> dict[str, str]:
    """Every kind (the reindex suite's story) plus a monitor's risk finding citing the consumer's receipt, and
    attachments: a report uploaded, one uploaded then erased, and complaint details never uploaded, whose erasure
    is logged so (every missing content needs a logged erasure)."""
    world = World(fixture)
    names = build_varied_ledger(world)
    ham = names["ham"]
    monitor = world.register("平台风险监测中心", "monitor")
    receipt = str(world.ledger.view("items", names["item"])["receipt"])  # type: ignore[index]
    flagged = risk_finding_payload(
        monitor.key, names["item"], detector="no_independent_custody", evidence=[receipt], actor=names["merchant"]
    )
    names.update(receipt=receipt, finding=world.append(flagged, monitor.key).event_id)
    production = str(world.batch(ham)["production"])
    lab = world.register("云南省计量测试院", "lab")
    report = seal_attachment("检验报告：合格".encode(), "text/plain; charset=utf-8")
    erased = seal_attachment("复检报告".encode(), "text/plain; charset=utf-8")
    details = seal_attachment("包装破损".encode(), "text/plain; charset=utf-8")
    for sealed in (report, erased):
        payload = inspection_payload(lab.key, ham, production, result="pass", standard="GB 2730", report=sealed.ref)
        world.append(payload, lab.key)
    world.append(complaint_payload(lab.key, ham, category="quality", channel="12315", details=details.ref), lab.key)
    store_attachment(fixture.ledger, report.ref.digest, report.stored)
    store_attachment(fixture.ledger, erased.ref.digest, erased.stored)
    erase_attachment(fixture.ledger, fixture.registrar, erased.ref.digest, "court_order")
    erase_attachment(fixture.ledger, fixture.registrar, details.ref.digest, "never_uploaded")
    names.update(report=report.ref.digest, erased=erased.ref.digest, details=details.ref.digest)
    names.update(erased_copy=erased.stored.hex())  # what an operator who kept a copy could put back
    witness = CosignatureSigner(WITNESS, SigningKey.from_seed(b"witness".ljust(32, b"\0")))
    fixture.home.add_witness(WitnessEndpoint.from_config("https://witness.example/w1", witness.vkey))
    for size in (fixture.ledger.size() - 1, fixture.ledger.size()):
        checkpoint = fixture.ledger.checkpoint(size)
        line = witness.cosign(parse_note(checkpoint.note).text, 1_796_000_000 + size)
        assert record_cosignature(fixture.ledger.engine, checkpoint, witness.verifier, [line])
    return names


@pytest.fixture(scope="module")
def sqlite_ledger(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    fixture = create_ledger(tmp_path_factory.mktemp("audited") / "home")
    names = build(fixture)
    fixture.ledger.close()
    return Audited(fixture.home, fixture.home.database_url(), fixture.home.settings()["log_vkey"], names)


@pytest.fixture
def audited(sqlite_ledger: Audited, tmp_path: Path, database_url: str | None) -> Iterator[Audited]:
    """A fresh copy of the realistic ledger: on SQLite a copy of the file, on PostgreSQL built in its schema."""
    if database_url is None:
        home = tmp_path / "home"
        shutil.copytree(sqlite_ledger.home.path, home)
        copy = Home(home)
        audited = Audited(copy, copy.database_url(), sqlite_ledger.vkey, sqlite_ledger.names)
    else:
        fixture = create_ledger(tmp_path / "home", database_url)
        names = build(fixture)
        fixture.ledger.close()
        audited = Audited(fixture.home, fixture.home.database_url(), fixture.home.settings()["log_vkey"], names)
    yield audited
    audited.close()
