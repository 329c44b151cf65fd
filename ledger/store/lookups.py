"""Reads no view is keyed by, for tracing goods (``ledger.trace``): the rows of a view that mention a value, and
where the entries of given events sit in the log.

A batch's parcels and the batches made from it are not keys of any view, so they are found by scanning one view's
rows (its part of the primary key) for the value as the stored canonical JSON spells it; callers then check the
parsed rows exactly, so the scan only has to never miss.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select

from ledger.rules.views import View
from ledger.store.ledger import LogReads
from ledger.store.tables import ENTRIES, VIEWS

R = TypeVar("R")  # a view's row type
_CHUNK = 500  # event ids looked up in one query


def json_member(name: str, value: str) -> str:
    """``"name":"value"`` as a stored row writes that member (compact, non-ASCII kept: ``encode_row``)."""
    return json.dumps(name, ensure_ascii=False) + ":" + json.dumps(value, ensure_ascii=False)


def rows_mentioning(reads: LogReads, view: View[R], fragment: str) -> dict[str, R]:
    """The rows of ``view`` whose stored JSON contains ``fragment`` (a superset of the rows holding that value)."""
    query = select(VIEWS.c.key, VIEWS.c.value).where(
        VIEWS.c.view == view, VIEWS.c.value.contains(fragment, autoescape=True)
    )
    with reads.reading() as conn:
        found: dict[str, Any] = {key: json.loads(value) for key, value in conn.execute(query)}
    return found


@dataclass(frozen=True)
class Stamp:
    """Where an event's entry is in the log, and who signed it; the entry's bytes are not read."""

    leaf_index: int
    leaf_hash: bytes
    logged_at: str
    signer: str  # the primary signer's kid


def stamps(reads: LogReads, event_ids: Iterable[str]) -> dict[str, Stamp]:
    """The stamps of the logged events among ``event_ids``, by event id."""
    ids = sorted(set(event_ids))
    columns = (ENTRIES.c.event_id, ENTRIES.c.leaf_index, ENTRIES.c.leaf_hash, ENTRIES.c.logged_at, ENTRIES.c.actor)
    found: dict[str, Stamp] = {}
    with reads.reading() as conn:
        for start in range(0, len(ids), _CHUNK):
            rows = conn.execute(select(*columns).where(ENTRIES.c.event_id.in_(ids[start : start + _CHUNK])))
            found.update({e: Stamp(i, bytes(h), at, kid) for e, i, h, at, kid in rows})
    return found
