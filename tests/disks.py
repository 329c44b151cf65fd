"""A small real disk for tests of a full disk: a tmpfs mounted for the test, filled with a ballast file.

Mounting needs root and mount(8); elsewhere the test is skipped, and under CI=true a skip fails the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_CHUNK = 64 * 1024


class SmallDisk:
    """A mounted tmpfs at ``path``; ``fill`` takes its free space with a ballast file and ``free`` gives it back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ballast = path / "ballast"

    def available(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def fill(self, leave: int = 0) -> None:
        """Write ballast until at most ``leave`` bytes are free (0: until the disk refuses another byte)."""
        with self.ballast.open("ab") as ballast:
            while (room := self.available() - leave) > 0:
                try:
                    ballast.write(b"\0" * min(_CHUNK, room))
                    ballast.flush()
                except OSError:
                    break
        assert self.available() <= max(leave, 0) + _CHUNK

    def free(self) -> None:
        self.ballast.unlink(missing_ok=True)


@contextmanager
def small_disk(path: Path, size: str = "8m") -> Iterator[SmallDisk]:
    """Mount a tmpfs of ``size`` at ``path`` for the duration of the block."""
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if os.geteuid() != 0 or mount is None or umount is None:
        pytest.skip("a full-disk test mounts a small tmpfs, which needs root and mount(8)")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run([mount, "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)], check=True)
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run([umount, "-l", str(path)], check=True)
