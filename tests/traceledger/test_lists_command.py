"""``traceledger sanctions`` and ``traceledger batches`` over the demo's ledger: locally and through a server."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.servers import cli, demo_process
from traceledger.demo import DRUG, DRUG_MAKER, GROCER, HAM, REGULATOR, VEGETABLES


def _rows(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


def test_sanctions_and_batches_are_listed_locally_and_through_a_server(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    with demo_process(home, tmp_path / "demo.log") as (url, _):
        for where in (("--home", str(home)), ("--url", url)):
            listed = cli("sanctions", "--csv", *where)
            assert listed.returncode == 0, listed.stderr
            (black,) = _rows(listed.stdout)
            assert (black["actor"], black["name"], black["list"], black["status"], black["by"]) == (
                GROCER.uscc, GROCER.name, "black", "in_force", REGULATOR.uscc,
            )  # fmt: skip
            red = cli("sanctions", "--csv", "--list", "red", *where)
            assert red.returncode == 0, red.stderr
            assert _rows(red.stdout) == []
        table = cli("sanctions", "--home", str(home))
        assert "多次销售变质蔬菜" in table.stdout

    batches = cli("batches", "--csv", "--home", str(home))
    assert batches.returncode == 0, batches.stderr
    rows = {row["batch"]: row for row in _rows(batches.stdout)}
    assert set(rows) == {HAM.path, VEGETABLES.path, DRUG.path}
    assert (rows[DRUG.path]["product"], rows[DRUG.path]["quantity"], rows[DRUG.path]["expiry"]) == (
        "板蓝根颗粒（10克×20袋）", "1000", "2028-10-31",
    )  # fmt: skip
    own = cli("batches", "--csv", "--home", str(home), "--producer", DRUG_MAKER.uscc)
    assert [row["batch"] for row in _rows(own.stdout)] == [DRUG.path]
    none = cli("batches", "--home", str(home), "--producer", GROCER.uscc)
    assert none.returncode == 1
    assert none.stderr.startswith("error: ")
    assert "holds no batch of this producer" in none.stderr
