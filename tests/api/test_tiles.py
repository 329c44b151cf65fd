"""The C2SP tlog-tiles read API, checked as an outside tool would: through HTTP only, with its own Merkle code."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.log.tiles import tile_path
from ledger.store.cosignatures import record_cosignature
from signer.keys import SigningKey
from signer.note import CosignatureSigner, NoteVerifier, Verifier, open_note, parse_note
from tests.api.conftest import Api, problem, serving

BATCHES = (230, 230, 230)  # with genesis, 691 entries: two full level-0 tiles, partial tiles at levels 0 and 1
WIDTH = 256


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _mth(hashes: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 Merkle Tree Hash over already-hashed leaves (or over complete subtree hashes)."""
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return _h(b"\x01" + _mth(hashes[:split]) + _mth(hashes[split:]))


def _widths(count: int) -> list[int]:
    """The widths of the tiles holding ``count`` hashes: full tiles, then a partial one if any remain."""
    return [WIDTH] * (count // WIDTH) + ([count % WIDTH] if count % WIDTH else [])


def _fetch(api: Api, path: str) -> bytes:
    """A tile or entry bundle, full or partial: immutable either way (tlog-tiles), so cached for a year."""
    response = api.client.get("/" + path)
    assert response.status_code == 200, (path, response.text)
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable", path
    return response.content


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One log of 691 entries for every test here, which only read it: appended in batches over HTTP."""
    with serving(tmp_path_factory.mktemp("tiles") / "home") as api:
        number = 1
        for count in BATCHES:
            batch = [api.fixture.registration(n) for n in range(number, number + count)]
            assert api.post(batch).status_code == 201
            number += count
        yield api


def test_a_tool_rebuilds_and_checks_the_tree_from_tiles(logged: Api) -> None:
    api = logged
    response = api.client.get("/checkpoint")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "immutable" not in response.headers["cache-control"]
    note, _ = open_note(response.text, [NoteVerifier.from_vkey(api.fixture.ledger.log_verifier.vkey)])
    origin, size_line, root_line, _ = note.text.split("\n")
    size, root = int(size_line), base64.b64decode(root_line)
    assert (origin, size) == (api.fixture.ledger.origin, 1 + sum(BATCHES))

    # Level 0: leaf hashes, each the hash of the entry at the same place in the entry bundles.
    leaves: list[bytes] = []
    entries: list[bytes] = []
    for n, width in enumerate(_widths(size)):
        tile = _fetch(api, tile_path(0, n, width))
        assert len(tile) == 32 * width
        leaves += [tile[i : i + 32] for i in range(0, len(tile), 32)]
        bundle = _fetch(api, tile_path("entries", n, width))
        offset = 0
        while offset < len(bundle):
            length = int.from_bytes(bundle[offset : offset + 2], "big")
            entries.append(bundle[offset + 2 : offset + 2 + length])
            offset += 2 + length
        assert len(entries) == len(leaves)
    assert len(leaves) == size
    assert [_h(b"\x00" + e) for e in entries] == leaves
    assert all(set(json.loads(e)) == {"envelope", "logged_at"} for e in entries)

    # Level 1: each hash is the MTH of one full level-0 tile; here the level-1 tile is partial.
    level_1_width = size // WIDTH
    assert level_1_width == 2
    level_1 = _fetch(api, tile_path(1, 0, level_1_width))
    assert [level_1[i : i + 32] for i in range(0, len(level_1), 32)] == [
        _mth(leaves[i * WIDTH : (i + 1) * WIDTH]) for i in range(level_1_width)
    ]

    # The root, from the largest complete subtrees, each read from the highest tile level that holds it.
    tiles = {0: leaves, 1: [level_1[i : i + 32] for i in range(0, len(level_1), 32)]}
    subtrees: list[bytes] = []
    start = 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            tile_level, height = divmod(level, 8)
            first = (start >> level) << height
            subtrees.append(_mth(tiles[tile_level][first : first + (1 << height)]))
            start += 1 << level
    folded = subtrees[-1]
    for left in reversed(subtrees[:-1]):
        folded = _h(b"\x01" + left + folded)
    assert folded == root == _mth(leaves)


def test_entry_bundles_are_gzipped_and_tiles_are_not(logged: Api) -> None:
    headers = {"Accept-Encoding": "gzip"}
    assert logged.client.get("/tile/entries/000", headers=headers).headers.get("content-encoding") == "gzip"
    assert "content-encoding" not in logged.client.get("/tile/0/000", headers=headers).headers


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/002",  # the third level-0 tile is not complete yet
        "tile/0/002.p/180",  # wider than what exists (179 entries)
        "tile/1/000",  # a full level-1 tile needs 65,536 entries
        "tile/1/000.p/3",
        "tile/2/000.p/1",
        "tile/entries/002",
        "tile/entries/002.p/180",
        "tile/entries/x001/000",
        "tile/0/x999/x999/x999/x999/x999/x999/999",
        "tile/63/000.p/1",
    ],
)
def test_tiles_that_do_not_exist_yet_are_404(logged: Api, path: str) -> None:
    problem(logged.client.get("/" + path), 404, "not-found")


@pytest.mark.parametrize(
    "path",
    [
        "tile/00/000",  # leading zero in the level
        "tile/64/000",  # levels go to 63
        "tile/-1/000",
        "tile/x/000",
        "tile/0/0",  # index elements have three digits
        "tile/0/0000",
        "tile/0/x000/001",  # not the canonical spelling of 1
        "tile/0/001/001",  # all but the last element start with x
        "tile/0/000.p/0",  # partial widths are 1 to 255
        "tile/0/000.p/256",
        "tile/0/000.p/01",
        "tile/0/000.p/",
        "tile/entries/000.p/0",
        "tile/entries/x000",
        "tile/0/",
    ],
)
def test_malformed_tile_paths_are_404(logged: Api, path: str) -> None:
    problem(logged.client.get("/" + path), 404, "not-found")


def test_a_partial_tile_that_exists_is_served_even_once_its_full_tile_exists(logged: Api) -> None:
    full = logged.client.get("/tile/0/000").content
    assert logged.client.get("/tile/0/000.p/17").content == full[: 32 * 17]


def test_the_checkpoint_is_served_with_its_witness_cosignatures(tmp_path: Path) -> None:
    """A tlog client configured with the witness keys sees the cosignatures; one that is not ignores them."""
    witness = CosignatureSigner("witness.samr.example/w1", SigningKey.from_seed(b"tiles witness".ljust(32, b".")))
    with serving(tmp_path / "home") as api:
        ledger = api.fixture.ledger
        checkpoint = ledger.checkpoint()
        line = witness.cosign(parse_note(checkpoint.note).text, 1_700_000_000)
        assert record_cosignature(ledger.engine, checkpoint, witness.verifier, [line])
        response = api.client.get("/checkpoint")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == checkpoint.note + line.line()
    verifiers: list[Verifier] = [NoteVerifier.from_vkey(ledger.log_verifier.vkey), witness.verifier]
    assert len(open_note(response.text, verifiers)[1]) == 2
    assert open_note(response.text, verifiers[:1])[1] == (ledger.log_verifier,)
