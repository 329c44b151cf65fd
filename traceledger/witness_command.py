"""``traceledger witness``: run a C2SP tlog-witness, and point a ledger at the witnesses that cosign its checkpoints.

A witness lives in its own folder (``--dir`` / ``TRACELEDGER_WITNESS_HOME``, default ``./traceledger-witness``),
apart from any ledger, since it is run by someone who does not trust the log operator: ``witness.json`` (its name,
verifier key and the logs it follows), its encrypted key and ``witness.db`` (the latest checkpoint it cosigned
of each log). ``init``, ``trust``, ``vkey`` and ``serve`` work on that folder; ``add`` and ``list`` are the log
operator's, on the ledger home.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ledger.errors import LedgerStateError
from ledger.files import private_folder
from ledger.log.checkpoint import ORIGIN_RE
from ledger.log.witness_errors import WitnessConfigError
from ledger.log.witness_protocol import WitnessEndpoint
from signer.errors import NoteError
from signer.keys import SigningKey, passphrase_from_env_or_prompt
from signer.note import CosignatureSigner, CosignatureVerifier, NoteVerifier
from traceledger.options import HomeOption
from traceledger.settings import Home, read_json_object, write_json_atomically
from witness.state import WitnessState
from witness.witness import TrustedLog, Witness

WITNESS_HOME_ENV = "TRACELEDGER_WITNESS_HOME"
DEFAULT_WITNESS_HOME = Path("traceledger-witness")
CONFIG_FILE = "witness.json"
KEY_FILE = "witness-key.pem"
STATE_FILE = "witness.db"

witness_app = typer.Typer(no_args_is_help=True, help="Run a C2SP tlog-witness that cosigns checkpoints.")
out = Console(highlight=False, soft_wrap=True)

WitnessDirOption = Annotated[
    Path | None,
    typer.Option("--dir", help="Witness folder [env TRACELEDGER_WITNESS_HOME; default ./traceledger-witness]"),
]


def _log_key(vkey: str) -> NoteVerifier:
    try:
        return NoteVerifier.from_vkey(vkey)
    except NoteError as exc:
        raise WitnessConfigError(f"log vkey: {exc.detail}") from None


@dataclass(frozen=True)
class WitnessHome:
    """The witness's folder: its settings, its encrypted key and its state database."""

    path: Path

    @classmethod
    def resolve(cls, path: Path | None) -> WitnessHome:
        return cls(path or Path(os.environ.get(WITNESS_HOME_ENV) or DEFAULT_WITNESS_HOME))

    @property
    def config_file(self) -> Path:
        return self.path / CONFIG_FILE

    def config(self) -> dict[str, Any]:
        missing = WitnessConfigError(f"no witness at {self.path}: run `traceledger witness init` first")
        return read_json_object(self.config_file, missing)

    def create(self, name: str, passphrase: str) -> CosignatureSigner:
        if self.config_file.exists():
            raise WitnessConfigError(f"{self.path} already holds a witness")
        key = SigningKey.generate()
        try:
            cosigner = CosignatureSigner(name, key)
        except NoteError as exc:
            raise WitnessConfigError(f"witness name: {exc.detail}") from None
        private_folder(self.path)
        key.save(self.path / KEY_FILE, passphrase)
        write_json_atomically(self.config_file, {"name": name, "vkey": cosigner.vkey, "logs": []})
        return cosigner

    def trust(self, vkey: str, origin: str | None = None) -> TrustedLog:
        """Follow the log of ``origin`` (default: the key's name, as logs name their keys) under the key ``vkey``."""
        verifier = _log_key(vkey)
        origin = origin or verifier.name
        if not ORIGIN_RE.fullmatch(origin):
            raise WitnessConfigError(f"log origin {origin!r} must be non-empty and contain no whitespace")
        config = self.config()
        logs = [entry for entry in config["logs"] if (entry["origin"], entry["vkey"]) != (origin, verifier.vkey)]
        config["logs"] = [*logs, {"origin": origin, "vkey": verifier.vkey}]
        write_json_atomically(self.config_file, config)
        return next(log for log in self.logs() if log.origin == origin)

    def logs(self) -> list[TrustedLog]:
        keys: dict[str, list[NoteVerifier]] = {}
        for entry in self.config()["logs"]:
            keys.setdefault(str(entry["origin"]), []).append(NoteVerifier.from_vkey(str(entry["vkey"])))
        return [TrustedLog(origin, tuple(verifiers)) for origin, verifiers in keys.items()]

    def vkey(self) -> str:
        return CosignatureVerifier.from_vkey(str(self.config()["vkey"])).vkey

    def open(self, passphrase: str) -> Witness:
        config = self.config()
        cosigner = CosignatureSigner(str(config["name"]), SigningKey.load(self.path / KEY_FILE, passphrase))
        if cosigner.vkey != config["vkey"]:
            raise LedgerStateError("the witness key file does not match this witness's verifier key")
        return Witness(cosigner, self.logs(), WitnessState(self.path / STATE_FILE))


