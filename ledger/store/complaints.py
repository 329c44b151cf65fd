"""The complaint queue: logged complaints from the ``complaints`` view, filtered, each with its due time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ledger.events import format_time
from ledger.rules.feedback import complaint_due, overdue
from ledger.rules.views import COMPLAINTS, ComplaintRow
from ledger.store.ledger import Ledger
from ledger.store.tables import VIEWS


@dataclass(frozen=True)
class QueuedComplaint:
    complaint: str  # the complaint event id
    row: ComplaintRow
    due: str | None  # when its answer is due (ledger.rules.feedback.ANSWER_WITHIN after filing)
    overdue: bool  # still open at the time asked about, past its due time


def complaint_queue(
    ledger: Ledger,
    *,
    at: datetime,
    status: str | None = None,
    actor: str | None = None,
    channel: str | None = None,
) -> list[QueuedComplaint]:
    """The logged complaints in log order, those matching every filter given, judged overdue or not at ``at``."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(VIEWS.c.key, VIEWS.c.value).where(VIEWS.c.view == COMPLAINTS)).all()
    queue: list[QueuedComplaint] = []
    for key, value in rows:
        row: ComplaintRow = json.loads(value)
        wanted = (status, row["status"]), (channel, row.get("channel")), (actor, row.get("against"))
        if any(asked not in (None, value) for asked, value in wanted):
            continue
        due = complaint_due(row)
        queue.append(QueuedComplaint(key, row, None if due is None else format_time(due), overdue(row, at)))
    return sorted(queue, key=lambda q: q.row.get("index", 0))
