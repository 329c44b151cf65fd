"""Ed25519 keys: generation, key ids, and encrypted PKCS#8 PEM files.

Signing uses ``cryptography`` (OpenSSL); verification of many signatures uses libsodium through
``pynacl``, which is about twice as fast here and is the ingest bottleneck.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import nacl.bindings
import nacl.exceptions
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signer.errors import KeyFileError, SignatureError, WeakPassphrase
from signer.pkcs8 import encrypt_pkcs8

PASSPHRASE_ENV = "TRACELEDGER_KEY_PASSPHRASE"  # noqa: S105 -- the variable's name, not a secret
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
MIN_PASSPHRASE = 8  # characters, for new keys; keys written before the rule still open


def kid_of(public_key: bytes) -> str:
    """The key id of DESIGN §3: lowercase hex of the first 16 bytes of SHA-256(raw public key)."""
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise SignatureError(f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes, got {len(public_key)}")
    return hashlib.sha256(public_key).digest()[:16].hex()


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` under ``public_key``."""
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        # The binding itself: a VerifyKey object per call would cost a quarter as much again.
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, nacl.exceptions.TypeError):
        return False
    return True


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key with its raw public key and key id."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """A deterministic key from a 32-byte seed (used for reproducible test fixtures and vectors)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def kid(self) -> str:
        return kid_of(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def to_encrypted_pem(self, passphrase: str) -> bytes:
        """Encrypted PKCS#8 under scrypt (``signer.pkcs8``); a new key needs a passphrase of some length."""
        if not passphrase:
            raise KeyFileError("refusing to store a private key without a passphrase")
        if len(passphrase) < MIN_PASSPHRASE:
            raise WeakPassphrase(f"a passphrase for a new key needs at least {MIN_PASSPHRASE} characters")
        info = self.private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return encrypt_pkcs8(info, passphrase.encode())

    @classmethod
    def from_encrypted_pem(cls, pem: bytes, passphrase: str) -> SigningKey:
        try:
            key = serialization.load_pem_private_key(pem, password=passphrase.encode())
        except (ValueError, TypeError, UnsupportedAlgorithm):
            # The message never repeats the passphrase or key material.
            raise KeyFileError("cannot decrypt the key: wrong passphrase or not an encrypted PKCS#8 PEM") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError("the key file does not hold an Ed25519 key")
        return cls(key)

    def save(self, path: Path, passphrase: str) -> None:
        """Write the key encrypted, readable by the owner only; never overwrite an existing key."""
        pem = self.to_encrypted_pem(passphrase)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise KeyFileError(f"{path} already exists; refusing to overwrite a key") from None
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())

    @classmethod
    def load(cls, path: Path, passphrase: str) -> SigningKey:
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
        return cls.from_encrypted_pem(pem, passphrase)


def passphrase_from_env_or_prompt(prompt: str = "Key passphrase: ", *, confirm: bool = False) -> str:
    """The passphrase from ``TRACELEDGER_KEY_PASSPHRASE``, else asked on the terminal without echo."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    if not sys.stdin.isatty():
        # getpass would fall back to reading with echo; a passphrase is never echoed.
        raise KeyFileError(f"no passphrase: set {PASSPHRASE_ENV} or run on a terminal")
    try:
        value = getpass.getpass(prompt)
        if confirm and getpass.getpass("Repeat passphrase: ") != value:
            raise KeyFileError("the passphrases do not match")
    except EOFError:
        raise KeyFileError(f"no passphrase: set {PASSPHRASE_ENV} or run on a terminal") from None
    if not value:
        raise KeyFileError("an empty passphrase is not allowed")
    return value
