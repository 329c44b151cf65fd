"""``traceledger complaints`` and ``regulator import-complaints`` as users run them, over a home ledger (and a
server, for ``--url``): filters, overdue judged ``--at`` a time, CSV; hotline files checked whole before anything is
logged, with no personal data let in."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from ledger.events import format_time, parse_time
from ledger.events.builders import complaint_payload
from ledger.events.schemas import HOTLINES
from ledger.store.attachments import attachment_text
from signer.keys import SigningKey
from tests.ledger.conftest import PASSPHRASE, create_ledger
from tests.scenarios.test_complaints import Shop, open_shop
from tests.scenarios.world import World
from tests.traceledger.test_monitor_command import _key_file, cli
from tests.traceledger.test_remote import Server, server  # noqa: F401 -- the module's served ledger, a fixture
from tests.traceledger.test_roles import REGULATOR, keypair, traceledger


def test_complaints_lists_the_queue_filtered_with_overdue_flags(tmp_path: Path) -> None:
    world = World(create_ledger(tmp_path / "home"))
    shop = open_shop(world)
    own = complaint_payload(shop.consumer, shop.batch, category="quality", parents=[shop.receipt])
    first = world.append(own, shop.consumer).event_id
    hotline = complaint_payload(shop.regulator.key, shop.producer.subject, category="counterfeit", channel="12365")
    second = world.append(hotline, shop.regulator.key).event_id
    filed_at = str(world.ledger.view("complaints", first)["filed_at"])  # type: ignore[index]
    world.ledger.close()
    home = str(tmp_path / "home")

    listed = cli("complaints", "--home", home, "--csv")
    assert listed.returncode == 0, listed.stderr
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert [(r["complaint"], r["channel"], r["against"], r["overdue"]) for r in rows] == [
        (first, "consumer", shop.producer.id, "no"), (second, "12365", shop.producer.id, "no"),
    ]  # fmt: skip
    late = format_time(parse_time(filed_at, "filed_at") + timedelta(days=8))
    overdue = cli("complaints", "--home", home, "--csv", "--channel", "12365", "--status", "open", "--at", late)
    assert [(r["complaint"], r["overdue"]) for r in csv.DictReader(io.StringIO(overdue.stdout))] == [(second, "yes")]
    table = cli("complaints", "--home", home, "--actor", shop.producer.id)
    assert table.returncode == 0, table.stderr
    assert first[:16] in table.stdout
    assert "12365" in table.stdout
    bad = cli("complaints", "--home", home, "--at", "tomorrow")
    assert bad.returncode != 0
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "--at" in bad.stderr


@pytest.fixture
def shop_home(tmp_path: Path, database_url: str | None) -> tuple[World, Shop, list[str]]:
    """A ledger (SQLite in its home, or PostgreSQL) with a producer whose consumer signed for a ham, and a
    regulator (closed: the CLI opens it); and the options naming it."""
    world = World(create_ledger(tmp_path / "home", database_url))
    shop = open_shop(world)
    world.ledger.close()
    return world, shop, ["--home", str(tmp_path / "home"), *(["--database-url", database_url] if database_url else [])]


def _import(home: list[str], key: str, file: Path) -> tuple[int, str, str]:
    done = cli("regulator", "import-complaints", str(file), "--key", key, *home)
    return done.returncode, done.stdout, done.stderr


def _entries(home: list[str]) -> int:
    listed = cli("complaints", *home, "--csv")
    assert listed.returncode == 0, listed.stderr
    return len(listed.stdout.splitlines()) - 1


def test_a_csv_with_a_row_on_each_hotline_lands_complaints_on_those_channels(
    shop_home: tuple[World, Shop, list[str]], tmp_path: Path
) -> None:
    world, shop, home = shop_home
    file = tmp_path / "hotlines.csv"
    rows = [
        (channel, shop.producer.subject, "quality", f"第{n}号来电：火腿有异味") for n, channel in enumerate(HOTLINES)
    ]
    rows.append(("12315", shop.batch, "counterfeit", ""))  # no text: no attachment
    with file.open("w", encoding="utf-8-sig", newline="") as out:  # as a spreadsheet saves it
        csv.writer(out).writerows([("channel", "subject", "category", "text"), *rows])
    code, stdout, stderr = _import(home, _key_file(tmp_path, shop.regulator), file)
    assert code == 0, stderr
    assert stdout.startswith(f"{len(rows)} complaint(s) from {file} logged at entries ")

    listed = cli("complaints", *home, "--csv")
    queue = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert [(r["channel"], r["subject"], r["category"]) for r in queue] == [row[:3] for row in rows]
    assert {r["against"] for r in queue} == {shop.producer.id}
    ledger = world.fixture.home.open()
    try:
        refs = [ledger.entry_by_event_id(r["complaint"]).parsed().event.payload.attachments for r in queue]
        texts = [attachment_text(ledger, ref[0].digest) if ref else None for ref in refs]
    finally:
        ledger.close()
    assert texts == [row[3] or None for row in rows]


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ([["12315", "", "quality", ""]], "row 2: subject is empty"),
        ([["110", "{batch}", "quality", ""]], "row 2: channel '110' is not a hotline"),
        ([["12315", "{batch}", "smells", ""]], "row 2: data.category"),
        ([["12315", "01/123/10/X", "quality", ""]], "row 2: "),
        ([["12315", "{batch}", "quality", "请回电 13812345678"]], "row 2: text holds what looks like a mobile number"),
        ([["consumer", "{batch}", "quality", ""]], "row 2: channel 'consumer' is not a hotline"),
        ([["12315", "{batch}", "quality", ""], ["12315", "{batch}", "quality", ""]], "row 3: repeats row 2"),
    ],
)
def test_a_bad_row_refuses_the_whole_file_naming_the_row_and_nothing_is_stored(
    shop_home: tuple[World, Shop, list[str]], tmp_path: Path, rows: list[list[str]], says: str
) -> None:
    _, shop, home = shop_home
    good = ["12312", shop.producer.subject, "mismatch", "第一条"]
    file = tmp_path / "bad.csv"
    cells = [[cell.replace("{batch}", shop.batch) for cell in row] for row in rows]
    with file.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([["channel", "subject", "category", "text"], good, *cells])
    code, stdout, stderr = _import(home, _key_file(tmp_path, shop.regulator), file)
    assert code != 0
    assert stdout == ""
    [line] = stderr.strip().splitlines()
    assert says in line, line
    assert f"{file} row" in line
    assert line.endswith("nothing was imported")
    assert _entries(home) == 0


@pytest.mark.parametrize("column", ["phone", "姓名", "联系电话"])
def test_a_file_with_the_complainants_personal_data_is_refused(
    shop_home: tuple[World, Shop, list[str]], tmp_path: Path, column: str
) -> None:
    _, shop, home = shop_home
    file = tmp_path / "personal.json"
    rows = [{"channel": "12315", "subject": shop.batch, "category": "quality", column: "13812345678"}]
    file.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    code, _, stderr = _import(home, _key_file(tmp_path, shop.regulator), file)
    assert code != 0
    assert f"column {column!r} holds the complainant's personal data" in stderr
    assert _entries(home) == 0


def test_a_signer_the_rules_refuse_names_the_row_and_nothing_is_stored(
    shop_home: tuple[World, Shop, list[str]], tmp_path: Path
) -> None:
    _, shop, home = shop_home
    file = tmp_path / "unknown-signer.json"
    rows = [{"channel": "12315", "subject": shop.batch, "category": "quality", "text": f"第{n}条"} for n in range(3)]
    file.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    stranger = tmp_path / "stranger.pem"  # a key no registration names
    SigningKey.generate().save(stranger, PASSPHRASE)
    code, _, stderr = _import(home, str(stranger), file)
    assert code != 0
    assert f"{file} row 1: " in stderr
    assert stderr.strip().endswith("nothing was imported")
    assert _entries(home) == 0


def test_a_json_file_is_imported_through_a_server(server: Server, tmp_path: Path) -> None:  # noqa: F811
    regulator, regulator_pub = keypair(server.home, "importing-regulator")
    registered = traceledger(
        "registrar", "register", "--key", str(server.home / "keys" / "registrar.pem"), "--role", "regulator",
        "--id", REGULATOR, "--name", "曲靖市市场监督管理局", "--actor-key", str(regulator_pub), "--url", server.url,
    )  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    file = tmp_path / "hotline.json"
    rows = [
        {"channel": "12363", "subject": f"actor/{REGULATOR}", "category": "service_breach", "text": "服务态度差"},
        {"channel": "12318", "subject": f"actor/{REGULATOR}", "category": "other"},
    ]
    file.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    done = traceledger("regulator", "import-complaints", str(file), "--key", str(regulator), "--url", server.url)
    assert done.returncode == 0, done.stderr
    queue = httpx.get(f"{server.url}/v1/complaints?actor={REGULATOR}", timeout=10).json()["complaints"]
    assert [(c["channel"], c["category"]) for c in queue] == [("12363", "service_breach"), ("12318", "other")]
