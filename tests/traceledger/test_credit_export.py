"""``traceledger export-credit`` and ``verify-credit`` as a user runs them: the day's credit records as CSV or
JSON beside the checkpoint companion, and a modified file (or companion) refused."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger.credit_export import CHINA_TIME, COLUMNS
from signer.keys import PASSPHRASE_ENV
from tests.ledger.conftest import PASSPHRASE, create_ledger
from tests.scenarios.credit_story import BLACK_REASON, CreditStory, credit_story
from tests.scenarios.world import World

TODAY = datetime.now(UTC).astimezone(CHINA_TIME).date().isoformat()


def run(home: Path, *args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")} | {PASSPHRASE_ENV: PASSPHRASE}
    where = ["--home", str(home), *(["--database-url", database_url] if database_url else [])]
    return subprocess.run(
        [sys.executable, "-c", "from traceledger.cli import main; main()", *args, *where],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def story(tmp_path: Path, database_url: str | None) -> tuple[Path, CreditStory, str | None]:
    fixture = create_ledger(tmp_path / "home", database_url)
    try:
        told = credit_story(World(fixture))
    finally:
        fixture.ledger.close()
    return fixture.home.path, told, database_url


def test_a_days_csv_lists_each_touched_file_and_verifies(story: tuple[Path, CreditStory, str | None],
                                                         tmp_path: Path) -> None:  # fmt: skip
    home, told, url = story
    exported = run(home, "export-credit", "--day", TODAY, "--out", str(tmp_path / "out"), database_url=url)
    assert exported.returncode == 0, exported.stderr
    path = tmp_path / "out" / f"credit-{TODAY}.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == COLUMNS
    by_actor = {row["uscc"]: row for row in rows}
    shop = by_actor[told.shop.id]
    assert (shop["level"], shop["black_list"], shop["complaints_upheld"], shop["rule"]) == (
        "D",
        "1",
        "1",
        "credit-level/2",
    )
    assert shop["sanctions"] == f"black:in_force:{told.black}"
    assert shop["reasons"] == f"black_list:{told.black};upheld_complaints:{told.complaint}"
    assert (by_actor[told.producer]["level"], by_actor[told.producer]["red_list"]) == ("A", "1")
    companion = json.loads((tmp_path / "out" / f"credit-{TODAY}.csv.checkpoint").read_text(encoding="utf-8"))
    assert companion["day"] == TODAY
    assert companion["checkpoint"].startswith("trace.example.org/log\n")

    verified = run(home, "verify-credit", str(path))
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"OK: credit-{TODAY}.csv is the export the log key bound to checkpoint ")

    again = run(home, "export-credit", "--day", TODAY, "--out", str(tmp_path / "again"), database_url=url)
    assert again.returncode == 0, again.stderr
    for name in (path.name, path.name + ".checkpoint"):  # one day's export is the same bytes whenever it is made
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "out" / name).read_bytes()


def test_a_modified_file_or_companion_fails_verification(story: tuple[Path, CreditStory, str | None],
                                                         tmp_path: Path) -> None:  # fmt: skip
    home, told, url = story
    assert (
        run(
            home, "export-credit", "--day", TODAY, "--format", "json", "--out", str(tmp_path), database_url=url
        ).returncode
        == 0
    )
    path = tmp_path / f"credit-{TODAY}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "traceledger-credit-export/1"
    shop = next(r for r in document["records"] if r["actor"] == told.shop.id)
    assert shop["sections"]["sanctions"][0]["reason"] == BLACK_REASON
    original = path.read_bytes()

    path.write_bytes(original.replace(b'"level": "D"', b'"level": "B"', 1))
    failed = run(home, "verify-credit", str(path))
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: ")
    assert "not the" in failed.stderr
    assert "the log key signed" in failed.stderr

    companion_path = tmp_path / f"credit-{TODAY}.json.checkpoint"
    companion = json.loads(companion_path.read_text(encoding="utf-8"))
    companion["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()  # the unsigned field says nothing
    companion_path.write_text(json.dumps(companion), encoding="utf-8")
    assert run(home, "verify-credit", str(path)).returncode == 1
    path.write_bytes(original)
    assert run(home, "verify-credit", str(path)).returncode == 0


def test_a_bad_day_is_one_clear_line(story: tuple[Path, CreditStory, str | None], tmp_path: Path) -> None:
    home, _, url = story
    result = run(home, "export-credit", "--day", "2026-13-01", "--out", str(tmp_path / "out"), database_url=url)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: Invalid query: --day '2026-13-01' is not a date YYYY-MM-DD"
    assert not (tmp_path / "out").exists()
