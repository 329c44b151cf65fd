"""A remote log as an audit source, read through the C2SP tlog-tiles API only: ``/checkpoint``, entry bundles
and hash tiles, exactly what a mirror or a CDN would serve, so the audit needs nothing else from the server.

It lives in the composition root rather than in ``ledger.audit`` because it speaks HTTP (httpx); the tile paths and
the bundle format are the server's own, ``ledger.log.tiles``. Answers are data to be checked, never trusted: a tile
or bundle the server does not serve, or serves malformed or oversized, becomes a finding; only an unreachable
server stops the audit.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from types import TracebackType

import httpx

from ledger.audit import AuditReport, Finding, RawEntry, StoredCheckpoint
from ledger.audit.sources import ReplayOutcome
from ledger.errors import LedgerStateError
from ledger.log.checkpoint import parse_checkpoint_body
from ledger.log.merkle import HASH_SIZE, NodeId
from ledger.log.tiles import MAX_BUNDLE_BYTES, TILE_HEIGHT, TILE_WIDTH, split_bundle, tile_path
from signer.errors import TraceledgerError
from signer.note import parse_note
from traceledger.client import DEFAULT_TIMEOUT, USER_AGENT, ServerUnreachable, check_url

MAX_BODY_BYTES = MAX_BUNDLE_BYTES  # no answer the tiles API gives is larger than the largest entry bundle
NOT_PUBLISHED = "views, attachments and cosignature rows are not published by the tiles API: not compared"


class TilesSource:
    """Reads one log's tiles over HTTP (``with TilesSource(url) as source: ...``)."""

    def __init__(self, url: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.url = check_url(url)
        self.description = f"tiles {self.url}"
        self.size = 0
        self.problems: list[Finding] = []  # tiles and bundles not served, or served malformed
        headers = {"User-Agent": USER_AGENT}
        self._http = httpx.Client(base_url=self.url, timeout=DEFAULT_TIMEOUT, headers=headers, transport=transport)

    def __enter__(self) -> TilesSource:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._http.close()

    def fetch(self, path: str) -> bytes | str:
        """The body of ``/path``, or why it could not be had (a string)."""
        try:
            with self._http.stream("GET", "/" + path) as response:
                if response.status_code != httpx.codes.OK:
                    return f"the server answered {response.status_code} to /{path}"
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        return f"the server answered more than {MAX_BODY_BYTES} bytes to /{path}"
                return bytes(body)
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"cannot read {self.url}/{path}: {exc}") from None

    # ---- the log -------------------------------------------------------------------------------------------

    def checkpoints(self) -> list[StoredCheckpoint]:
        """The latest checkpoint (the only one the API publishes); its size says how many entries to read."""
        body = self.fetch("checkpoint")
        if isinstance(body, str):
            raise LedgerStateError(f"no checkpoint to audit: {body}")
        note = body.decode("utf-8", errors="replace")
        try:
            _, self.size, _ = parse_checkpoint_body(parse_note(note).text)
        except TraceledgerError:
            self.size = 0  # nothing can be read; the auditor names what is wrong with the note
        return [StoredCheckpoint(self.size, note)]

    def entries(self) -> Generator[list[RawEntry], None, None]:
        for tile in range(-(-self.size // TILE_WIDTH)):
            first = tile * TILE_WIDTH
            width = min(TILE_WIDTH, self.size - first)
            path = tile_path("entries", tile, width)
            body = self.fetch(path)
            datas = _bundle_entries(body, width) if isinstance(body, bytes) else body
            if isinstance(datas, str):
                self.problems.append(Finding("tile", datas, LedgerStateError.slug, index=tile, kind=path, at=first))
                return  # what follows cannot be placed: the auditor names the first missing entry
            yield [RawEntry(first + offset, data) for offset, data in enumerate(datas)]

    def key_hints(self) -> Mapping[str, bytes]:
        return {}

    def node_checker(self) -> TileNodes:
        return TileNodes(self)

    def check_derived(self, outcome: ReplayOutcome, report: AuditReport) -> None:
        for problem in self.problems:
            report.add(problem)
        report.notes.append(NOT_PUBLISHED)


def _bundle_entries(body: bytes, width: int) -> list[bytes] | str:
    """A served entry bundle's entries, or what is wrong with it."""
    try:
        return split_bundle(body, width)
    except LedgerStateError as exc:
        return exc.detail


class TileNodes:
    """Compares the rebuilt tree with the hash tiles: each full tile once its 256 nodes are rebuilt, then the
    partial tiles of the final size."""

    def __init__(self, source: TilesSource) -> None:
        self.source = source
        self.compared = 0
        self._pending: dict[int, list[bytes]] = {}  # tile level → rebuilt hashes of its current tile

    def add(self, completed: Sequence[tuple[NodeId, bytes]]) -> list[Finding]:
        findings: list[Finding] = []
        for (level, index), node in completed:
            if level % TILE_HEIGHT:
                continue
            pending = self._pending.setdefault(level // TILE_HEIGHT, [])
            pending.append(node)
            if len(pending) == TILE_WIDTH:
                findings.extend(self._compare(level // TILE_HEIGHT, index // TILE_WIDTH, pending))
                pending.clear()
        return findings

    def finish(self, size: int) -> list[Finding]:
        findings: list[Finding] = []
        for tile_level, pending in sorted(self._pending.items()):
            if pending:
                index = (size >> (TILE_HEIGHT * tile_level)) // TILE_WIDTH
                findings.extend(self._compare(tile_level, index, pending))
        return findings

    def _compare(self, tile_level: int, index: int, rebuilt: list[bytes]) -> list[Finding]:
        path = tile_path(tile_level, index, len(rebuilt))
        level = TILE_HEIGHT * tile_level
        at = ((index * TILE_WIDTH + len(rebuilt)) << level) - 1
        body = self.source.fetch(path)
        self.compared += len(rebuilt)
        if isinstance(body, str):
            return [Finding("tile", body, LedgerStateError.slug, index=index, kind=path, at=at)]
        if len(body) != HASH_SIZE * len(rebuilt):
            reason = f"{len(body)} bytes, not {len(rebuilt)} hashes"
            return [Finding("tile", reason, LedgerStateError.slug, index=index, kind=path, at=at)]
        for offset, node in enumerate(rebuilt):
            if body[offset * HASH_SIZE : (offset + 1) * HASH_SIZE] != node:
                node_index = index * TILE_WIDTH + offset
                reason = f"hash {offset} (node {node_index} at level {level}) differs from the rebuilt tree"
                at = ((node_index + 1) << level) - 1
                return [Finding("tile", reason, LedgerStateError.slug, index=index, kind=path, at=at)]
        return []
