"""The portal's wiring in the composition root: the per-ledger scan salt kept in the home folder."""

from __future__ import annotations

import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from traceledger.server import SCAN_SALT_BYTES, SCAN_SALT_FILE, scan_salt
from traceledger.settings import Home


def _salt_of(path: Path) -> bytes:
    return scan_salt(Home(path))


def test_the_scan_salt_is_made_once_kept_private_and_differs_per_home(tmp_path: Path) -> None:
    home = Home(tmp_path / "a")
    home.path.mkdir()
    salt = scan_salt(home)
    assert len(salt) == SCAN_SALT_BYTES
    assert scan_salt(home) == salt
    assert stat.S_IMODE((home.path / SCAN_SALT_FILE).stat().st_mode) == 0o600
    other = Home(tmp_path / "b")
    other.path.mkdir()
    assert scan_salt(other) != salt
    assert sorted(p.name for p in home.path.iterdir()) == [SCAN_SALT_FILE]  # no candidate left behind


def test_server_processes_starting_together_share_one_salt(tmp_path: Path) -> None:
    with ProcessPoolExecutor(4) as pool:
        salts = list(pool.map(_salt_of, [tmp_path] * 8))
    assert len(set(salts)) == 1
    assert salts[0] == (tmp_path / SCAN_SALT_FILE).read_bytes()
