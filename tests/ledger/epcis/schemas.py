"""GS1's EPCIS 2.0 JSON schemas (read in place), and the checks every exported document must pass."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource

from ledger.epcis.export import as_of, entries_logged, epcis_document, epcis_events
from ledger.epcis.hashing import document_prefixes, event_hash_id
from ledger.store.ledger import Ledger
from tests.ledger.epcis.reference import reference_hashes
from tests.vectors import SHARED_VECTORS

SCHEMA_DIR = SHARED_VECTORS / "epcis-schema"


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@cache
def validators() -> tuple[Draft7Validator, Draft7Validator]:
    """The single-file schema, and the root schema with every file it refers to (by their ``$id``), both checking
    formats (uri, date-time)."""
    inline = Draft7Validator(_load(SCHEMA_DIR / "EPCIS-JSON-Schema-inline.json"), format_checker=FormatChecker())
    files = sorted(SCHEMA_DIR.glob("EPCIS-*.json")) + sorted((SCHEMA_DIR / "schemas").glob("*.json"))
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in map(_load, files) if "$id" in schema
    )
    root = Draft7Validator(
        _load(SCHEMA_DIR / "EPCIS-JSON-Schema-root.json"), registry=registry, format_checker=FormatChecker()
    )
    return inline, root


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Every way ``document`` breaks either form of the EPCIS 2.0 schema (empty when it is valid)."""
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for validator in validators()
        for error in validator.iter_errors(document)
    ]


def assert_valid_export(document: dict[str, Any]) -> None:
    """A valid EPCIS 2.0 document whose eventIDs are the events' hash IDs, as ours and the reference compute them."""
    errors = schema_errors(document)
    assert not errors, f"the export breaks the EPCIS 2.0 schema: {errors[:5]}"
    events = document["epcisBody"]["eventList"]
    prefixes = document_prefixes(document["@context"])
    ids = [event["eventID"] for event in events]
    assert ids == [event_hash_id(event, prefixes) for event in events]
    assert reference_hashes(document) == ids, "the reference implementation hashes our events differently"


def log_document(ledger: Ledger) -> dict[str, Any]:
    """The whole log as one EPCIS document."""
    return epcis_document(epcis_events(ledger, entries_logged(ledger, None, None)), as_of(ledger))
