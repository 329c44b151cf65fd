"""C2SP signed notes (https://c2sp.org/signed-note): text signed by one or more named keys.

Checkpoints of the log are published as signed notes so that standard transparency-log tooling
(witnesses, monitors) can read and cosign them. Two signature types are signed and verified here:
Ed25519 (type 0x01, the log's own signature) and Ed25519 cosignatures (type 0x04, c2sp.org/tlog-cosignature:
a witness's timestamped statement that the checkpoint is consistent with every earlier one it saw).
Signatures of other types are parsed and carried unverified.

Rules beyond the letter of the spec, chosen so a note has exactly one accepted serialization:

* At most ``MAX_SIGNATURES`` (100) signature lines per note; the spec requires accepting 16.
* Base64 must be canonical standard base64 with padding (RFC 4648 §4), as every encoder writes it.
* Duplicate lines by the same key (same name and key id): the spec says the name and key id
  identify the key and that a signature matching a known key MUST be verified, so ``open_note``
  verifies every such line; one bad copy rejects the note and valid copies count as one signer.
  ``sign_note`` never writes duplicates: a new signature replaces the existing one by that key.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Self, TypeVar

from signer.encoding import b64, b64decode_strict
from signer.errors import NoteError
from signer.keys import PUBLIC_KEY_SIZE, SIGNATURE_SIZE, SigningKey, verify_signature

ED25519_TYPE = 0x01
COSIGNATURE_TYPE = 0x04
MAX_SIGNATURES = 100

_KEY_ID_SIZE = 4
_SIG_PREFIX = "\u2014 "  # em dash, space
_COSIGNATURE_SIZE = 8 + SIGNATURE_SIZE  # u64 timestamp || Ed25519 signature
_MAX_TIMESTAMP = 2**63 - 1
_COSIGNATURE_HEADER = "cosignature/v1\n"


def _check_name(name: str) -> None:
    if not name:
        raise NoteError("key name is empty")
    if "+" in name:
        raise NoteError(f"key name {name!r} contains '+'")
    if any(ch.isspace() for ch in name):
        raise NoteError(f"key name {name!r} contains a space")
    _check_chars(name, "key name")


def _check_chars(value: str, what: str) -> None:
    """Valid UTF-8 (no lone surrogates) and no ASCII control character other than newline."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError(f"{what} is not valid UTF-8 (lone surrogate at offset {exc.start})") from None
    for offset, ch in enumerate(value):
        if ch < " " and ch != "\n":
            raise NoteError(f"{what} contains control character U+{ord(ch):04X} at offset {offset}")


def _check_text(text: str) -> None:
    if not text:
        raise NoteError("note text is empty")
    if not text.endswith("\n"):
        raise NoteError("note text does not end with a newline")
    _check_chars(text, "note text")


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || type byte || public key)[:4], the spec's recommended 4-byte key id."""
    _check_name(name)
    if not 0 <= sig_type <= 0xFF:
        raise NoteError(f"signature type must be one byte, got {sig_type}")
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()
    return digest[:_KEY_ID_SIZE]


class Verifier(ABC):
    """A trusted key that checks the signature lines made under its name and key id (of its signature type)."""

    name: str
    key_id: bytes

    @abstractmethod
    def verify(self, text: str, sig: NoteSignature) -> bool:
        """True when ``sig`` is this key's valid signature of ``text``."""


_V = TypeVar("_V", bound=Verifier)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key name, its 4-byte key id, and the signature bytes after the id."""

    name: str
    key_id: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.key_id) != _KEY_ID_SIZE:
            raise NoteError(f"key id must be {_KEY_ID_SIZE} bytes, got {len(self.key_id)}")
        if not self.signature:
            raise NoteError(f"signature by {self.name} is empty")

    def line(self) -> str:
        """The serialized signature line, ``— <name> base64(key id || signature)`` and a newline."""
        encoded = b64(self.key_id + self.signature)
        return f"{_SIG_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    """A note text and its signatures, valid by construction (not necessarily verified)."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def __post_init__(self) -> None:
        _check_text(self.text)
        if not self.signatures:
            raise NoteError("a signed note needs at least one signature")
        if len(self.signatures) > MAX_SIGNATURES:
            raise NoteError(f"note has {len(self.signatures)} signatures, more than {MAX_SIGNATURES}")

    def serialize(self) -> str:
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)


