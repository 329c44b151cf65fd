"""QR images: PNG and SVG of any text and of Digital Links, read back by a real decoder."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from qr import LabelError, QrTooLong, item_link, label_png, label_svg, qr_image, qr_matrix, qr_png, qr_svg
from qr.images import QUIET_ZONE
from tests.qr.decoding import decoded, png_image

SVG = "{http://www.w3.org/2000/svg}"
URI = item_link("https://trace.qujing.example", "06901230000010", "XW2026-11", "0001", "271130").uri
HRI = "(01) 06901230000010 (10) XW2026-11 (21) 0001 (17) 271130"
PUBLIC_KEY = "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="


def test_a_label_png_decodes_to_exactly_its_digital_link() -> None:
    image = png_image(label_png(URI))
    assert decoded(image) == [URI]


def test_a_label_png_has_its_text_under_the_code() -> None:
    bare = png_image(qr_png(URI)).convert("L")
    labelled = png_image(label_png(URI)).convert("L")
    assert labelled.height > bare.height
    offset = (labelled.width - bare.width) // 2
    assert labelled.crop((offset, 0, offset + bare.width, bare.height)).tobytes() == bare.tobytes()  # same code
    caption = labelled.crop((0, bare.height, labelled.width, labelled.height))
    assert caption.getextrema()[0] == 0  # something is written under it
    assert decoded(caption) == []


def test_the_code_keeps_a_quiet_zone_of_four_modules() -> None:
    matrix = qr_matrix(URI)
    border = matrix[:QUIET_ZONE] + matrix[-QUIET_ZONE:] + [row[:QUIET_ZONE] + row[-QUIET_ZONE:] for row in matrix]
    assert not any(any(row) for row in border)
    assert any(matrix[QUIET_ZONE][QUIET_ZONE:-QUIET_ZONE])  # the finder pattern starts right inside it
    image = qr_image(URI, module_px=3).convert("L")
    assert image.size == (3 * len(matrix), 3 * len(matrix))
    assert image.crop((0, 0, image.width, 3 * QUIET_ZONE)).getextrema() == (255, 255)


@settings(max_examples=25, deadline=None)
@given(text=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=80))
def test_any_text_round_trips_through_a_png(text: str) -> None:
    assert decoded(png_image(qr_png(text, module_px=4))) == [text]


def _parse(document: str) -> ET.Element:
    """An SVG document parsed as XML: well-formed, or the parser raises."""
    return ET.fromstring(document)  # noqa: S314 -- our own output under test, not untrusted input


def _svg_modules(document: str) -> list[list[bool]]:
    """The module matrix an SVG's path draws (each run ``M x y h n v1 h-n z``), to decode it like an image."""
    root = _parse(document)
    path = root.find(f"{SVG}path")
    assert path is not None
    side = len(qr_matrix(URI))
    modules = [[False] * side for _ in range(side)]
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path.attrib["d"]):
        for column in range(int(x), int(x) + int(run)):
            modules[int(y)][column] = True
    return modules


def _render(modules: list[list[bool]], module_px: int = 6) -> Image.Image:
    image = Image.new("L", (len(modules), len(modules)), 255)
    image.putdata([0 if dark else 255 for row in modules for dark in row])
    return image.resize((len(modules) * module_px, len(modules) * module_px), Image.Resampling.NEAREST)


def test_a_label_svg_is_well_formed_draws_the_code_and_holds_the_text() -> None:
    document = label_svg(URI)
    root = _parse(document)
    assert root.tag == f"{SVG}svg"
    assert "style" not in document  # presentation attributes only: inlinable under a strict CSP
    text = root.find(f"{SVG}text")
    assert text is not None
    assert text.text == HRI
    assert root.attrib["aria-label"] == HRI
    modules = _svg_modules(document)
    assert modules == qr_matrix(URI)
    assert decoded(_render(modules)) == [URI]


def test_svg_text_is_escaped() -> None:
    caption = 'lot <A&B> "quoted" \x07 end'
    document = qr_svg("https://trace.example/x", caption)
    assert "<A&B>" not in document
    assert "&lt;A&amp;B&gt;" in document
    root = _parse(document)  # still well-formed XML, the control character replaced
    text = root.find(f"{SVG}text")
    assert text is not None
    assert text.text == 'lot <A&B> "quoted" \ufffd end'
    assert root.attrib["aria-label"] == text.text


def test_a_generic_svg_is_named_by_its_text() -> None:
    root = _parse(qr_svg(PUBLIC_KEY))
    assert root.attrib["aria-label"] == PUBLIC_KEY
    assert root.find(f"{SVG}text") is None


def test_images_are_reproducible() -> None:
    assert label_png(URI) == label_png(URI)
    assert label_svg(URI) == label_svg(URI)
    assert qr_png(PUBLIC_KEY) != qr_png(PUBLIC_KEY + "=")


def test_text_past_a_qr_codes_capacity_is_refused() -> None:
    assert decoded(png_image(qr_png("x" * 2331, module_px=2))) == ["x" * 2331]
    with pytest.raises(QrTooLong, match="2332 bytes"):
        qr_png("x" * 2332)
    with pytest.raises(QrTooLong, match="at most 2331"):
        qr_svg("火" * 778)  # 2334 bytes of UTF-8
    with pytest.raises(LabelError, match="lone surrogate"):
        qr_png("\ud800")
