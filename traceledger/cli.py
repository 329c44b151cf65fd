"""The ``traceledger`` command line: one sub-command group per concern.

Every command takes ``--home`` / ``--database-url`` the same way; failures print one line and exit non-zero.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from ledger.errors import InvalidEventError, ProofError
from ledger.events.builders import Registrar
from ledger.files import private_folder
from ledger.log.checkpoint import open_checkpoint
from ledger.log.merkle import verify_consistency, verify_inclusion
from signer.encoding import b64, b64decode_strict
from signer.errors import TraceledgerError
from signer.keys import PASSPHRASE_ENV, SigningKey, passphrase_from_env_or_prompt
from signer.note import NoteVerifier
from traceledger.audit_command import audit
from traceledger.complaints_command import complaints
from traceledger.credit_commands import commit, consumer_rate, rate_buyer
from traceledger.credit_export_command import export_credit, verify_credit
from traceledger.export_command import export
from traceledger.lists_command import batches, sanctions
from traceledger.monitor_command import monitor_app, risks
from traceledger.options import DatabaseOption, HomeOption, read_public_key_file, write_key_files
from traceledger.roles import consumer_app, courier_app, merchant_app, producer_app, registrar_app, regulator_app
from traceledger.settings import DATABASE_URL_ENV, HOME_ENV, Home
from traceledger.trace_command import recall_scope_command, trace_command
from traceledger.witness_command import witness_app

if TYPE_CHECKING:
    from litestar import Litestar

app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help="A product traceability ledger."
)
prove_app = typer.Typer(no_args_is_help=True, help="Print Merkle proofs as JSON.")
app.add_typer(prove_app, name="prove")
app.add_typer(registrar_app, name="registrar")
app.add_typer(producer_app, name="producer")
app.add_typer(merchant_app, name="merchant")
app.add_typer(courier_app, name="courier")
app.add_typer(consumer_app, name="consumer")
app.add_typer(regulator_app, name="regulator")
app.add_typer(witness_app, name="witness")
app.add_typer(monitor_app, name="monitor")
app.command()(audit)
app.command()(export)
app.command("export-credit")(export_credit)
app.command("verify-credit")(verify_credit)
app.command("trace")(trace_command)
regulator_app.command("recall-scope")(recall_scope_command)
consumer_app.command("rate")(consumer_rate)
merchant_app.command("rate-buyer")(rate_buyer)
producer_app.command("rate-buyer")(rate_buyer)
producer_app.command("commit")(commit)
merchant_app.command("commit")(commit)
app.command()(risks)
app.command()(sanctions)
app.command()(batches)
app.command()(complaints)
out = Console(highlight=False, soft_wrap=True)


def _read_json(path: Path) -> Any:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as exc:
        raise InvalidEventError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InvalidEventError(f"{path} is not JSON: {exc}") from None


@app.command()
def init(
    origin: Annotated[str, typer.Option(help="The log's origin line, e.g. trace.example.gov.cn/log")],
    registrar_id: Annotated[str, typer.Option(help="USCC of the first registrar")],
    registrar_name: Annotated[str, typer.Option(help="Public name of the first registrar")],
    registrar_key: Annotated[
        Path | None, typer.Option(help="Registrar public key file (from keygen); default: generate keys/registrar")
    ] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create a ledger: log key, database, genesis entry and first checkpoint."""
    where = Home.resolve(home, database_url)
    passphrase = passphrase_from_env_or_prompt("New log key passphrase: ", confirm=True)
    if registrar_key is None:
        registrar_public = _keygen(where.keys_dir, "registrar", passphrase).public_key
    else:
        registrar_public = read_public_key_file(registrar_key)
    ledger = where.create(origin, [Registrar(registrar_id, registrar_name, (registrar_public,))], passphrase)
    out.print(f"created ledger {origin} in {where.path}")
    out.print(ledger.checkpoint().note, end="")
    ledger.close()


def _keygen(directory: Path, name: str, passphrase: str) -> SigningKey:
    private_folder(directory)
    key = SigningKey.generate()
    write_key_files(directory, name, key, passphrase)
    return key