def _parse_line(line: str, number: int) -> NoteSignature:
    where = f"signature line {number}"
    if not line.startswith(_SIG_PREFIX):
        raise NoteError(f"{where} does not start with an em dash (U+2014) and a space")
    parts = line[len(_SIG_PREFIX) :].split(" ")
    if len(parts) != 2:
        raise NoteError(f"{where} is not '\u2014 <key name> <base64>' (key names cannot contain spaces)")
    name, encoded = parts
    try:
        _check_name(name)
    except NoteError as exc:
        raise NoteError(f"{where}: {exc.detail}") from None
    raw = b64decode_strict(encoded, f"{where} signature", NoteError)
    if len(raw) <= _KEY_ID_SIZE:
        raise NoteError(f"{where} holds {len(raw)} bytes, not a key id and a signature")
    return NoteSignature(name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:])


def parse_note(note: str) -> Note:
    """Split a serialized note into text and signatures, checking syntax only (nothing is verified)."""
    _check_chars(note, "note")
    if not note.endswith("\n"):
        raise NoteError("note does not end with a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line separating the text from the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise NoteError("note has no signature lines after the blank line")
    lines = block[:-1].split("\n")  # no empty line: the separator is the last blank line
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has {len(lines)} signature lines, more than {MAX_SIGNATURES}")
    return Note(text, tuple(_parse_line(line, i) for i, line in enumerate(lines, start=1)))


class NoteSigner:
    """Signs note texts with an Ed25519 key under a key name."""

    def __init__(self, name: str, key: SigningKey) -> None:
        self.name = name
        self._key = key
        self.key_id = key_id(name, ED25519_TYPE, key.public_key)

    def __repr__(self) -> str:  # never shows the private key
        return f"NoteSigner(name={self.name!r}, key_id={self.key_id.hex()})"

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self._key.public_key)

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    def sign(self, text: str) -> NoteSignature:
        _check_text(text)
        return NoteSignature(self.name, self.key_id, self._key.sign(text.encode("utf-8")))