@witness_app.command()
def init(
    name: Annotated[str, typer.Option(help="The witness's key name, e.g. witness.samr.example/w1")],
    log: Annotated[list[str] | None, typer.Option("--log", help="Verifier key of a log to follow (repeatable)")] = None,
    directory: WitnessDirOption = None,
) -> None:
    """Create a witness: its key (encrypted), its settings and the logs it follows; print its verifier key."""
    home = WitnessHome.resolve(directory)
    logs = [_log_key(vkey) for vkey in log or []]  # checked before anything is written
    passphrase = passphrase_from_env_or_prompt("New witness key passphrase: ", confirm=True)
    cosigner = home.create(name, passphrase)
    for verifier in logs:
        home.trust(verifier.vkey)
    out.print(f"created witness {name} in {home.path}\n{cosigner.vkey}")


@witness_app.command()
def trust(
    vkey: Annotated[str, typer.Option(help="The log's verifier key (its checkpoints' signing key)")],
    origin: Annotated[str | None, typer.Option(help="The log's origin line [default: the key's name]")] = None,
    directory: WitnessDirOption = None,
) -> None:
    """Follow a log: cosign its checkpoints signed by this key."""
    followed = WitnessHome.resolve(directory).trust(vkey, origin)
    out.print(f"following {followed.origin} ({len(followed.verifiers)} key(s))")


@witness_app.command()
def vkey(directory: WitnessDirOption = None) -> None:
    """Print the witness's verifier key, for the logs that submit to it (`traceledger witness add --vkey`)."""
    out.print(WitnessHome.resolve(directory).vkey())


@witness_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on")] = 8100,
    directory: WitnessDirOption = None,
) -> None:
    """Serve POST /add-checkpoint (uvicorn); the key's passphrase comes from TRACELEDGER_KEY_PASSPHRASE or a prompt."""
    import uvicorn  # imported here so that the other commands do not pay for loading the web stack

    from traceledger.server import UVICORN_PROXY_HEADERS, witness_server

    witness = WitnessHome.resolve(directory).open(passphrase_from_env_or_prompt("Witness key passphrase: "))
    uvicorn.run(witness_server(witness), host=host, port=port, proxy_headers=UVICORN_PROXY_HEADERS)


@witness_app.command()
def add(
    url: Annotated[str, typer.Option(help="The witness's submission prefix, e.g. https://witness.example/")],
    vkey: Annotated[str, typer.Option("--vkey", help="The witness's verifier key (`traceledger witness vkey`)")],
    home: HomeOption = None,
) -> None:
    """Submit this ledger's checkpoints to a witness (read when the server starts)."""
    where = Home.resolve(home)
    witness = WitnessEndpoint.from_config(url, vkey)
    where.add_witness(witness)
    out.print(f"checkpoints of {where.settings()['origin']} will be submitted to {witness.verifier.name} at {url}")


@witness_app.command("list")
def list_witnesses(home: HomeOption = None) -> None:
    """Print the witnesses this ledger submits its checkpoints to, one `<url> <vkey>` a line."""
    for witness in Home.resolve(home).witnesses():
        out.print(f"{witness.url} {witness.verifier.vkey}")
