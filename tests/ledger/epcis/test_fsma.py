"""The FSMA 204 sortable spreadsheet of the demo lots: each CTE with its KDEs, and what the log lacks reported."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from ledger.epcis.export import subject_entries
from ledger.epcis.fsma import COLUMNS, REFERENCE_DOCUMENT, fsma_csv, fsma_rows
from ledger.store.ledger import Ledger
from tests.demos import demo_home
from traceledger.demo import HAM, HAM_MAKER, SHOP, VEGETABLES

PASSPHRASE = "demo test passphrase"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    home, _ = demo_home(tmp_path_factory.mktemp("fsma") / "home", PASSPHRASE)
    opened = home.open(PASSPHRASE)
    yield opened
    opened.close()


def _sheet(ledger: Ledger, lot: str) -> list[dict[str, str]]:
    text = fsma_csv(fsma_rows(ledger, subject_entries(ledger, lot), lot))
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_the_ham_lot_from_its_making_to_its_sale(ledger: Ledger) -> None:
    rows = _sheet(ledger, HAM.path)
    assert [r["cte"] for r in rows] == ["Transformation", "Shipping", "Receiving", "Shipping", "Shipping"]
    assert {r["traceability_lot_code"] for r in rows} == {HAM.lot}
    assert {r["gtin"] for r in rows} == {HAM.gtin}
    assert {r["product_description"] for r in rows} == {"宣威火腿（500克）"}
    assert {r["unit_of_measure"] for r in rows} == {"件"}
    assert [r["quantity"] for r in rows] == ["200", "60", "60", "1", "1"]
    made, to_shop, at_shop, *to_consumers = rows
    assert HAM_MAKER.name in made["traceability_lot_code_source"]
    assert "GLN 6901230000003" in made["location"]
    assert made["missing_kdes"] == "input_traceability_lot_codes"  # a ham made from no recorded input lot
    assert SHOP.name in to_shop["immediate_subsequent_recipient"]
    assert "老浦火腿厂" in to_shop["location"]
    assert HAM_MAKER.name in at_shop["immediate_previous_source"]
    assert "云品优选仓库" in at_shop["location"]
    assert {r["immediate_subsequent_recipient"] for r in to_consumers} == {"consumer"}
    for row in (to_shop, at_shop, *to_consumers):
        assert row["missing_kdes"] == ""
        assert HAM_MAKER.name in row["traceability_lot_code_source"]
    for row in rows:
        assert row["reference_document_type"] == REFERENCE_DOCUMENT
        assert ledger.entry_by_event_id(row["reference_document_number"]).event_id == row["reference_document_number"]
    assert [r["event_time"] for r in rows] == sorted(r["event_time"] for r in rows)


def test_an_agricultural_lot_is_initially_packed(ledger: Ledger) -> None:
    rows = _sheet(ledger, VEGETABLES.path)
    assert rows[0]["cte"] == "Initial packing"
    assert rows[0]["missing_kdes"] == ""
    assert sum(int(r["quantity"]) for r in rows if r["cte"] == "Shipping") == 41
