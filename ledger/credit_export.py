"""Daily exports of credit records for the provincial credit platform, bound to the log checkpoint they come from.

The export of a day (a calendar day in China Standard Time, UTC+8) holds one record per actor whose credit file an
entry logged that day touched, as the file stood after the day's last entry: the log's first ``entries`` entries
are replayed through the rules (as reindex does), so the export of a past day is the same whenever it is made.
Those entries are checked against the smallest signed checkpoint covering them (their Merkle tree is rebuilt, its
root must be the checkpoint's). Each export file has a companion ``<file>.checkpoint`` (JSON): that checkpoint note
as signed, and a note signed by the log key binding the file's SHA-256 to the day, the entry count and the
checkpoint (its text's second line is the origin, never a tree size, so it cannot pass for a checkpoint). Anyone
with the log's verifier key can check a file offline (``verify_export``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import func, select

from ledger.errors import CheckpointError, LedgerError, LedgerStateError, NotFound
from ledger.events import LogEntry, log_time, parse_time
from ledger.log.checkpoint import Checkpoint, open_checkpoint
from ledger.log.merkle import Frontier, leaf_hash
from ledger.rules import State, apply_event
from ledger.rules.credit import UPHELD, ratings_received
from ledger.rules.views import ACTORS, CREDIT, ActorRow, CreditRow
from ledger.store.credit import record_of
from ledger.store.ledger import Ledger
from ledger.store.tables import CHECKPOINTS, ENTRIES
from signer.errors import NoteError
from signer.note import NoteSigner, NoteVerifier, open_note, sign_note

EXPORT_FORMAT = "traceledger-credit-export/1"
CHINA_TIME = timezone(timedelta(hours=8))
#: The CSV columns, in order (README: "Credit export").
COLUMNS = (
    "day", "uscc", "name", "level", "rule", "as_of", "touched_by", "registered_by", "licences", "red_list",
    "black_list", "sanctions", "complaints", "complaints_upheld", "complaints_open", "mean_resolution_hours",
    "recalls", "recalls_ordered", "inspections_failed", "ratings", "ratings_average", "risk_findings_open",
    "reasons",
)  # fmt: skip


@dataclass(frozen=True)
class CreditExport:
    day: date
    origin: str
    entries: int  # the log's first entries the records come from
    checkpoint: Checkpoint  # the smallest signed checkpoint covering them
    records: list[tuple[CreditRow, ActorRow | None]]  # by USCC


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day's first instant and the next day's, in UTC."""
    start = datetime.combine(day, time(), CHINA_TIME).astimezone(UTC)
    return start, start + timedelta(days=1)


def _replay(ledger: Ledger, count: int, size: int) -> tuple[State, bytes]:
    """The rules' state after the first ``count`` entries, and the Merkle root of the first ``size`` (>= count)."""
    state, frontier = State(), Frontier()
    with ledger.engine.connect() as conn:
        for start in range(0, size, 1000):
            rows = conn.execute(
                select(ENTRIES.c.leaf_index, ENTRIES.c.data)
                .where(ENTRIES.c.leaf_index >= start, ENTRIES.c.leaf_index < min(start + 1000, size))
                .order_by(ENTRIES.c.leaf_index)
            ).all()
            for index, data in rows:
                frontier.append(leaf_hash(bytes(data)))
                if index >= count:
                    continue
                entry = LogEntry.parse(bytes(data))
                try:
                    apply_event(state, entry.event, index, entry.logged_moment)
                except LedgerError as exc:
                    raise LedgerStateError(f"entry {index} no longer passes the rules: {exc.detail}") from None
    return state, frontier.root()


def credit_export(ledger: Ledger, day: date) -> CreditExport:
    """The credit records of ``day``; ``NotFound`` when no signed checkpoint covers the day's entries yet."""
    start, end = day_bounds(day)
    with ledger.engine.connect() as conn:
        logged = select(func.count()).select_from(ENTRIES).where(ENTRIES.c.logged_at < log_time(end))
        count = int(conn.execute(logged).scalar_one())
        covering = conn.execute(select(func.min(CHECKPOINTS.c.size)).where(CHECKPOINTS.c.size >= count)).scalar()
    if covering is None:
        raise NotFound(f"no signed checkpoint covers the entries logged by the end of {day.isoformat()} yet")
    checkpoint = ledger.checkpoint(int(covering))
    state, root = _replay(ledger, count, checkpoint.size)
    if root != checkpoint.root:
        raise LedgerStateError(f"the stored entries do not have the root of the checkpoint of size {checkpoint.size}")
    keys = [key for (view, key), row in state.take_changes().items() if view == CREDIT and row is not None]
    files = {key: row for key in keys if (row := state.get(CREDIT, key)) is not None}
    touched = sorted(key for key, row in files.items() if start <= parse_time(row["as_of"], "as_of") < end)
    records = [(files[key], state.get(ACTORS, key)) for key in touched]
    return CreditExport(day, ledger.origin, count, checkpoint, records)


