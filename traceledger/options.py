"""What every command shares: where the ledger lives (DESIGN §5, configuration), a server instead (``--url``), and
keygen's key files."""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Annotated

import typer

from ledger.errors import InvalidEventError, InvalidPayload

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Ledger home folder [env TRACELEDGER_HOME; default ./traceledger-data]")
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="Database URL instead of the home's SQLite file [env TRACELEDGER_DATABASE_URL]"
    ),
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", help="A traceledger server, e.g. http://127.0.0.1:8000: read and append through its API instead"
    ),
]


def read_public_key_file(path: Path) -> bytes:
    """The raw Ed25519 public key of a ``.pub`` file written by keygen (``{"kid", "public_key"}``)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidEventError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise InvalidEventError(f"{path} is not JSON: expected a public key file written by keygen") from None
    text = record.get("public_key") if isinstance(record, dict) else None
    try:
        key = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
    except binascii.Error:
        key = b""
    if len(key) != 32:
        raise InvalidEventError(f"{path} is not a public key file written by keygen")
    return key


def check_target(home: Path | None, database_url: str | None, url: str | None) -> None:
    """Either a server (``--url``, checked) or a local ledger, not both."""
    if url is None:
        return
    from traceledger.client import check_url  # the HTTP stack loads only for --url

    if home is not None or database_url is not None:
        raise InvalidPayload("give either --url (a server) or --home / --database-url (a local ledger), not both")
    check_url(url)
