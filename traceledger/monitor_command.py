"""``traceledger monitor``: run the risk detectors and log their findings; ``traceledger risks``: the queue.

``monitor scan`` runs every detector (``ledger.risk``) over the whole local log and the portal's scans, and appends
each finding the log does not hold yet, signed with a monitor's key (an actor registered with the ``monitor`` role).
``monitor use`` names the key that ``traceledger serve`` signs findings with as it watches the log
(``traceledger.monitoring``). ``risks`` lists the logged findings, of the local ledger or of a server (``--url``),
as a table or CSV.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from ledger.events.schemas import DETECTORS
from ledger.identifiers import validate_uscc
from ledger.risk import LogDigest
from ledger.store.risks import log_findings, risk_queue, unlogged_findings
from signer.keys import SigningKey, passphrase_from_env_or_prompt
from traceledger.client import RiskRecord
from traceledger.options import DatabaseOption, HomeOption, UrlOption, check_target
from traceledger.roles import KeyOption
from traceledger.settings import Home

monitor_app = typer.Typer(no_args_is_help=True, help="Run the risk detectors and log their findings.")
out = Console(highlight=False, soft_wrap=True)
Status = Literal["open", "acted"]
Detector = Literal[DETECTORS]  # type: ignore[valid-type]


@monitor_app.command("scan")
def monitor_scan(key: KeyOption, home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Run every risk detector over the log and the portal's scans; log each new finding with the monitor key."""
    monitor = SigningKey.load(key, passphrase_from_env_or_prompt("Key passphrase: "))
    ledger = Home.resolve(home, database_url).open(passphrase_from_env_or_prompt("Log key passphrase: "))
    try:
        found = unlogged_findings(ledger, LogDigest())
        results = log_findings(ledger, monitor, found)
    finally:
        ledger.close()
    for result, finding in zip(results, found, strict=False):
        out.print(f"{result.leaf_index} {result.event_id} risk.finding {finding.subject} {finding.detector}")
    out.print(f"{len(results)} new finding(s)")


@monitor_app.command("use")
def monitor_use(key: KeyOption, home: HomeOption = None) -> None:
    """Name the monitor key `traceledger serve` signs risk findings with (decrypted with the server's passphrase)."""
    where = Home.resolve(home)
    SigningKey.load(key, passphrase_from_env_or_prompt("Key passphrase: "))  # a wrong key or passphrase fails now
    where.use_monitor_key(key)
    out.print(f"the server's risk monitor signs with {key.resolve()}")


def _print_table(risks: Sequence[RiskRecord]) -> None:
    table = Table("index", "finding", "detector", "subject", "actor", "status", "evidence")
    for r in risks:
        table.add_row(
            str(r.index), r.finding[:16], r.detector, r.subject, r.actor or "", r.status, str(len(r.evidence))
        )
    wide = None if out.is_terminal else 240  # piped: whole rows, not squeezed into 80 columns
    Console(highlight=False, width=wide).print(table)


def _write_csv(risks: Sequence[RiskRecord]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["index", "finding", "logged_at", "detector", "subject", "actor", "status", "evidence", "actions"])
    for r in risks:
        row = [r.index, r.finding, r.logged_at, r.detector, r.subject, r.actor or "", r.status]
        writer.writerow([*row, " ".join(r.evidence), " ".join(r.actions)])


def risks(
    status: Annotated[Status | None, typer.Option("--status", help="open, or acted on by a sanction or recall")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="USCC of the actor at issue")] = None,
    detector: Annotated[Detector | None, typer.Option("--detector", help="The detector that found it")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout instead of a table")] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    url: UrlOption = None,
) -> None:
    """List the logged risk findings (the regulators' queue), oldest first."""
    check_target(home, database_url, url)
    actor = None if actor is None else validate_uscc(actor)
    filters = {"status": status, "actor": actor, "detector": detector}
    if url is not None:
        from traceledger.client import LedgerClient  # the HTTP stack loads only for --url

        with LedgerClient(url) as client:
            found = client.risks({name: value for name, value in filters.items() if value is not None})
    else:
        ledger = Home.resolve(home, database_url).open()
        try:
            found = [RiskRecord(finding=q.finding, **q.row) for q in risk_queue(ledger, **filters)]
        finally:
            ledger.close()
    (_write_csv if as_csv else _print_table)(found)
