"""Where a ledger lives: the home folder, its settings file, the log key and the database.

``--home`` / ``TRACELEDGER_HOME`` (default ``./traceledger-data``) holds ``settings.json``, the encrypted log key
and, unless ``--database-url`` / ``TRACELEDGER_DATABASE_URL`` points elsewhere, the SQLite database.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ledger.errors import LedgerStateError
from ledger.events.builders import Registrar, genesis_envelope
from ledger.files import private_folder, write_atomically
from ledger.log.checkpoint import CheckpointSigner
from ledger.log.witness_protocol import WitnessEndpoint
from ledger.store import schema
from ledger.store.engine import make_engine, sqlite_url
from ledger.store.high_water import HighWater
from ledger.store.ledger import Ledger
from signer.errors import TraceledgerError
from signer.keys import SigningKey
from signer.note import NoteSigner, NoteVerifier

HOME_ENV = "TRACELEDGER_HOME"
DATABASE_URL_ENV = "TRACELEDGER_DATABASE_URL"
DEFAULT_HOME = Path("traceledger-data")
SETTINGS_FILE = "settings.json"
LOG_KEY_FILE = "log-key.pem"
DATABASE_FILE = "ledger.db"
HIGH_WATER_FILE = "high-water-checkpoint"


def write_json_atomically(path: Path, document: dict[str, Any]) -> None:
    """Replace ``path`` with ``document`` so that a crash leaves the old file or the new one, never half of one."""
    write_atomically(path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def read_json_object(path: Path, missing: TraceledgerError) -> dict[str, Any]:
    """The JSON object ``path`` holds; raises ``missing`` when there is no such file."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise missing from None
    except (OSError, ValueError) as exc:
        raise LedgerStateError(f"cannot read {path}: {exc}") from None
    if not isinstance(loaded, dict):
        raise LedgerStateError(f"{path} does not hold a JSON object")
    return loaded