def _summary(export: CreditExport, file: CreditRow, actor: ActorRow | None) -> dict[str, str]:
    """One CSV row: the file as of its ``as_of`` (the instant its level was judged at)."""
    record = record_of(actor, file, parse_time(file["as_of"], "as_of"))
    sections, level = file["sections"], file["level"]
    complaints = sections.get("complaints", [])
    times = [c["resolution_seconds"] for c in complaints if c["resolution_seconds"] is not None]
    rated, average, _ = ratings_received(sections)
    return {
        "day": export.day.isoformat(), "uscc": file["actor"], "name": record.name or "", "level": level["level"],
        "rule": level["rule"], "as_of": file["as_of"], "touched_by": file["touched_by"],
        "registered_by": (record.registration["by"] if record.registration else None) or "",
        "licences": ";".join(f"{lc.licence['type']}:{lc.licence['number']}:{lc.licence['valid_until']}"
                             for lc in record.licences),
        "red_list": str(int(bool(record.listed("red")))), "black_list": str(int(bool(record.listed("black")))),
        "sanctions": ";".join(f"{s.fact['list']}:{s.status}:{s.fact['event']}" for s in record.sanctions),
        "complaints": str(len(complaints)),
        "complaints_upheld": str(sum(1 for c in complaints if c["outcome"] in UPHELD)),
        "complaints_open": str(sum(1 for c in complaints if c["outcome"] is None)),
        "mean_resolution_hours": f"{sum(times) / len(times) / 3600:.1f}" if times else "",
        "recalls": str(len(sections.get("recalls", []))),
        "recalls_ordered": str(sum(1 for r in sections.get("recalls", []) if r["ordered"])),
        "inspections_failed": str(len(sections.get("inspections_failed", []))),
        "ratings": str(rated), "ratings_average": f"{average:.2f}" if rated else "",
        "risk_findings_open": str(sum(1 for r in sections.get("risk_findings", []) if r["status"] == "open")),
        "reasons": ";".join(f"{r['reason']}:{','.join(r['events'])}" for r in level["because"]),
    }  # fmt: skip


def export_csv(export: CreditExport) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for file, actor in export.records:
        writer.writerow(_summary(export, file, actor))
    return out.getvalue().encode("utf-8")


def export_json(export: CreditExport) -> bytes:
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT, "day": export.day.isoformat(), "origin": export.origin, "entries": export.entries,
        "tree_size": export.checkpoint.size,
        "records": [{"name": actor["name"] if actor else None, **file} for file, actor in export.records],
    }  # fmt: skip
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")


def _binding_text(name: str, digest: str, export_day: str, entries: int, checkpoint: Checkpoint) -> str:
    return f"{EXPORT_FORMAT}\n{checkpoint.origin}\n{name}\n{export_day}\nsha256 {digest}\nentries {entries}\n" + (
        f"checkpoint {checkpoint.size} {checkpoint.body.split(chr(10))[2]}\n"
    )


def companion(export: CreditExport, name: str, content: bytes, log_signer: NoteSigner) -> bytes:
    """The ``<name>.checkpoint`` file: the checkpoint note and the log key's note binding ``content`` to it."""
    digest = hashlib.sha256(content).hexdigest()
    text = _binding_text(name, digest, export.day.isoformat(), export.entries, export.checkpoint)
    document = {
        "format": EXPORT_FORMAT, "file": name, "sha256": digest, "day": export.day.isoformat(),
        "entries": export.entries, "checkpoint": export.checkpoint.note, "binding": sign_note(text, [log_signer]),
    }  # fmt: skip
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")


def verify_export(name: str, content: bytes, companion_bytes: bytes, verifier: NoteVerifier, origin: str) -> Checkpoint:
    """Check an export file against its companion under the log's verifier key; the checkpoint it is bound to
    (``CheckpointError`` when the file is not the one the log key bound to it)."""
    try:
        document = json.loads(companion_bytes)
        checkpoint = open_checkpoint(str(document["checkpoint"]), verifier, origin)
        binding, _ = open_note(str(document["binding"]), [verifier])
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"the companion file is malformed: {exc}") from None
    except NoteError as exc:
        raise CheckpointError(f"the binding is not signed by the log key: {exc.detail}") from None
    digest = hashlib.sha256(content).hexdigest()
    expected = _binding_text(name, digest, str(document.get("day")), int(document.get("entries", -1)), checkpoint)
    if binding.text != expected:
        signed = dict(line.split(" ", 1) for line in binding.text.splitlines() if line.startswith("sha256 "))
        if signed.get("sha256") != digest:
            raise CheckpointError(f"{name} has SHA-256 {digest}, not the {signed.get('sha256')} the log key signed")
        raise CheckpointError(f"the binding signed by the log key does not name {name}, its day and its checkpoint")
    return checkpoint