@dataclass(frozen=True)
class _Ed25519Key(Verifier):
    """An Ed25519 public key under a key name, for signatures of type ``SIG_TYPE``, with that type's key id."""

    SIG_TYPE: ClassVar[int]
    TYPE_RULE: ClassVar[str]  # why a vkey of another type is refused

    name: str
    public_key: bytes
    key_id: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.public_key) != PUBLIC_KEY_SIZE:
            raise NoteError(f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes, got {len(self.public_key)}")
        object.__setattr__(self, "key_id", key_id(self.name, self.SIG_TYPE, self.public_key))

    @property
    def vkey(self) -> str:
        """``<name>+<hex key id>+<base64(type || public key)>``, the signed-note verifier key encoding."""
        return f"{self.name}+{self.key_id.hex()}+{b64(bytes([self.SIG_TYPE]) + self.public_key)}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        """Parse a vkey, refusing any signature type but this class's."""
        parts = vkey.split("+", 2)  # the name and key id hold no '+'; the base64 key may
        if len(parts) != 3:
            raise NoteError("a vkey is '<name>+<hex key id>+<base64 key>'")
        name, id_hex, encoded = parts
        if len(id_hex) != 2 * _KEY_ID_SIZE or any(c not in "0123456789abcdefABCDEF" for c in id_hex):
            raise NoteError(f"vkey key id {id_hex!r} is not {2 * _KEY_ID_SIZE} hex digits")
        raw = b64decode_strict(encoded, "vkey key", NoteError)
        if not raw or raw[0] != cls.SIG_TYPE:
            found = f"0x{raw[0]:02x}" if raw else "nothing"
            raise NoteError(f"vkey signature type is {found}; {cls.TYPE_RULE}")
        verifier = cls(name, raw[1:])
        if verifier.key_id != bytes.fromhex(id_hex):
            raise NoteError(f"vkey key id {id_hex} does not match its name and key ({verifier.key_id.hex()})")
        return verifier


class NoteVerifier(_Ed25519Key):
    """A trusted Ed25519 public key under a key name."""

    SIG_TYPE = ED25519_TYPE
    TYPE_RULE = "only Ed25519 (0x01) keys verify notes"

    def verify(self, text: str, sig: NoteSignature) -> bool:
        """True when ``sig`` is this key's valid signature of ``text``."""
        if sig.name != self.name or sig.key_id != self.key_id:
            return False
        try:
            message = text.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return verify_signature(self.public_key, message, sig.signature)


def sign_note(text: str, signers: Sequence[NoteSigner], existing: Note | None = None) -> str:
    """Sign ``text`` with every signer and return the serialized note.

    With ``existing`` (a note of the same text), its signatures are kept unverified, in order, except
    that a signature by one of ``signers`` (same name and key id) is replaced by the new one.
    """
    _check_text(text)
    if not signers:
        raise NoteError("no signers given")
    if existing is not None and existing.text != text:
        raise NoteError("the existing note has a different text")
    new: dict[tuple[str, bytes], NoteSignature] = {}
    for signer in signers:
        key = (signer.name, signer.key_id)
        if key in new:
            raise NoteError(f"signer {signer.name} ({signer.key_id.hex()}) given twice")
        new[key] = signer.sign(text)
    replaced = set(new)
    signatures: list[NoteSignature] = []
    for sig in existing.signatures if existing is not None else ():
        key = (sig.name, sig.key_id)
        if key in new:
            sig = new.pop(key)  # the new signature takes the old one's place
        elif key in replaced:
            continue  # a further copy by a key just re-signed
        if sig not in signatures:  # exact duplicate lines are written once
            signatures.append(sig)
    signatures.extend(new.values())
    return Note(text, tuple(signatures)).serialize()


def open_note(note: str, verifiers: Sequence[_V]) -> tuple[Note, tuple[_V, ...]]:
    """Parse and verify ``note``; return it with the known verifiers whose signatures are valid.

    Signatures by unknown keys (name and key id not both matching a verifier) are ignored. Raises
    ``NoteError`` if any signature by a known key is invalid or no known key signed the note.
    """
    parsed = parse_note(note)
    known: dict[tuple[str, bytes], _V] = {}
    for candidate in verifiers:
        if known.setdefault((candidate.name, candidate.key_id), candidate) != candidate:
            raise NoteError(f"two verifiers share name {candidate.name} and key id {candidate.key_id.hex()}")
    signed: list[_V] = []
    for sig in parsed.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue  # unknown key: ignored, as the spec requires
        if not verifier.verify(parsed.text, sig):
            raise NoteError(f"signature by known key {sig.name} ({sig.key_id.hex()}) does not verify")
        if verifier not in signed:
            signed.append(verifier)
    if not signed:
        raise NoteError(f"none of the {len(parsed.signatures)} signatures is by a known key")
    return parsed, tuple(signed)


def parse_cosignature(sig: NoteSignature) -> tuple[int, bytes]:
    """Split a tlog-cosignature Ed25519 (type 0x04) signature into (timestamp, 64-byte signature).

    This only parses (``CosignatureVerifier`` verifies). Whether a line is a cosignature is known
    from its key id, ``key_id(name, COSIGNATURE_TYPE, public_key)``.
    """
    if len(sig.signature) != _COSIGNATURE_SIZE:
        raise NoteError(f"cosignature by {sig.name} is {len(sig.signature)} bytes, not {_COSIGNATURE_SIZE}")
    timestamp = int.from_bytes(sig.signature[:8], "big")
    if timestamp > _MAX_TIMESTAMP:
        raise NoteError(f"cosignature by {sig.name} has a timestamp above 2^63 - 1")
    return timestamp, sig.signature[8:]


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What a type 0x04 cosignature signs: ``cosignature/v1\\ntime <timestamp>\\n`` and the whole note text."""
    _check_text(text)
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is outside 0 to 2^63 - 1")
    return f"{_COSIGNATURE_HEADER}time {timestamp}\n{text}".encode()


class CosignatureSigner:
    """Cosigns note texts (checkpoints) with an Ed25519 key under a cosigner name, as a witness does."""

    def __init__(self, name: str, key: SigningKey) -> None:
        self.name = name
        self._key = key
        self.key_id = key_id(name, COSIGNATURE_TYPE, key.public_key)

    def __repr__(self) -> str:  # never shows the private key
        return f"CosignatureSigner(name={self.name!r}, key_id={self.key_id.hex()})"

    @property
    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self._key.public_key)

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    def cosign(self, text: str, timestamp: int) -> NoteSignature:
        """The signature line ``<name> base64(key id || u64 timestamp || Ed25519 signature)`` over ``text``."""
        if timestamp <= 0:
            raise NoteError("a cosignature's timestamp is the POSIX time it was made, never 0")
        signature = self._key.sign(cosignature_message(text, timestamp))
        return NoteSignature(self.name, self.key_id, timestamp.to_bytes(8, "big") + signature)


class CosignatureVerifier(_Ed25519Key):
    """A trusted cosigner (witness): its name and Ed25519 public key, with the type 0x04 key id."""

    SIG_TYPE = COSIGNATURE_TYPE
    TYPE_RULE = "a cosigner vkey has type 0x04"

    def timestamp(self, text: str, sig: NoteSignature) -> int | None:
        """The time this cosigner vouches for in ``sig`` when it is its valid cosignature of ``text``, else None."""
        if sig.name != self.name or sig.key_id != self.key_id:
            return None
        try:
            timestamp, signature = parse_cosignature(sig)
            message = cosignature_message(text, timestamp)
        except NoteError:
            return None
        return timestamp if verify_signature(self.public_key, message, signature) else None

    def verify(self, text: str, sig: NoteSignature) -> bool:
        """True when ``sig`` is this cosigner's valid cosignature of ``text``."""
        return self.timestamp(text, sig) is not None
