"""``traceledger export``: a subject's history, or what the log recorded in a time range, as an EPCIS 2.0 document
or as the FSMA 204 sortable spreadsheet (CSV), on standard output or into a file."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ledger.epcis.export import as_of, entries_logged, epcis_document, epcis_events, subject_entries
from ledger.epcis.fsma import fsma_csv, fsma_rows
from ledger.epcis.query import parse_moment
from ledger.errors import InvalidQuery, LedgerStateError
from ledger.events import log_time
from ledger.identifiers import parse_subject
from ledger.store.ledger import Ledger, StoredEntry
from traceledger.options import DatabaseOption, HomeOption
from traceledger.settings import Home


class ExportFormat(StrEnum):
    epcis = "epcis"
    fsma_csv = "fsma-csv"


def _entries(ledger: Ledger, subject: str | None, since: str | None, until: str | None) -> list[StoredEntry]:
    if (subject is None) == (since is None and until is None):
        raise InvalidQuery("name a subject (01/<gtin>/10/<lot>[/21/<serial>] or 00/<sscc>), or --since/--until")
    if subject is not None:
        return subject_entries(ledger, subject)
    bounds = [log_time(parse_moment(name, value)) if value else None
              for name, value in (("--since", since), ("--until", until))]  # fmt: skip
    return entries_logged(ledger, bounds[0], bounds[1])


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise LedgerStateError(f"cannot write {out}: {exc.strerror}") from None


def export(
    subject: Annotated[
        str | None, typer.Argument(help="A batch, item or parcel path, e.g. 01/06901230000010/10/XW2026-11")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Events logged at or after this time (RFC 3339)")] = None,
    until: Annotated[str | None, typer.Option(help="Events logged before this time (RFC 3339)")] = None,
    format_: Annotated[ExportFormat, typer.Option("--format", help="An EPCIS 2.0 document or the FSMA 204 CSV")] = (
        ExportFormat.epcis
    ),
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file [default: standard output]")] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Export a subject's history, or a time range of the log, as EPCIS 2.0 JSON-LD or an FSMA 204 spreadsheet."""
    ledger = Home.resolve(home, database_url).open()
    try:
        entries = _entries(ledger, subject, since, until)
        if format_ is ExportFormat.fsma_csv:
            lot = subject if subject is not None and parse_subject(subject).kind == "batch" else None
            text = fsma_csv(fsma_rows(ledger, entries, lot))
        else:
            document = epcis_document(epcis_events(ledger, entries), as_of(ledger))
            text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    finally:
        ledger.close()
    _write(text, out)
