"""Label sheets: multi-page A4 PDFs whose every QR code reads back as the expected item's Digital Link."""

from __future__ import annotations

import io

import pypdf
import pytest

from qr import DEFAULT_GRID, MAX_LABELS, Grid, InvalidLabelSheet, item_links, label_sheet_pdf, serial_numbers
from tests.qr.decoding import decoded, pdf_pages

PORTAL = "https://trace.qujing.example"
GTIN = "06901230000010"
A4_POINTS = (595.2, 841.92)  # 2480 × 3508 pixels at 300 dpi


def _links(count: int, lot: str = "XW2026-11", expiry: str | None = None) -> list[str]:
    return [link.uri for link in item_links(PORTAL, GTIN, lot, serial_numbers(count), expiry)]


def test_thirty_labels_on_three_by_eight_fill_two_a4_pages_and_all_read_back() -> None:
    links = item_links(PORTAL, GTIN, "XW2026-11", serial_numbers(30), "271130")
    pdf = label_sheet_pdf(links)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 2)) == A4_POINTS
    pages = pdf_pages(pdf)
    first, second = (sorted(code for image in images for code in decoded(image)) for images in pages)
    expected = [link.uri for link in links]
    assert first == expected[:24]
    assert second == expected[24:]
    assert expected[0] == f"{PORTAL}/01/{GTIN}/10/XW2026-11/21/0001?17=271130"


def test_another_grid_and_awkward_lots() -> None:
    expected = _links(11, lot="A/B%C&D(E)F?G:H;I<J>")  # every one of these characters is percent-encoded
    pdf = label_sheet_pdf(item_links(PORTAL, GTIN, "A/B%C&D(E)F?G:H;I<J>", serial_numbers(11)), Grid(2, 5))
    pages = pdf_pages(pdf)
    assert len(pages) == 2
    found = [code for images in pages for image in images for code in decoded(image)]
    assert sorted(found) == sorted(expected)
    assert len(found) == 11


def test_the_pdf_is_reproducible_and_carries_no_timestamp() -> None:
    links = item_links(PORTAL, GTIN, "XW2026-11", serial_numbers(3))
    pdf = label_sheet_pdf(links, title="Labels XW2026-11")
    assert pdf == label_sheet_pdf(links, title="Labels XW2026-11")
    metadata = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None
    assert metadata.title == "Labels XW2026-11"
    assert metadata.creation_date is None
    assert metadata.modification_date is None


def test_serial_numbers() -> None:
    assert serial_numbers(3) == ["0001", "0002", "0003"]
    assert serial_numbers(2, first=99, width=3) == ["099", "100"]


@pytest.mark.parametrize(
    ("count", "first", "width", "says"),
    [
        (0, 1, 4, "label count 0"),
        (MAX_LABELS + 1, 1, 4, f"1 to {MAX_LABELS} labels"),
        (1, 0, 4, "serials start at 1"),
        (2, 9999, 4, "serial 10000 does not fit in 4 digits"),
        (1, 1, 21, "does not fit in 21 digits"),
        (1, 1, 0, "does not fit in 0 digits"),
    ],
)
def test_bad_serial_ranges(count: int, first: int, width: int, says: str) -> None:
    with pytest.raises(InvalidLabelSheet, match=says):
        serial_numbers(count, first, width)


def test_grids() -> None:
    assert Grid.parse("3x8") == DEFAULT_GRID
    assert Grid.parse("10x30").per_page == 300
    assert str(Grid(4, 10)) == "4x10"
    for text in ("3X8", "3x", "x8", "3 x 8", "3x8 ", "-3x8", "3x8x1", "", "３x８"):
        with pytest.raises(InvalidLabelSheet, match="must be COLUMNSxROWS"):
            Grid.parse(text)
    for text in ("0x8", "3x0", "11x8", "3x31"):
        with pytest.raises(InvalidLabelSheet, match="1 to 10 columns and 1 to 30 rows"):
            Grid.parse(text)


def test_labels_too_small_for_the_code_or_the_text_are_refused() -> None:
    links = item_links(PORTAL, GTIN, "XW2026-11", serial_numbers(2))
    with pytest.raises(InvalidLabelSheet, match="too small for a QR code"):
        label_sheet_pdf(links, Grid(10, 30))
    long_lot = item_links(PORTAL, GTIN, "W" * 20, serial_numbers(2))
    with pytest.raises(InvalidLabelSheet, match="too little room for their text"):
        label_sheet_pdf(long_lot, Grid(6, 8))
    with pytest.raises(InvalidLabelSheet, match="label count 0"):
        label_sheet_pdf([])
