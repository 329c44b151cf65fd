"""The vendored browser code is exactly what VENDORED.md records: each file's SHA-256, pinned versions, licences."""

from __future__ import annotations

import hashlib
import re

from verify_portal.render import STATIC

VENDOR = STATIC / "vendor"
ROW = re.compile(r"^\| (?P<file>[\w./-]+) \| (?P<package>@noble/[\w-]+) (?P<version>\d+\.\d+\.\d+) `package/[\w./-]+` "
                 r"\| (?P<sha256>[0-9a-f]{64}) \|$")  # fmt: skip
PACKAGE = re.compile(r"^\| (?P<package>@noble/[\w-]+) \| (?P<version>\d+\.\d+\.\d+) \| sha512-[A-Za-z0-9+/]{86}== \|$")


def _record() -> tuple[list[re.Match[str]], dict[str, str]]:
    lines = (VENDOR / "VENDORED.md").read_text(encoding="utf-8").splitlines()
    files = [m for line in lines if (m := ROW.match(line))]
    packages = {m["package"]: m["version"] for line in lines if (m := PACKAGE.match(line))}
    return files, packages


def test_every_vendored_file_has_its_recorded_sha256() -> None:
    files, _ = _record()
    assert len(files) >= 7
    for row in files:
        assert hashlib.sha256((VENDOR / row["file"]).read_bytes()).hexdigest() == row["sha256"], row["file"]


def test_nothing_is_vendored_unrecorded_and_each_package_is_pinned_with_its_licence() -> None:
    files, packages = _record()
    recorded = {row["file"] for row in files}
    present = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.is_file() and p.name != "VENDORED.md"}
    assert present == recorded
    assert packages == {"@noble/ed25519": "3.0.0", "@noble/hashes": "2.0.1"}
    for row in files:
        assert packages[row["package"]] == row["version"], row["file"]
    for folder in {row["file"].split("/")[0] for row in files}:
        assert f"{folder}/LICENSE" in recorded
        assert "MIT License" in (VENDOR / folder / "LICENSE").read_text(encoding="utf-8")
