"""The tlog-tiles wire format on its own: tile paths, and entry bundles written from a log and read back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from ledger.errors import LedgerStateError, NotFound
from ledger.log.tiles import (
    TILE_WIDTH,
    TileRef,
    format_index,
    parse_index,
    read_entry_bundle,
    split_bundle,
    tile_path,
)


@dataclass(frozen=True)
class _Entry:
    leaf_index: int
    data: bytes


@dataclass
class _Log:
    """A log held in memory: what the tiles are read from, without a database."""

    datas: list[bytes]

    def size(self) -> int:
        return len(self.datas)

    def node_hashes(self, level: int, start: int, end: int) -> Sequence[bytes]:
        raise AssertionError("entry bundles need no hashes")

    def entries(self, start: int, end: int) -> Sequence[_Entry]:
        return [_Entry(n, self.datas[n]) for n in range(start, min(end, len(self.datas)))]


@pytest.mark.parametrize(("index", "path"), [(0, "000"), (67, "067"), (1000, "x001/000"), (1234067, "x001/x234/067")])
def test_tile_indices_are_written_as_the_spec_shows(index: int, path: str) -> None:
    assert format_index(index) == path


def test_a_tile_path_parses_back_to_the_tile_it_names() -> None:
    assert tile_path(0, 1234067, 5) == "tile/0/x001/x234/067.p/5"
    assert parse_index("/x001/x234/067.p/5") == TileRef(1234067, 5)
    assert parse_index("x001/000") == TileRef(1000, TILE_WIDTH)
    with pytest.raises(NotFound):
        parse_index("x000/067")  # not the canonical spelling of 67


def test_an_entry_bundle_written_from_a_log_reads_back_as_its_entries() -> None:
    datas = [b"", b"one", bytes(range(256)) * 3]
    bundle = read_entry_bundle(_Log(datas), TileRef(0, len(datas)))
    assert split_bundle(bundle, len(datas)) == datas
    with pytest.raises(NotFound):
        read_entry_bundle(_Log(datas), TileRef(0, TILE_WIDTH))  # the log is not that long yet


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\x00", "ends inside entry 0's length"),
        (b"\x00\x05abc", "ends inside entry 0"),
        (b"\x00\x01a", "holds 1 entries, not 2"),
    ],
)
def test_a_malformed_bundle_is_refused_with_what_is_wrong(body: bytes, reason: str) -> None:
    with pytest.raises(LedgerStateError, match=reason):
        split_bundle(body, 2)