@dataclass(frozen=True)
class Home:
    path: Path
    database_url_override: str | None = None

    @classmethod
    def resolve(cls, home: Path | None, database_url: str | None = None) -> Home:
        path = home or Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)
        return cls(path, database_url or os.environ.get(DATABASE_URL_ENV) or None)

    @property
    def settings_file(self) -> Path:
        return self.path / SETTINGS_FILE

    @property
    def log_key_file(self) -> Path:
        return self.path / LOG_KEY_FILE

    @property
    def keys_dir(self) -> Path:
        return self.path / "keys"

    def _settings_json(self) -> dict[str, Any]:
        missing = LedgerStateError(f"no ledger at {self.path}: run `traceledger init` first")
        return read_json_object(self.settings_file, missing)

    def settings(self) -> dict[str, str]:
        """The text settings (origin, log_vkey); structured ones such as ``witnesses`` have their own readers."""
        return {str(k): v for k, v in self._settings_json().items() if isinstance(v, str)}

    def witnesses(self) -> list[WitnessEndpoint]:
        """The witnesses each new checkpoint is submitted to (``traceledger witness add``)."""
        entries = self._settings_json().get("witnesses", [])
        try:
            return [WitnessEndpoint.from_config(str(e["url"]), str(e["vkey"])) for e in entries]
        except (KeyError, TypeError) as exc:
            raise LedgerStateError(f"{self.settings_file}: a witness needs a url and a vkey ({exc})") from None

    def trusted_proxies(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The proxies whose forwarding headers the server believes (``"trusted_proxies"``, CIDRs; default none)."""
        values = self._settings_json().get("trusted_proxies", [])
        if not isinstance(values, list):
            raise LedgerStateError(f"{self.settings_file}: trusted_proxies is a list of networks such as 10.0.0.0/8")
        networks = []
        for value in values:
            try:
                networks.append(ipaddress.ip_network(value))
            except (TypeError, ValueError):
                raise LedgerStateError(
                    f"{self.settings_file}: trusted_proxies holds {str(value)[:60]!r}, not a network such as 10.0.0.0/8"
                ) from None
        return tuple(networks)

    def monitor_key_file(self) -> Path | None:
        """The key the server signs risk findings with (``"monitor_key"``: a path, absolute or relative to the
        home), or None when none is configured."""
        value = self._settings_json().get("monitor_key")
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise LedgerStateError(f"{self.settings_file}: monitor_key is the path of a key file from keygen")
        return self.path / value

    def monitor_key(self, passphrase: str | None) -> SigningKey | None:
        """The configured monitor key, decrypted with ``passphrase`` (the server's); None when none is configured,
        or when there is no passphrase (a read-only server logs nothing)."""
        path = self.monitor_key_file()
        return None if path is None or passphrase is None else SigningKey.load(path, passphrase)

    def use_monitor_key(self, key_file: Path) -> None:
        """Name the key the server's risk monitor signs with, rewriting settings.json atomically."""
        settings = self._settings_json()
        settings["monitor_key"] = str(key_file.resolve())
        write_json_atomically(self.settings_file, settings)

    def add_witness(self, witness: WitnessEndpoint) -> None:
        """Add (or, for a known vkey, re-point) a witness, rewriting settings.json atomically."""
        settings = self._settings_json()
        others = [w for w in self.witnesses() if w.verifier != witness.verifier]
        settings["witnesses"] = [{"url": w.url, "vkey": w.verifier.vkey} for w in [*others, witness]]
        write_json_atomically(self.settings_file, settings)

    def database_url(self) -> str:
        return self.database_url_override or sqlite_url(self.path / DATABASE_FILE)

    def high_water(self, verifier: NoteVerifier) -> HighWater:
        """The home's high-water checkpoint file, which every checkpoint the ledger signs must extend."""
        return HighWater(self.path / HIGH_WATER_FILE, verifier, verifier.name)

    def _engine(self, prepare: Callable[[Engine], None]) -> Engine:
        """The database's engine, once ``prepare`` (``schema.check``, or ``schema.create`` for a new ledger) has
        accepted its schema."""
        engine = make_engine(self.database_url())
        try:
            prepare(engine)
        except BaseException:
            engine.dispose()
            raise
        return engine

    def open(self, passphrase: str | None = None) -> Ledger:
        """Open the ledger; with the log key's passphrase it can append (once its database is found to extend
        the high-water checkpoint), without it only read."""
        settings = self.settings()
        origin, vkey = settings["origin"], settings["log_vkey"]
        verifier = NoteVerifier.from_vkey(vkey)
        if passphrase is None:
            return Ledger(self._engine(schema.check), origin, verifier)
        log_key = SigningKey.load(self.log_key_file, passphrase)
        signer = CheckpointSigner(origin, NoteSigner(origin, log_key))
        if signer.verifier_key != vkey:
            raise LedgerStateError("the log key file does not match this ledger's verifier key")
        ledger = Ledger(self._engine(schema.check), origin, verifier, signer, high_water=self.high_water(verifier))
        try:
            ledger.check_high_water()
        except BaseException:
            ledger.close()
            raise
        return ledger

    def migrate(self) -> tuple[str, str]:
        """Upgrade the ledger's database schema to this traceledger's; returns the revisions (from, to)."""
        self.settings()  # a home with no ledger fails here, before an empty database file is made
        engine = make_engine(self.database_url())
        try:
            return schema.migrate(engine)
        finally:
            engine.dispose()

    def create(self, origin: str, registrars: Sequence[Registrar], passphrase: str) -> Ledger:
        """A new ledger: log key, settings, database and the genesis entry with its first checkpoint."""
        if self.settings_file.exists():
            raise LedgerStateError(f"{self.path} already holds a ledger")
        private_folder(self.path)
        self.path.chmod(0o700)  # an empty folder given as the home becomes the ledger's own
        log_key = SigningKey.generate()
        signer = CheckpointSigner(origin, NoteSigner(origin, log_key))
        verifier = NoteVerifier.from_vkey(signer.verifier_key)
        ledger = Ledger(self._engine(schema.create), origin, verifier, signer, high_water=self.high_water(verifier))
        if ledger.size() != 0:
            ledger.close()
            raise LedgerStateError("the database already holds a log; refusing to start another in it")
        log_key.save(self.log_key_file, passphrase)
        ledger.append([genesis_envelope(origin, log_key, registrars).to_json()])
        settings = {"origin": origin, "log_vkey": signer.verifier_key}
        write_json_atomically(self.settings_file, settings)
        return ledger
