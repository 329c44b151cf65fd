"""Options every command takes the same way: where the ledger lives (DESIGN §5, configuration)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Ledger home folder [env TRACELEDGER_HOME; default ./traceledger-data]")
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="Database URL instead of the home's SQLite file [env TRACELEDGER_DATABASE_URL]"
    ),
]
