"""``traceledger trace`` and ``traceledger regulator recall-scope`` (issue 12): where goods went or what they came
from, and a recall's reach (every holder, parcel in transit and consumer delivery, adding up to the batch).

Both read the home ledger, or a server with ``--url`` (its ``GET /v1/trace``), and print a table (rich) or CSV on
stdout. Parties are USCCs, consumers their key ids only; each trace step names the leaf index of its entry, which
``traceledger prove inclusion --index`` proves.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledger.errors import NotFound
from ledger.identifiers import parse_subject
from ledger.trace import DEFAULT_DEPTH, MAX_DEPTH, Direction, RecallScope, Trace, recall_scope, trace
from traceledger.options import DatabaseOption, HomeOption, UrlOption, check_target
from traceledger.settings import Home

out = Console(highlight=False, soft_wrap=True)


class TraceDirection(StrEnum):
    forward = "forward"
    backward = "backward"


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"


FormatOption = Annotated[OutputFormat, typer.Option("--format", help="A table, or CSV with a header row")]
STEP_COLUMNS = (
    "depth", "relation", "batch", "quantity", "parcel", "from_actor", "to_actor", "consignee", "event_id",
    "leaf_index", "logged_at",
)  # fmt: skip
SCOPE_COLUMNS = ("part", "batch", "holder", "parcel", "to", "consumer_key", "quantity")


def _traced(subject: str, direction: TraceDirection, depth: int, home: Path | None, database_url: str | None,
            url: str | None) -> Trace:  # fmt: skip
    """The trace from the home ledger (no key needed), or from the server at ``url``."""
    path = parse_subject(subject).path  # a malformed subject fails before anything is read
    check_target(home, database_url, url)
    way: Direction = "backward" if direction is TraceDirection.backward else "forward"
    if url is not None:
        from traceledger.client import LedgerClient  # the HTTP stack loads only for --url

        with LedgerClient(url) as client:
            found = client.trace(path, way, depth)
            if found is None:
                raise NotFound(f"the log at {client.url} holds nothing about {path}")
            return found
    ledger = Home.resolve(home, database_url).open()
    try:
        return trace(ledger, path, way, depth)
    finally:
        ledger.close()


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(header)
    writer.writerows([_text(value) for value in row] for row in rows)


def _table(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    """A table whose cells fold on a narrow terminal rather than cut identifiers short."""
    table = Table(title=title, title_justify="left")
    for name in header:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(_text(value) for value in row))
    return table


def trace_command(
    subject: Annotated[
        str, typer.Argument(help="A batch 01/<GTIN>/10/<lot>, an item …/21/<serial> or a parcel 00/<SSCC>")
    ],
    direction: Annotated[
        TraceDirection, typer.Option(help="forward: where it went; backward: what it was made from")
    ] = TraceDirection.forward,
    depth: Annotated[
        int, typer.Option(min=0, max=MAX_DEPTH, help="Production hops to follow (0: its own goods only)")
    ] = DEFAULT_DEPTH,
    output: FormatOption = OutputFormat.table,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """Trace a batch, item or parcel: its parcels, handoffs, receivers, consumer receipts and derived batches
    (forward), or its inputs and the parcels that brought them (backward)."""
    found = _traced(subject, direction, depth, home, database_url, url)
    steps = [
        (s.depth, s.relation, s.batch, s.quantity, s.parcel, s.from_actor, s.to_actor, s.consignee, s.event_id,
         s.leaf_index, s.logged_at)
        for s in found.steps
    ]  # fmt: skip
    if output is OutputFormat.csv:
        _write_csv(STEP_COLUMNS, steps)
        return
    batches = [
        (b.depth, b.path, b.product, b.producer, f"{b.quantity} {b.unit}",
         ", ".join(f"{actor} {n}" for actor, n in b.held.items()), b.in_transit, b.delivered,
         "recalled" if b.recalled else "")
        for b in found.batches
    ]  # fmt: skip
    header = ("depth", "batch", "product", "producer", "produced", "held", "in transit", "delivered", "recall")
    out.print(_table(f"{found.direction} trace of {found.subject} ({found.subject_kind})", header, batches))
    step_header = ("depth", "relation", "batch", "quantity", "parcel", "from", "to", "consumer key", "entry")
    out.print(_table("steps (entry: the leaf index proving each)", step_header, [(*s[:8], s[9]) for s in steps]))


def _scope_rows(scope: RecallScope) -> list[tuple[object, ...]]:
    lot = scope.batch.path
    return [
        *(("held", lot, actor, None, None, None, n) for actor, n in scope.holders.items()),
        *(("in_transit", lot, p.custodian, p.parcel, p.to, p.consignee, p.quantity) for p in scope.in_transit),
        *(("delivered", lot, None, c.parcel, None, c.consignee, c.quantity) for c in scope.consumers),
    ]


def recall_scope_command(
    lot: Annotated[str, typer.Argument(help="The batch, 01/<GTIN>/10/<lot>")],
    output: FormatOption = OutputFormat.table,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """A recall's reach: every holder and quantity, the parcels in transit, the consumers it was delivered to (by
    key id), and the batches made from it; the parts add up to what was produced, or it fails."""
    scope = recall_scope(_traced(lot, TraceDirection.forward, DEFAULT_DEPTH, home, database_url, url))
    batch = scope.batch
    rows = _scope_rows(scope)
    if output is OutputFormat.csv:
        derived = [("derived", path, None, None, None, None, None) for path in scope.derived]
        _write_csv(SCOPE_COLUMNS, [*rows, *derived, ("produced", batch.path, None, None, None, None, batch.quantity)])
        return
    title = f"recall scope of {batch.path}: {batch.product}, {batch.quantity} {batch.unit}"
    out.print(_table(title + (" (recalled)" if batch.recalled else ""), SCOPE_COLUMNS[:1] + SCOPE_COLUMNS[2:], [
        row[:1] + row[2:] for row in rows
    ]))  # fmt: skip
    used = f" + consumed {batch.consumed}" if batch.consumed else ""
    out.print(
        f"produced {batch.quantity} = held {scope.held} + in transit {scope.transit} + delivered {scope.delivered}"
        + used,
        markup=False,
    )
    if scope.derived:
        out.print("made into: " + ", ".join(scope.derived), markup=False)
