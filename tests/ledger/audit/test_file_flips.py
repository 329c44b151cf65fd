"""Random byte flips of the SQLite file itself: each is detected by the audit, refused by the database with one
clear line, or shown to have changed no stored value (a full dump of the tables is as before)."""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from ledger.audit import AuditReport
from ledger.store.tables import metadata
from signer.errors import TraceledgerError
from tests.ledger.audit.conftest import Audited
from traceledger.settings import DATABASE_FILE, SETTINGS_FILE, Home

FLIPS = 80
#: The portal's scans, which are no log data: a flip there changes nothing the audit vouches for.
UNVOUCHED: dict[str, set[str] | None] = {"scans": None}


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]] | str:
    """Every vouched-for stored value, table by table in key order; or the error the database reports."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            for table in metadata.sorted_tables:
                skip = UNVOUCHED.get(table.name, set())
                if skip is None:
                    continue
                columns = ", ".join(f'"{c.name}"' for c in table.columns if c.name not in skip)
                order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
                tables[table.name] = conn.execute(f'SELECT {columns} FROM "{table.name}" ORDER BY {order}').fetchall()  # noqa: S608 -- table and column names from the metadata
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return tables


def audit_outcome(audited: Audited) -> AuditReport | str:
    """The audit's report, or the one-line error it ended with."""
    try:
        return audited.audit()
    except TraceledgerError as exc:
        return exc.detail


def test_random_byte_flips_of_the_database_file(sqlite_ledger: Audited, tmp_path: Path) -> None:
    source = sqlite_ledger.home.path
    assert not (source / (DATABASE_FILE + "-wal")).exists() or not (source / (DATABASE_FILE + "-wal")).stat().st_size
    pristine = (source / DATABASE_FILE).read_bytes()
    before = dump(source / DATABASE_FILE)
    assert isinstance(before, dict)
    assert before["entries"]
    rng = random.Random(1129)
    outcomes: Counter[str] = Counter()
    for number in range(FLIPS):
        home = tmp_path / f"flip-{number}"
        home.mkdir()
        shutil.copy(source / SETTINGS_FILE, home / SETTINGS_FILE)
        position = rng.randrange(len(pristine))
        flipped = bytearray(pristine)
        flipped[position] = rng.choice([b for b in range(256) if b != pristine[position]])
        (home / DATABASE_FILE).write_bytes(bytes(flipped))
        audited = Audited(Home(home), Home(home).database_url(), sqlite_ledger.vkey, sqlite_ledger.names)
        outcome = audit_outcome(audited)
        if isinstance(outcome, str):  # the database refused: one clear line
            assert outcome, f"byte {position}: an empty error"
            assert "\n" not in outcome, f"byte {position}: {outcome!r}"
            outcomes["refused"] += 1
        elif not outcome.ok:
            outcomes["detected"] += 1
        else:
            after = dump(home / DATABASE_FILE)
            assert after == before, f"the flip of byte {position} changed a stored value and the audit passed"
            outcomes["unchanged"] += 1
    assert outcomes["detected"], outcomes
    assert outcomes["refused"], outcomes
    assert sum(outcomes.values()) == FLIPS
