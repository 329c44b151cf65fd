"""Errors raised by the signer package, and the base of every traceledger error.

``TraceledgerError`` is the root of the whole hierarchy (see ``ledger.errors`` for the full tree).
Each class names the RFC 9457 problem it maps to, so the API and the CLI describe a failure the same way::

    TraceledgerError
    └── SignerError
        ├── KeyFileError      a key file cannot be read, decrypted or is not Ed25519
        │   └── WeakPassphrase    a new key's passphrase is too short
        ├── SignatureError    a signature does not verify, or a key or signature is malformed
        └── NoteError         a C2SP signed note is malformed or carries no valid known signature
"""

from __future__ import annotations

from typing import ClassVar


class TraceledgerError(Exception):
    """Base of every failure traceledger reports; ``slug`` names its ``/problems/<slug>`` type."""

    slug: ClassVar[str] = "error"
    title: ClassVar[str] = "Traceledger error"
    status: ClassVar[int] = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class SignerError(TraceledgerError):
    slug = "signer-error"
    title = "Signing or verification failed"


class KeyFileError(SignerError):
    slug = "key-file"
    title = "Key file unreadable"


class WeakPassphrase(KeyFileError):
    slug = "weak-passphrase"
    title = "Passphrase too short"


class SignatureError(SignerError):
    slug = "bad-signature"
    title = "Signature does not verify"


class NoteError(SignerError):
    slug = "bad-note"
    title = "Signed note invalid"
