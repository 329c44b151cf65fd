"""What every command shares: where the ledger lives (DESIGN §5, configuration), a server instead (``--url``),
keygen's key files, and a consumer's public key in whatever form the shop was given it."""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
from typing import Annotated

import typer

from ledger.errors import InvalidEventError, InvalidPayload
from signer.encoding import b64
from signer.keys import PUBLIC_KEY_SIZE, SigningKey

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


def write_key_files(directory: Path, name: str, key: SigningKey, passphrase: str) -> None:
    """``NAME.pem`` (the key, encrypted) and ``NAME.pub`` (its kid and public key) in ``directory``, as keygen
    writes them."""
    key.save(directory / f"{name}.pem", passphrase)
    (directory / f"{name}.pub").write_text(
        json.dumps({"kid": key.kid, "public_key": b64(key.public_key)}) + "\n", encoding="utf-8"
    )


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


_SPACE = re.compile(r"\s+")


def _key_from_text(text: str) -> bytes | None:
    """A raw public key from its base64 text (standard or URL alphabet, padding optional, spaces and line breaks
    as a copy and paste leaves them ignored), or None when the text is not one."""
    compact = _SPACE.sub("", text).replace("-", "+").replace("_", "/").rstrip("=")
    if not compact or len(compact) > 64:
        return None
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == PUBLIC_KEY_SIZE else None


def _key_from_image(path: Path, option: str) -> bytes:
    from qr.reading import image_texts  # the image stack loads only for an image

    texts = image_texts(path)
    if len(texts) != 1:
        found = "no QR code" if not texts else f"{len(texts)} QR codes"
        raise InvalidPayload(f"{option} {path}: the image holds {found}; give an image of one key's QR code")
    key = _key_from_text(texts[0])
    if key is None:
        raise InvalidPayload(f"{option} {path}: its QR code holds no public key (the consumer page's key code)")
    return key


def read_consignee_key(value: str, option: str = "--consignee-key") -> bytes:
    """A consumer's raw public key as the shop was given it: the base64 text the consumer page shows, a ``.pub``
    file from keygen, a text file holding the base64, or an image (PNG, JPEG, ...) of the page's key QR code."""
    key = _key_from_text(value)
    if key is not None:
        return key
    path = Path(value)
    try:
        content = path.read_bytes()
    except OSError as exc:
        why = "no such file" if isinstance(exc, FileNotFoundError) else exc.strerror
        raise InvalidPayload(
            f"{option} {value!r} is neither a public key (base64 of {PUBLIC_KEY_SIZE} bytes) nor a readable file: {why}"
        ) from None
    if content.lstrip().startswith(b"{"):
        return read_public_key_file(path)
    try:
        key = _key_from_text(content.decode("ascii"))
    except UnicodeDecodeError:
        key = None
    return key if key is not None else _key_from_image(path, option)
