"""Credit files are derived views: a stored file changed behind the program's back is named by the audit, and
reindex derives every file again to the same bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ledger.events import canonical_json
from ledger.store.tables import VIEWS
from tests.ledger.audit.conftest import Audited
from tests.ledger.audit.tampering import rows, set_column
from tests.ledger.audit.test_tamper import first


def _raise_level(row: dict[str, Any]) -> None:
    row["level"]["level"] = "A"


def _drop_complaint(row: dict[str, Any]) -> None:
    row["sections"]["complaints"] = []


def _forget_reason(row: dict[str, Any]) -> None:
    row["level"]["because"] = [r for r in row["level"]["because"] if r["reason"] != "upheld_complaints"]


@pytest.mark.parametrize("change", [_raise_level, _drop_complaint, _forget_reason])
def test_a_changed_credit_file_is_named(audited: Audited, change: Callable[[dict[str, Any]], None]) -> None:
    engine = audited.engine()
    merchant = audited.names["merchant"]
    stored = next(r for r in rows(engine, VIEWS) if (r["view"], r["key"]) == ("credit", merchant))
    row = json.loads(stored["value"])
    assert row["level"]["level"] == "B"  # a compensated complaint lowers, the red list raises
    assert [r["reason"] for r in row["level"]["because"]] == ["upheld_complaints", "red_list"]
    change(row)
    set_column(engine, VIEWS, {"view": "credit", "key": merchant}, "value", canonical_json(row).decode())
    finding = first(audited.audit())
    assert (finding.where, finding.kind, finding.key) == ("view", "credit", merchant)
    assert finding.reason == "the stored row differs from the row the replay derives"


def test_a_deleted_credit_file_is_named(audited: Audited) -> None:
    engine = audited.engine()
    merchant = audited.names["merchant"]
    with engine.begin() as conn:
        conn.execute(VIEWS.delete().where(VIEWS.c.view == "credit", VIEWS.c.key == merchant))
    finding = first(audited.audit())
    assert (finding.where, finding.kind, finding.key) == ("view", "credit", merchant)
    assert finding.reason.startswith("missing")
