"""``traceledger export-credit`` and ``verify-credit``: a day's credit records for the provincial credit platform,
as CSV or JSON, each file beside its ``.checkpoint`` companion (``ledger.credit_export``), and the offline check of
a file against its companion under the log's verifier key."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ledger.credit_export import companion, credit_export, export_csv, export_json, verify_export
from ledger.errors import InvalidQuery, LedgerStateError
from signer.keys import SigningKey, passphrase_from_env_or_prompt
from signer.note import NoteSigner, NoteVerifier
from traceledger.options import DatabaseOption, HomeOption
from traceledger.settings import Home

COMPANION_SUFFIX = ".checkpoint"
out = Console(highlight=False, soft_wrap=True)


class CreditFormat(StrEnum):
    csv = "csv"
    json = "json"


def _day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or len(value) != 10:
        raise InvalidQuery(f"--day {value!r} is not a date YYYY-MM-DD")
    return day


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise LedgerStateError(f"cannot write {path}: {exc.strerror}") from None


def export_credit(
    day: Annotated[str, typer.Option("--day", help="The day (China Standard Time) whose records to export")],
    out_dir: Annotated[Path, typer.Option("--out", help="The folder to write the file and its companion into")],
    format_: Annotated[CreditFormat, typer.Option("--format", help="csv or json")] = CreditFormat.csv,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Export the credit records of one day, bound to the checkpoint they come from by the log key."""
    wanted = _day(day)
    where = Home.resolve(home, database_url)
    ledger = where.open()
    try:
        export = credit_export(ledger, wanted)
    finally:
        ledger.close()
    log_key = SigningKey.load(where.log_key_file, passphrase_from_env_or_prompt("Log key passphrase: "))
    signer = NoteSigner(export.origin, log_key)
    if signer.vkey != where.settings()["log_vkey"]:
        raise LedgerStateError("the log key file does not match this ledger's verifier key")
    content = export_csv(export) if format_ is CreditFormat.csv else export_json(export)
    name = f"credit-{wanted.isoformat()}.{format_.value}"
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(out_dir / name, content)
    _write(out_dir / (name + COMPANION_SUFFIX), companion(export, name, content, signer))
    out.print(
        f"wrote {out_dir / name}: {len(export.records)} credit records from the first {export.entries} entries, "
        f"checkpoint {export.checkpoint.size}",
        markup=False,
    )


def verify_credit(
    file: Annotated[Path, typer.Argument(help="An export file; its companion FILE.checkpoint sits beside it")],
    vkey: Annotated[str | None, typer.Option("--vkey", help="The log's verifier key [default: the home's]")] = None,
    origin: Annotated[str | None, typer.Option("--origin", help="The log's origin [default: the home's]")] = None,
    home: HomeOption = None,
) -> None:
    """Check an export file against its companion: the log key bound its SHA-256 to a checkpoint it signed."""
    if vkey is None or origin is None:
        settings = Home.resolve(home, None).settings()
        vkey, origin = vkey or settings["log_vkey"], origin or settings["origin"]
    try:
        content = file.read_bytes()
        companion_bytes = file.with_name(file.name + COMPANION_SUFFIX).read_bytes()
    except OSError as exc:
        raise LedgerStateError(f"cannot read {exc.filename}: {exc.strerror}") from None
    checkpoint = verify_export(file.name, content, companion_bytes, NoteVerifier.from_vkey(vkey), origin)
    out.print(f"OK: {file.name} is the export the log key bound to checkpoint {checkpoint.size}", markup=False)
