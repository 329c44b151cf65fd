"""``traceledger complaints`` as users run it, over a home ledger: filters, overdue judged ``--at`` a time, CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from ledger.events import format_time, parse_time
from ledger.events.builders import complaint_payload
from tests.ledger.conftest import create_ledger
from tests.scenarios.test_complaints import open_shop
from tests.scenarios.world import World
from tests.traceledger.test_monitor_command import cli


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
