"""Tampered rows of the rating and commitment views (issue 11) are named by the audit, like every derived view."""

from __future__ import annotations

import json

from ledger.events import canonical_json
from ledger.store.tables import VIEWS
from tests.ledger.audit.conftest import Audited
from tests.ledger.audit.tampering import rows, set_column


def _tamper_and_find(audited: Audited, view: str, key: str, row: dict[str, object]) -> None:
    """Store ``row`` as the view row, require the audit to name exactly it first, then put the original back."""
    engine = audited.engine()
    stored = {(r["view"], r["key"]): r["value"] for r in rows(engine, VIEWS)}
    original = stored[(view, key)]
    set_column(engine, VIEWS, {"view": view, "key": key}, "value", canonical_json(row).decode())
    report = audited.audit()
    assert not report.ok
    assert report.first is not None
    assert (report.first.where, report.first.kind, report.first.key) == ("view", view, key)
    assert report.first.reason == "the stored row differs from the row the replay derives"
    set_column(engine, VIEWS, {"view": view, "key": key}, "value", original)


def test_a_courier_whose_rating_is_raised_is_named(audited: Audited) -> None:
    courier = audited.names["courier"]
    stored = next(r for r in rows(audited.engine(), VIEWS) if (r["view"], r["key"]) == ("rating_totals", courier))
    totals = json.loads(stored["value"])
    assert totals == {"received": {"courier": {"count": 2, "sum": 7}}}
    _tamper_and_find(audited, "rating_totals", courier, {"received": {"courier": {"count": 2, "sum": 10}}})
    assert audited.audit().ok


def test_a_rating_whose_follow_up_is_dropped_is_named(audited: Audited) -> None:
    stored = [r for r in rows(audited.engine(), VIEWS) if r["view"] == "ratings"]
    first = next(r for r in stored if json.loads(r["value"])["follow_up"] is not None)
    _tamper_and_find(audited, "ratings", first["key"], {**json.loads(first["value"]), "follow_up": None})
    assert audited.audit().ok


def test_a_shop_whose_broken_commitment_is_hidden_or_return_undone_is_named(audited: Audited) -> None:
    stored = {(r["view"], r["key"]): json.loads(r["value"]) for r in rows(audited.engine(), VIEWS)}
    merchant = audited.names["merchant"]
    made = stored[("actor_commitments", merchant)]
    assert made["broken"] == []
    fake = {"commitment": made["current"], "term": "delivery", "parcel": "00/0", "due": "x", "event": "e" * 64}
    _tamper_and_find(audited, "actor_commitments", merchant, {**made, "broken": [fake]})
    [(key, returned)] = [(k, row) for (view, k), row in stored.items() if view == "returns"]
    _tamper_and_find(audited, "returns", key, {**returned, "completed": None, "completed_at": None})
    assert audited.audit().ok
