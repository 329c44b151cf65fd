"""Files the ledger keeps beside its database, replaced atomically and durably: a crash or power loss leaves the
old file or the new one, never half of one, and never an acknowledged write that the directory forgot."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``: write a temporary file, fsync it, rename it over ``path``, fsync the folder."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # a temporary file left by an earlier crash keeps its own mode otherwise
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def private_folder(path: Path) -> None:
    """Create ``path`` (and its missing parents) as a folder only its owner can enter, for keys and databases; a
    folder that exists already is left as it is (``keygen --out .`` must not close the user's own folder)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only, unless it exists; SQLite gives its WAL and shared
    memory files the database file's mode, so a database created here keeps all three private."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
