"""``traceledger audit``: replay and verify a whole log, local (the database, read-only) or remote (its tiles).
A local audit also requires every stored cosignature to be by one of the home's configured witnesses.

Prints a summary (or ``--json``), exits 0 only when nothing was found, and otherwise ends with the first finding as
one error line: ``error: Audit failed: entry 17 (shipment): the signature by key ... does not verify``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ledger.audit import AuditReport, LogSource, audit_log
from ledger.audit.database import DatabaseSource
from ledger.errors import CheckpointError, LedgerStateError
from ledger.files import write_atomically
from signer.encoding import b64
from signer.errors import TraceledgerError
from signer.note import NoteVerifier
from traceledger.options import DatabaseOption, HomeOption
from traceledger.progress import progress_bar
from traceledger.settings import HIGH_WATER_FILE, Home

SHOWN_FINDINGS = 10


class AuditFailed(TraceledgerError):
    slug = "audit-failed"
    title = "Audit failed"


@contextmanager
def _source(url: str | None, where: Home) -> Iterator[LogSource]:
    if url is None:
        configured = [witness.verifier.vkey for witness in where.witnesses()]
        with DatabaseSource(where.database_url(), configured) as source:
            yield source
        return
    from traceledger.tiles_source import TilesSource  # the HTTP client and tile paths only for remote audits

    with TilesSource(url) as remote:
        yield remote


def _verifier(vkey: str | None, where: Home, remote: bool) -> NoteVerifier:
    if vkey is not None:
        return NoteVerifier.from_vkey(vkey)
    try:
        return NoteVerifier.from_vkey(where.settings()["log_vkey"])
    except LedgerStateError:
        if remote:
            raise LedgerStateError("give the log's verifier key with --vkey (no local ledger pins one)") from None
        raise


def _read_saved(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"cannot read the saved checkpoint {path}: {exc}") from None


def _save(path: Path, note: str) -> None:
    """Write the checkpoint note whole or not at all, and durably: a later ``--since`` must never read half of one."""
    try:
        write_atomically(path, note.encode("utf-8"), mode=0o644)
    except OSError as exc:
        raise CheckpointError(f"cannot save the checkpoint to {path}: {exc.strerror}") from None


def _summary(report: AuditReport, out: Console) -> None:
    checked = [
        f"{report.entries:,} entries",
        f"{report.signatures:,} signatures",
        f"{report.checkpoints:,} checkpoints",
    ]
    checked.append(f"{report.nodes:,} {'tile hashes' if report.view_rows is None else 'Merkle nodes'}")
    if report.view_rows is not None:
        checked.append(f"{report.view_rows:,} view rows")
    if report.attachments is not None:
        checked.append(f"{report.attachments:,} attachments ({report.attachment_contents:,} with content)")
    if report.cosignatures is not None:
        checked.append(f"{report.cosignatures:,} cosignatures")
    out.print(f"audit of {report.origin} ({report.source})", markup=False)
    out.print("checked " + ", ".join(checked), markup=False)
    if report.size:
        out.print(f"tree size {report.size}, root {b64(report.root)}", markup=False)
    if report.since_size is not None and report.ok:
        out.print(f"the log extends the saved checkpoint of size {report.since_size}", markup=False)
    for note in report.notes:
        out.print(f"note: {note}", markup=False)
    if report.ok:
        out.print("OK: every entry, signature, rule, node, checkpoint and derived row checks out", markup=False)
        return
    total = len(report.findings) + report.omitted
    out.print(f"FAILED: {total} finding(s), the earliest in the log first:", markup=False)
    for finding in report.findings[:SHOWN_FINDINGS]:
        out.print(f"  {finding.line}", markup=False)
    if total > SHOWN_FINDINGS:
        out.print(f"  ... and {total - SHOWN_FINDINGS} more (--json lists up to {len(report.findings)})", markup=False)


def audit(
    url: Annotated[
        str | None, typer.Option(help="Audit a remote log through its C2SP tlog-tiles API at this base URL")
    ] = None,
    vkey: Annotated[str | None, typer.Option(help="The log's verifier key [default: the home ledger's]")] = None,
    since: Annotated[
        Path | None, typer.Option(help="A checkpoint saved by an earlier audit (--save): prove the log extends it")
    ] = None,
    save: Annotated[
        Path | None, typer.Option(help="When the audit is clean, save the latest checkpoint here for --since")
    ] = None,
    json_report: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    processes: Annotated[
        int | None, typer.Option(min=0, help="Worker processes verifying signatures [default: one per core]")
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Replay and verify the whole log: signatures, rules, Merkle tree, checkpoints, views and attachments."""
    where = Home.resolve(home, database_url)
    verifier = _verifier(vkey, where, remote=url is not None)
    saved = _read_saved(since) if since is not None else None
    high_water = where.path / HIGH_WATER_FILE
    mark = _read_saved(high_water) if url is None and high_water.is_file() else None
    out = Console(highlight=False, soft_wrap=True)
    with _source(url, where) as source, progress_bar(sys.stderr.isatty() and not json_report, "auditing") as progress:
        report = audit_log(
            source, verifier, verifier.name, since=saved, high_water=mark, processes=processes, progress=progress
        )
    if json_report:
        out.print(json.dumps(report.to_json(), indent=2, ensure_ascii=False), markup=False)
    else:
        _summary(report, out)
    if report.first is not None:
        more = len(report.findings) + report.omitted - 1
        raise AuditFailed(report.first.line + (f" (and {more} more)" if more else ""))
    if save is not None:
        _save(save, report.latest_note)
