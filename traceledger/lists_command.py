"""``traceledger sanctions`` and ``traceledger batches``: what a shop or producer looks up, from the local ledger or
a server (``--url``), as a table or CSV.

``sanctions`` is the public disclosure list (``GET /v1/sanctions``): every red- and black-list sanction, newest
first, with its status now (in force, expired or lifted). ``batches`` lists the batches the log holds, optionally
of one producer, with what each has left, from the ``batches`` view (locally only: the API serves batches one by
one).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from api.credit import sanction_list
from ledger.errors import InvalidPayload
from ledger.identifiers import validate_uscc
from ledger.rules.views import BATCHES, BatchRow
from ledger.store.credit import disclosure
from ledger.store.tables import VIEWS
from traceledger.options import DatabaseOption, HomeOption, UrlOption, check_target
from traceledger.settings import Home

out = Console(highlight=False, soft_wrap=True)
CsvOption = Annotated[bool, typer.Option("--csv", help="CSV on stdout instead of a table")]
SANCTION_COLUMNS = ("actor", "name", "list", "status", "since", "until", "by", "reason", "event")
BATCH_COLUMNS = ("batch", "product", "category", "producer", "quantity", "unit", "delivered", "expiry", "production")


def _emit(columns: Sequence[str], rows: Sequence[Sequence[object]], as_csv: bool) -> None:
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(cells)
        return
    table = Table(*columns)
    for row in cells:
        table.add_row(*row)
    Console(highlight=False, width=None if out.is_terminal else 240).print(table)


def sanctions(
    list_: Annotated[
        Literal["black", "red"] | None, typer.Option("--list", help="black or red; both if absent")
    ] = None,
    as_csv: CsvOption = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """List every red- and black-list sanction (the public disclosure list), newest first, with its status now."""
    check_target(home, database_url, url)
    if url is not None:
        from traceledger.client import LedgerClient  # the HTTP stack loads only for --url

        with LedgerClient(url) as client:
            listed = client.sanctions({"list": list_} if list_ else {})
    else:
        ledger = Home.resolve(home, database_url).open()
        try:
            now = datetime.now(UTC)
            listed = sanction_list(disclosure(ledger, list_, now), now)
        finally:
            ledger.close()
    rows = [
        (d.actor, d.name, d.sanction.list_, d.sanction.status, d.sanction.since, d.sanction.until, d.sanction.by,
         d.sanction.reason, d.sanction.event)
        for d in listed.sanctions
    ]  # fmt: skip
    _emit(SANCTION_COLUMNS, rows, as_csv)


def batches(
    producer: Annotated[str | None, typer.Option("--producer", help="Only this producer's batches (USCC)")] = None,
    as_csv: CsvOption = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """List the batches the log holds, in subject order, with their product, quantity and expiry."""
    producer = None if producer is None else validate_uscc(producer)
    ledger = Home.resolve(home, database_url).open()
    try:
        with ledger.reading() as conn:
            found = conn.execute(select(VIEWS.c.key, VIEWS.c.value).where(VIEWS.c.view == BATCHES)).all()
    finally:
        ledger.close()
    rows = []
    for key, value in sorted(found):
        batch: BatchRow = json.loads(value)
        if producer is not None and batch["producer"] != producer:
            continue
        rows.append([key, *(batch.get(column) for column in BATCH_COLUMNS[1:])])
    if producer is not None and not rows:
        raise InvalidPayload(f"--producer {producer}: the log holds no batch of this producer")
    _emit(BATCH_COLUMNS, rows, as_csv)