@app.command()
def keygen(
    name: Annotated[str, typer.Argument(help="Key name; writes NAME.pem (encrypted) and NAME.pub")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the key files [default HOME/keys]")] = None,
    home: HomeOption = None,
) -> None:
    """Generate an Ed25519 key, stored as encrypted PKCS#8 PEM."""
    directory = out_dir or Home.resolve(home).keys_dir
    key = _keygen(directory, name, passphrase_from_env_or_prompt("New key passphrase: ", confirm=True))
    out.print(f"kid {key.kid}\npublic_key {b64(key.public_key)}\nwritten {directory / (name + '.pem')}")


@app.command()
def append(
    files: Annotated[list[Path], typer.Argument(help="Envelope JSON files (one envelope or a list each; - is stdin)")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Append DSSE envelopes as one atomic batch and print each one's index and event id."""
    envelopes: list[Any] = []
    for path in files:
        loaded = _read_json(path)
        envelopes.extend(loaded if isinstance(loaded, list) else [loaded])
    ledger = Home.resolve(home, database_url).open(passphrase_from_env_or_prompt("Log key passphrase: "))
    try:
        for result in ledger.append(envelopes):
            state = "appended" if result.created else "already logged"
            out.print(f"{result.leaf_index} {result.event_id} {state} (checkpoint size {result.checkpoint_size})")
    finally:
        ledger.close()


@app.command()
def checkpoint(
    vkey: Annotated[bool, typer.Option("--vkey", help="Print the log's verifier key instead")] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Print the latest signed checkpoint (a C2SP signed note)."""
    where = Home.resolve(home, database_url)
    if vkey:
        out.print(where.settings()["log_vkey"])
        return
    ledger = where.open()
    try:
        out.print(ledger.checkpoint().note, end="")
    finally:
        ledger.close()


@prove_app.command("inclusion")
def prove_inclusion(
    index: Annotated[int | None, typer.Option(help="Leaf index")] = None,
    event_id: Annotated[str | None, typer.Option(help="Event id instead of an index")] = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Print an inclusion proof of one entry against the latest checkpoint."""
    if (index is None) == (event_id is None):
        raise InvalidEventError("give exactly one of --index and --event-id")
    ledger = Home.resolve(home, database_url).open()
    try:
        entry = ledger.entry(index) if index is not None else ledger.entry_by_event_id(str(event_id))
        latest = ledger.checkpoint()
        proof = ledger.inclusion_proof(entry.leaf_index, latest.size)
    finally:
        ledger.close()
    out.print(
        json.dumps(
            {
                "type": "inclusion",
                "leaf_index": entry.leaf_index,
                "tree_size": latest.size,
                "leaf_hash": b64(entry.leaf_hash),
                "proof": [b64(p) for p in proof],
                "checkpoint": latest.note,
            },
            indent=2,
        )
    )


@prove_app.command("consistency")
def prove_consistency(
    old_size: Annotated[int, typer.Argument(help="The earlier tree size")],
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Print a consistency proof from an earlier size to the latest checkpoint."""
    ledger = Home.resolve(home, database_url).open()
    try:
        latest = ledger.checkpoint()
        proof = ledger.consistency_proof(old_size, latest.size)
        old_root = ledger.root(old_size)
    finally:
        ledger.close()
    out.print(
        json.dumps(
            {
                "type": "consistency",
                "old_size": old_size,
                "old_root": b64(old_root),
                "tree_size": latest.size,
                "proof": [b64(p) for p in proof],
                "checkpoint": latest.note,
            },
            indent=2,
        )
    )


@app.command("verify-proof")
def verify_proof(
    proof_file: Annotated[Path, typer.Argument(help="A proof printed by `traceledger prove` (- is stdin)")],
    vkey: Annotated[str | None, typer.Option(help="The log's verifier key [default: the home ledger's]")] = None,
    home: HomeOption = None,
) -> None:
    """Verify a proof against the checkpoint it carries, whose signature is checked under the log key."""
    document = _read_json(proof_file)
    if not isinstance(document, dict) or document.get("type") not in ("inclusion", "consistency"):
        raise ProofError(f"{proof_file} is not a proof written by `traceledger prove`")
    verifier = NoteVerifier.from_vkey(vkey or Home.resolve(home).settings()["log_vkey"])
    latest = open_checkpoint(str(document.get("checkpoint")), verifier, verifier.name)
    try:
        proof = [b64decode_strict(p, "proof", ProofError) for p in document["proof"]]
        if int(document["tree_size"]) != latest.size:
            raise ProofError("the proof's tree size is not the checkpoint's")
        if document["type"] == "inclusion":
            verify_inclusion(
                b64decode_strict(document["leaf_hash"], "leaf_hash", ProofError),
                int(document["leaf_index"]),
                latest.size,
                proof,
                latest.root,
            )
            out.print(f"OK: entry {document['leaf_index']} is in the log of size {latest.size} ({verifier.name})")
        else:
            verify_consistency(
                int(document["old_size"]),
                latest.size,
                b64decode_strict(document["old_root"], "old_root", ProofError),
                latest.root,
                proof,
            )
            out.print(f"OK: size {document['old_size']} is a prefix of the log of size {latest.size}")
    except (KeyError, TypeError, ValueError) as exc:
        raise ProofError(f"{proof_file} is missing or has a malformed field: {exc}") from None


@app.command()
def reindex(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Drop the derived views and rebuild them by replaying every entry through the rules."""
    ledger = Home.resolve(home, database_url).open()
    try:
        before = ledger.views()
        count = ledger.reindex()
        after = ledger.views()
    finally:
        ledger.close()
    changed = sum(1 for row in before.keys() | after.keys() if before.get(row) != after.get(row))
    out.print(f"replayed {count} entries; {len(after)} view rows, {changed} differed from the stored views")


@app.command()
def migrate(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Upgrade the ledger database's schema to this traceledger's (again: nothing to do)."""
    before, after = Home.resolve(home, database_url).migrate()
    if before == after:
        out.print(f"the ledger's schema is at {after} already: nothing to migrate")
    else:
        out.print(f"migrated the ledger's schema from {before} to {after}")


@app.command()
def demo(
    home: Annotated[
        Path | None, typer.Option("--home", help="Demo ledger folder, reused if a demo built it [./traceledger-demo]")
    ] = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API and portal after building")] = True,
    host: Annotated[str, typer.Option(help="Address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to serve on")] = 8000,
) -> None:
    """Build a sample Qujing ledger (ham, vegetables, a recalled drug), print its pages and QR codes, and serve it."""
    from traceledger.demo import run_demo  # the demo loads the web and image stack; other commands need not

    run_demo(home, serve=serve, host=host, port=port)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes; each opens the ledger itself")] = 1,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Serve the HTTP API and the verify portal (uvicorn); the log key's passphrase comes from
    TRACELEDGER_KEY_PASSPHRASE."""
    import uvicorn  # imported here so that the other commands do not pay for loading the web stack

    from traceledger.server import UVICORN_PROXY_HEADERS

    where = Home.resolve(home, database_url)
    where.witnesses()  # a malformed witness in settings.json fails now, in one line, not inside each worker
    where.trusted_proxies()  # so do malformed proxy networks
    passphrase = passphrase_from_env_or_prompt("Log key passphrase: ")
    where.open(passphrase).close()  # a missing ledger or a wrong passphrase fails now, in one line
    where.monitor_key(passphrase)  # so does a monitor key the passphrase does not open
    # Each worker builds its app with served_app(), finding the ledger and the passphrase in its environment.
    os.environ.update({HOME_ENV: str(where.path.resolve()), PASSPHRASE_ENV: passphrase})
    if where.database_url_override:
        os.environ[DATABASE_URL_ENV] = where.database_url_override
    uvicorn.run(
        "traceledger.cli:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=UVICORN_PROXY_HEADERS,
    )


def served_app() -> Litestar:
    """The app of one `serve` worker: the ledger of TRACELEDGER_HOME, opened with TRACELEDGER_KEY_PASSPHRASE."""
    from traceledger.server import api_and_portal

    where = Home.resolve(None)
    passphrase = os.environ.get(PASSPHRASE_ENV, "")
    return api_and_portal(where, lambda: where.open(passphrase), where.monitor_key(passphrase))


def main() -> None:
    """Entry point: run the app, turning every traceledger error into one line on stderr and exit status 1."""
    try:
        app()  # usage errors are reported by typer itself, in one short block, with exit status 2
    except TraceledgerError as exc:
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"error: {exc.title}: {exc.detail}", markup=False)
        raise SystemExit(1) from None
