"""``traceledger witness``: placeholder wired into the CLI; the witness helper replaces this module."""

from __future__ import annotations

import typer

witness_app = typer.Typer(no_args_is_help=True, help="Run a C2SP tlog-witness that cosigns checkpoints.")
