"""The high-water checkpoint in the home: a database rolled back behind it can neither sign nor be opened to append."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from ledger.errors import BehindHighWater, LedgerStateError
from ledger.store.high_water import HighWater
from ledger.store.tables import ATTACHMENTS, CHECKPOINTS, ENTRIES, LOG_HEAD, NODES, VIEWS
from tests.ledger.conftest import PASSPHRASE, LedgerFixture
from traceledger.settings import HIGH_WATER_FILE


def _roll_back(fixture: LedgerFixture, size: int) -> None:
    """Delete every entry, node and checkpoint past ``size`` behind the program's back, as an attacker would."""
    with fixture.ledger.engine.begin() as conn:
        conn.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.size > size))
        conn.execute(delete(ATTACHMENTS).where(ATTACHMENTS.c.leaf_index >= size))
        conn.execute(delete(ENTRIES).where(ENTRIES.c.leaf_index >= size))
        for level in range(size.bit_length() + 2):
            conn.execute(delete(NODES).where(NODES.c.level == level, (NODES.c.index + 1) * (1 << level) > size))
        conn.execute(delete(VIEWS))
        last = conn.execute(ENTRIES.select().order_by(ENTRIES.c.leaf_index.desc()).limit(1)).one()
        conn.execute(LOG_HEAD.update().values(size=size, logged_at=last.logged_at))
    fixture.ledger.reindex()


def test_every_append_moves_the_high_water_file(ledger_fixture: LedgerFixture) -> None:
    path = ledger_fixture.home.path / HIGH_WATER_FILE
    assert path.read_text(encoding="utf-8") == ledger_fixture.ledger.checkpoint().note
    ledger_fixture.ledger.append([ledger_fixture.registration(1)])
    assert ledger_fixture.ledger.checkpoint().size == 2
    assert path.read_text(encoding="utf-8") == ledger_fixture.ledger.checkpoint().note
    assert path.stat().st_mode & 0o777 == 0o600
    assert not list(path.parent.glob("*.tmp"))


def test_a_rolled_back_database_signs_no_second_checkpoint(ledger_fixture: LedgerFixture) -> None:
    envelopes = [ledger_fixture.registration(n) for n in (1, 2)]
    ledger_fixture.ledger.append(envelopes)
    signed = ledger_fixture.ledger.checkpoint()
    assert signed.size == 3
    _roll_back(ledger_fixture, 1)
    before = ledger_fixture.table_snapshot()
    with pytest.raises(BehindHighWater, match="does not extend the high-water checkpoint of size 3"):
        ledger_fixture.ledger.append(envelopes)  # same envelopes, new logged_at: a second tree of size 3
    assert ledger_fixture.table_snapshot() == before, "nothing may be signed or stored"
    assert (ledger_fixture.home.path / HIGH_WATER_FILE).read_text(encoding="utf-8") == signed.note


def test_a_rolled_back_database_is_refused_at_open(ledger_fixture: LedgerFixture) -> None:
    ledger_fixture.ledger.append([ledger_fixture.registration(n) for n in (1, 2, 3)])
    _roll_back(ledger_fixture, 2)
    with pytest.raises(BehindHighWater, match="size 2 does not extend the high-water checkpoint of size 4"):
        ledger_fixture.home.open(PASSPHRASE).close()
    ledger_fixture.home.open().close()  # reading (and auditing) a rolled-back log stays possible


def test_a_database_ahead_of_the_file_is_accepted_and_recorded(ledger_fixture: LedgerFixture) -> None:
    """A crash after the commit and before the file write leaves the file behind: the next open catches it up."""
    path = ledger_fixture.home.path / HIGH_WATER_FILE
    old_note = path.read_text(encoding="utf-8")
    ledger_fixture.ledger.append([ledger_fixture.registration(1)])
    path.write_text(old_note, encoding="utf-8")  # the file as the crash left it
    reopened = ledger_fixture.home.open(PASSPHRASE)
    try:
        assert path.read_text(encoding="utf-8") == reopened.checkpoint().note
        reopened.append([ledger_fixture.registration(2)])
        assert reopened.checkpoint().size == 3
    finally:
        reopened.close()


def test_an_existing_home_without_the_file_records_its_checkpoint(ledger_fixture: LedgerFixture) -> None:
    path = ledger_fixture.home.path / HIGH_WATER_FILE
    ledger_fixture.ledger.append([ledger_fixture.registration(1)])
    path.unlink()
    ledger_fixture.home.open(PASSPHRASE).close()
    assert path.read_text(encoding="utf-8") == ledger_fixture.ledger.checkpoint().note


def test_a_forged_high_water_file_is_refused(ledger_fixture: LedgerFixture) -> None:
    path = ledger_fixture.home.path / HIGH_WATER_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("\n1\n", "\n7\n", 1), encoding="utf-8")
    with pytest.raises(LedgerStateError, match="high-water"):
        ledger_fixture.home.open(PASSPHRASE).close()


def test_a_mark_another_process_records_is_the_one_read_next(ledger_fixture: LedgerFixture) -> None:
    """The mark is kept between reads while its file is unchanged; another process's record replaces the file."""
    ledger = ledger_fixture.ledger
    path = ledger_fixture.home.path / HIGH_WATER_FILE
    ours = HighWater(path, ledger.log_verifier, ledger.origin)
    assert ours.read() == ours.read() == ledger.checkpoint()
    ledger.append([ledger_fixture.registration(1)])  # this ledger's own HighWater, as another process's would be
    assert ours.read() == ledger.checkpoint(2)
    path.write_text(path.read_text(encoding="utf-8").replace("\n2\n", "\n29\n", 1), encoding="utf-8")
    with pytest.raises(LedgerStateError, match="not a checkpoint of this log"):
        ours.read()  # a file changed in place (its size with it) is read again, and refused
