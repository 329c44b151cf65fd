"""``traceledger complaints``: the complaint queue, of the local ledger or of a server (``--url``), as a table or CSV.

A complaint still open 7 days after it was logged is overdue (``ledger.rules.feedback.ANSWER_WITHIN``); ``--at``
judges that at another time than now.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from ledger.events import parse_time
from ledger.events.schemas import COMPLAINT_CHANNELS
from ledger.identifiers import validate_uscc
from ledger.store.complaints import complaint_queue
from traceledger.client import ComplaintRecord
from traceledger.options import DatabaseOption, HomeOption, UrlOption, check_target
from traceledger.settings import Home

out = Console(highlight=False, soft_wrap=True)
Status = Literal["open", "resolved"]
Channel = Literal[COMPLAINT_CHANNELS]  # type: ignore[valid-type]
COLUMNS = (
    "index", "complaint", "filed_at", "channel", "category", "subject", "against", "status", "due", "overdue",
    "outcome", "reason", "resolved_at", "resolution_seconds",
)  # fmt: skip


def _cells(c: ComplaintRecord) -> list[str]:
    values = [getattr(c, column) for column in COLUMNS]
    return ["" if v is None else ("yes" if v is True else "no" if v is False else str(v)) for v in values]


def _print_table(complaints: Sequence[ComplaintRecord]) -> None:
    table = Table("index", "complaint", "filed", "channel", "category", "subject", "against", "status", "overdue")
    for c in complaints:
        cells = dict(zip(COLUMNS, _cells(c), strict=True))
        status = c.status if c.outcome is None else f"{c.status} ({c.outcome}, {c.reason or 'no reason'})"
        table.add_row(
            cells["index"], c.complaint[:16], c.filed_at, c.channel, c.category, c.subject, cells["against"], status,
            cells["overdue"],
        )  # fmt: skip
    wide = None if out.is_terminal else 240  # piped: whole rows, not squeezed into 80 columns
    Console(highlight=False, width=wide).print(table)


def _write_csv(complaints: Sequence[ComplaintRecord]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_cells(c) for c in complaints)


def complaints(
    status: Annotated[Status | None, typer.Option("--status", help="open or resolved")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="USCC of the actor complained about")] = None,
    channel: Annotated[Channel | None, typer.Option("--channel", help="consumer, or a hotline: 12315, ...")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Judge overdue at this RFC 3339 UTC time (default now)")
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout instead of a table")] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """List the logged complaints (the complaint queue), oldest first, each flagged overdue when still open 7 days
    after it was logged."""
    check_target(home, database_url, url)
    actor = None if actor is None else validate_uscc(actor)
    moment = datetime.now(UTC) if at is None else parse_time(at, "--at")
    filters = {"status": status, "actor": actor, "channel": channel}
    if url is not None:
        from traceledger.client import LedgerClient  # the HTTP stack loads only for --url

        query = {name: value for name, value in filters.items() if value is not None}
        with LedgerClient(url) as client:
            found = client.complaints({**query, "at": at} if at is not None else query)
    else:
        ledger = Home.resolve(home, database_url).open()
        try:
            queued = complaint_queue(ledger, at=moment, **filters)
        finally:
            ledger.close()
        found = [ComplaintRecord(complaint=q.complaint, due=q.due, overdue=q.overdue, **q.row) for q in queued]
    (_write_csv if as_csv else _print_table)(found)
