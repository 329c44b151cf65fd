"""The wire format of c2sp.org/tlog-witness ``add-checkpoint``, shared by the witness and the logs that call it.

Request body: ``old <size>\\n``, up to 63 base64 consistency proof lines, an empty line, then the signed checkpoint.
Answers: 200 with cosignature lines; 409 with the witness's latest size as ``text/x.tlog.size``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ledger.log.merkle import HASH_SIZE
from ledger.log.witness_errors import MalformedWitnessRequest, WitnessConfigError
from signer.encoding import b64, b64decode_strict
from signer.errors import NoteError
from signer.note import CosignatureVerifier, NoteSignature, parse_note

MAX_PROOF_LINES = 63
SIZE_MEDIA_TYPE = "text/x.tlog.size"
MAX_REQUEST_BYTES = 64 * 1024  # a checkpoint with 100 signature lines and 63 proof lines is under 16 KiB
_MAX_SIZE_DIGITS = 19  # tree sizes are u64 in every log; longer numbers are refused before int() sees them


def parse_decimal(text: str, what: str) -> int:
    """An ASCII decimal with no leading zeros (``0`` itself allowed), as the spec writes sizes."""
    if not (text.isascii() and text.isdigit()) or (len(text) > 1 and text[0] == "0"):
        raise MalformedWitnessRequest(f"{what} {text[:30]!r} is not a decimal number without leading zeros")
    if len(text) > _MAX_SIZE_DIGITS:
        raise MalformedWitnessRequest(f"{what} has more than {_MAX_SIZE_DIGITS} digits")
    return int(text)


@dataclass(frozen=True)
class AddCheckpoint:
    """An add-checkpoint request: the size the client believes the witness holds, a proof from it, the checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: str  # the signed note, as submitted

    def body(self) -> str:
        lines = [f"old {self.old_size}", *(b64(h) for h in self.proof)]
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def parse(cls, body: str) -> AddCheckpoint:
        split = body.find("\n\n")  # header lines are never empty, so the first blank line ends the header
        if split < 0:
            raise MalformedWitnessRequest("the body has no empty line between the old size and proof and the note")
        header, checkpoint = body[:split].split("\n"), body[split + 2 :]
        if not header[0].startswith("old "):
            raise MalformedWitnessRequest("the body does not start with an 'old <size>' line")
        old_size = parse_decimal(header[0].removeprefix("old "), "old size")
        if len(header) - 1 > MAX_PROOF_LINES:
            raise MalformedWitnessRequest(f"{len(header) - 1} consistency proof lines; at most {MAX_PROOF_LINES}")
        proof = tuple(
            b64decode_strict(line, f"consistency proof line {n}", MalformedWitnessRequest)
            for n, line in enumerate(header[1:], start=1)
        )
        for n, node in enumerate(proof, start=1):
            if len(node) != HASH_SIZE:
                raise MalformedWitnessRequest(f"consistency proof line {n} is {len(node)} bytes, not {HASH_SIZE}")
        return cls(old_size, proof, checkpoint)


def size_body(size: int) -> str:
    """The body of a 409 answer: the witness's latest cosigned size and a newline."""
    return f"{size}\n"


def parse_size_body(text: str) -> int:
    if not text.endswith("\n"):
        raise MalformedWitnessRequest("a text/x.tlog.size body is a decimal size ending in a newline")
    return parse_decimal(text[:-1], "witness tree size")


def parse_cosignature_lines(checkpoint: str, answer: str) -> tuple[NoteSignature, ...]:
    """The signature lines of a 200 answer, read as the spec suggests: appended to the checkpoint note."""
    own = len(parse_note(checkpoint).signatures)
    return parse_note(checkpoint + answer).signatures[own:]


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness a log submits its checkpoints to: its submission prefix and its cosigner key."""

    url: str
    verifier: CosignatureVerifier

    @classmethod
    def from_config(cls, url: str, vkey: str) -> WitnessEndpoint:
        parts = urlsplit(url)
        if parts.username is not None:  # the URL is logged, listed and echoed in errors: it must hold no secret
            raise WitnessConfigError("a witness URL must not hold a user name or password")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise WitnessConfigError(f"witness URL {url[:100]!r} is not an http(s) URL without query or fragment")
        try:
            parts.port  # noqa: B018 -- raises on a malformed port
        except ValueError:
            raise WitnessConfigError(f"witness URL {url[:100]!r} has an invalid port") from None
        try:
            verifier = CosignatureVerifier.from_vkey(vkey)
        except NoteError as exc:
            raise WitnessConfigError(f"witness vkey: {exc.detail}") from None
        return cls(url.rstrip("/"), verifier)

    @property
    def add_checkpoint_url(self) -> str:
        return f"{self.url}/add-checkpoint"
