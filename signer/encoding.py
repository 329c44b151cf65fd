"""Base64 as every signed format here writes it: standard alphabet, with padding, in its one canonical form."""

from __future__ import annotations

import base64
import binascii

from signer.errors import SignatureError, TraceledgerError


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def b64decode_strict(text: str, what: str, error: type[TraceledgerError] = SignatureError) -> bytes:
    """Decode standard padded base64; anything else (URL alphabet, whitespace, other spellings) raises ``error``."""
    if not isinstance(text, str):
        raise error(f"{what} is not a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise error(f"{what} is not valid standard base64") from None
    if b64(raw) != text:
        raise error(f"{what} is not canonical padded standard base64")
    return raw
