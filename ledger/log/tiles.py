"""C2SP tlog-tiles, the log's wire format in one place: tile paths, and hash tiles and entry bundles written from a
log's stored subtree nodes and entries, and entry bundles read back (by an auditor of a remote log).

A level-L tile N holds the hashes of the complete subtrees at tree level 8·L with indices N·256 … N·256+W−1
(each over 256^L entries); level 0 holds leaf hashes. A full tile has W = 256 and never changes; a partial tile
``.p/W`` holds the first W hashes of a tile that is not complete yet. Paths are parsed strictly, in the one
canonical spelling the spec allows, so each resource has exactly one URL (good for caches and mirrors).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ledger.errors import LedgerStateError, NotFound

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes, 8192 bytes
MAX_LEVEL = 63
MAX_BUNDLE_ENTRY = 0xFFFF  # an entry bundle prefixes each entry with a big-endian uint16 length
MAX_BUNDLE_BYTES = TILE_WIDTH * (2 + MAX_BUNDLE_ENTRY)  # the largest entry bundle: 256 lengths and entries

_LEVEL = re.compile(r"0|[1-9][0-9]*")
_INDEX = re.compile(r"((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]*))?")


class LoggedEntry(Protocol):
    """An entry as a log stores it: its index and its exact bytes."""

    @property
    def leaf_index(self) -> int: ...

    @property
    def data(self) -> bytes: ...


class TiledLog(Protocol):
    """What tiles are read from (``ledger.store.ledger.Ledger``): the size, stored subtree hashes and entries."""

    def size(self) -> int: ...

    def node_hashes(self, level: int, start: int, end: int) -> Sequence[bytes]: ...

    def entries(self, start: int, end: int) -> Sequence[LoggedEntry]: ...


@dataclass(frozen=True)
class TileRef:
    """Tile ``index`` with ``width`` hashes (or entries): TILE_WIDTH for a full tile, fewer for a partial one."""

    index: int
    width: int


def format_index(index: int) -> str:
    """``1234067`` → ``x001/x234/067``: 3-digit elements, all but the last prefixed with ``x``."""
    digits = str(index)
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(level: int | str, index: int, width: int = TILE_WIDTH) -> str:
    """The path of a tile (``level`` may be ``"entries"`` for an entry bundle), e.g. ``tile/0/x001/067.p/5``."""
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{format_index(index)}{suffix}"


def parse_level(text: str) -> int:
    if not _LEVEL.fullmatch(text) or int(text) > MAX_LEVEL:
        raise NotFound(f"tile level {text[:20]!r} is not a decimal from 0 to {MAX_LEVEL} without leading zeros")
    return int(text)


def parse_index(text: str) -> TileRef:
    """``x001/x234/067[.p/W]`` (a leading ``/`` from the route is allowed) → the tile it names."""
    match = _INDEX.fullmatch(text.removeprefix("/"))
    if match is None:
        raise NotFound(f"{text[:60]!r} is not a tile index path such as x001/x234/067 or 067.p/12")
    index = int(match.group(1).replace("x", "").replace("/", ""))
    if format_index(index) != match.group(1):
        raise NotFound(f"tile index {match.group(1)!r} is not written in its canonical form {format_index(index)}")
    if match.group(2) is None:
        return TileRef(index, TILE_WIDTH)
    width = int(match.group(2))
    if width >= TILE_WIDTH:
        raise NotFound(f"a partial tile has 1 to {TILE_WIDTH - 1} entries, not {width}")
    return TileRef(index, width)


def _check_exists(log: TiledLog, end_leaf: int, what: str) -> None:
    """A tile exists once the log holds every leaf under its hashes; checked first so huge indices cost nothing."""
    size = log.size()
    if end_leaf > size:
        raise NotFound(f"{what} does not exist yet: it needs {end_leaf} entries and the log has {size}")


def read_tile(log: TiledLog, level: int, tile: TileRef) -> bytes:
    """The concatenated 32-byte hashes of a level-``level`` tile."""
    first = tile.index * TILE_WIDTH
    _check_exists(log, (first + tile.width) << (TILE_HEIGHT * level), tile_path(level, tile.index, tile.width))
    return b"".join(log.node_hashes(TILE_HEIGHT * level, first, first + tile.width))


def read_entry_bundle(log: TiledLog, tile: TileRef) -> bytes:
    """The entries of a bundle, each as a big-endian uint16 length followed by the entry bytes."""
    first = tile.index * TILE_WIDTH
    _check_exists(log, first + tile.width, tile_path("entries", tile.index, tile.width))
    entries = log.entries(first, first + tile.width)
    if len(entries) != tile.width:
        raise LedgerStateError(f"the log lacks entries in {first}..{first + tile.width - 1} below its size")
    parts: list[bytes] = []
    for entry in entries:
        if len(entry.data) > MAX_BUNDLE_ENTRY:
            raise LedgerStateError(f"entry {entry.leaf_index} is {len(entry.data)} bytes, too long for a bundle")
        parts.append(len(entry.data).to_bytes(2, "big") + entry.data)
    return b"".join(parts)


def split_bundle(body: bytes, width: int) -> list[bytes]:
    """An entry bundle's ``width`` entries (each a big-endian uint16 length and the bytes), or why it is malformed."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(body):
        if offset + 2 > len(body):
            raise LedgerStateError(f"the bundle ends inside entry {len(entries)}'s length")
        length = int.from_bytes(body[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(body):
            raise LedgerStateError(f"the bundle ends inside entry {len(entries)}")
        entries.append(body[offset : offset + length])
        offset += length
    if len(entries) != width:
        raise LedgerStateError(f"the bundle holds {len(entries)} entries, not {width}")
    return entries
