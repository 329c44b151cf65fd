"""The QR decoder of the consumer page and the accessibility checker of the browser tests are exactly the npm files
their VENDORED.md records: each file's SHA-256, one pinned version, its licence beside it, nothing else there."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from verify_portal.render import STATIC

ROOT = Path(__file__).resolve().parent
FOLDERS = {STATIC / "jsqr": ("jsqr", "1.4.0", "Apache License"), ROOT / "vendor": ("axe-core", "4.14.1", "Mozilla")}
FILE_ROW = re.compile(r"^\| (?P<file>[\w./-]+) \| (?P<package>[\w-]+) (?P<version>[\d.]+) `package/[\w./-]+` "
                      r"\| (?P<sha256>[0-9a-f]{64}) \|$")  # fmt: skip
PACKAGE_ROW = re.compile(r"^\| (?P<package>[\w-]+) \| (?P<version>[\d.]+) \| [\w.-]+ \| sha512-[A-Za-z0-9+/]{86}== \|$")


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_each_vendored_file_is_recorded_with_its_sha256(folder: Path) -> None:
    package, version, licence = FOLDERS[folder]
    lines = (folder / "VENDORED.md").read_text(encoding="utf-8").splitlines()
    files = [m for line in lines if (m := FILE_ROW.match(line))]
    packages = {m["package"]: m["version"] for line in lines if (m := PACKAGE_ROW.match(line))}
    assert packages == {package: version}
    recorded = {row["file"] for row in files}
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != "VENDORED.md"}
    assert present == recorded
    for row in files:
        assert (row["package"], row["version"]) == (package, version), row["file"]
        assert hashlib.sha256((folder / row["file"]).read_bytes()).hexdigest() == row["sha256"], row["file"]
    (licence_file,) = [name for name in recorded if name.endswith("LICENSE")]
    assert licence in (folder / licence_file).read_text(encoding="utf-8")
