"""The C2SP tlog-tiles read API: ``/checkpoint``, ``/tile/<L>/<N>[.p/<W>]`` and ``/tile/entries/<N>[.p/<W>]``.

Tiles and entry bundles, full or partial, never change (a partial tile of width W is always the first W hashes of
its tile, and a reader asks for the full tile by another URL once there is one), so caches keep them for a year;
only the checkpoint moves, and it is cached briefly.
"""

from __future__ import annotations

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from api.problems import problem_responses
from api.settings import SettingsDependency
from ledger.log import tiles
from ledger.store.cosignatures import cosigned_checkpoint
from ledger.store.ledger import Ledger

OCTET_STREAM = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"


def _binary(content: bytes) -> Response[bytes]:
    return Response(content, media_type=OCTET_STREAM, headers={"Cache-Control": IMMUTABLE})


class TilesController(Controller):
    path = "/"
    tags = ("tiles",)

    @get(
        "/checkpoint",
        sync_to_thread=True,
        media_type=MediaType.TEXT,  # Litestar adds "; charset=utf-8", as the spec asks
        summary="The latest signed checkpoint (C2SP tlog-checkpoint note), with witness cosignatures",
        responses=problem_responses(429),
    )
    def checkpoint(self, ledger: NamedDependency[Ledger], settings: SettingsDependency) -> Response[str]:
        note = cosigned_checkpoint(ledger).note  # with the witnesses' cosignatures of it
        return Response(note, headers={"Cache-Control": f"public, max-age={settings.short_cache_seconds}"})

    @get(
        "/tile/entries/{index:path}",
        sync_to_thread=True,
        media_type=OCTET_STREAM,
        summary="An entry bundle: each entry as a big-endian uint16 length and its bytes",
        responses=problem_responses(404, 429),
    )
    def entry_bundle(self, index: FromPath[str], ledger: NamedDependency[Ledger]) -> Response[bytes]:
        return _binary(tiles.read_entry_bundle(ledger, tiles.parse_index(index)))

    @get(
        "/tile/{level:str}/{index:path}",
        sync_to_thread=True,
        media_type=OCTET_STREAM,
        summary="A Merkle tile: concatenated 32-byte hashes",
        responses=problem_responses(404, 429),
    )
    def tile(self, level: FromPath[str], index: FromPath[str], ledger: NamedDependency[Ledger]) -> Response[bytes]:
        return _binary(tiles.read_tile(ledger, tiles.parse_level(level), tiles.parse_index(index)))
