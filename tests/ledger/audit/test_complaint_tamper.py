"""The complaints view is derived: an operator who shortens a resolution time, reopens or closes a complaint, or
moves it to another channel behind the program's back is named by the audit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger.events import canonical_json
from ledger.store.tables import VIEWS
from tests.ledger.audit.conftest import Audited
from tests.ledger.audit.tampering import rows, set_column
from tests.ledger.audit.test_tamper import first


@pytest.mark.parametrize(
    "change",
    [{"resolution_seconds": 60}, {"status": "open", "resolution": None}, {"channel": "12365"}, {"reason": "other"}],
)
def test_a_changed_complaint_row_is_named(audited: Audited, change: dict[str, Any]) -> None:
    engine = audited.engine()
    stored = {r["key"]: json.loads(r["value"]) for r in rows(engine, VIEWS) if r["view"] == "complaints"}
    [(key, row)] = [(k, r) for k, r in stored.items() if r["status"] == "resolved"]
    assert row["reason"] == "mediation_agreement"
    assert isinstance(row["resolution_seconds"], int)
    set_column(engine, VIEWS, {"view": "complaints", "key": key}, "value", canonical_json({**row, **change}).decode())
    finding = first(audited.audit())
    assert (finding.where, finding.kind, finding.key) == ("view", "complaints", key)
    assert finding.reason == "the stored row differs from the row the replay derives"
