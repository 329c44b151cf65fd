"""Printable label sheets: A4 pages of serialised item labels in a grid, written as one PDF.

Each label holds the QR code of an item's Digital Link and, beside it, the human-readable interpretation, one
``(AI) value`` a line. The grid divides the A4 page within 5 mm margins evenly (3 × 8 gives labels of 67 × 36 mm);
each label keeps 2 mm clear inside its edges. Pages are 1-bit images at 300 dpi, which the PDF stores losslessly
(CCITT G4), so every module prints sharp. The text is ASCII in Pillow's bundled font, which makes the output the
same on every machine; product names, which are often Chinese, are not printed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from qr.errors import InvalidLabelSheet
from qr.images import bundled_font, qr_image
from qr.links import LabelLink, item_link

__all__ = [
    "DEFAULT_GRID",
    "MAX_LABELS",
    "Grid",
    "item_links",
    "label_pages",
    "label_sheet_pdf",
    "serial_numbers",
]

DPI = 300
PAGE_SIZE = (2480, 3508)  # A4, 210 × 297 mm, at 300 dpi
MAX_LABELS = 2400  # one PDF holds its pages in memory while it is written: 100 pages of 3 × 8
MAX_COLUMNS, MAX_ROWS = 10, 30
MAX_SERIAL_LENGTH = 20  # AI 21 is X..20
MIN_MODULE_PX = 4  # 0.34 mm at 300 dpi: smaller modules print unreliably
MIN_FONT_PX, MAX_FONT_PX = 16, 48  # text 1.4 to 4 mm high
_MARGIN_PX = round(5 / 25.4 * DPI)  # 5 mm round the page, which any printer can print within
_CLEAR_PX = round(2 / 25.4 * DPI)  # 2 mm inside each label's edges
_GRID = re.compile(r"([0-9]{1,3})x([0-9]{1,3})")


@dataclass(frozen=True)
class Grid:
    """Labels per page: ``columns`` across, ``rows`` down."""

    columns: int
    rows: int

    def __post_init__(self) -> None:
        if not (1 <= self.columns <= MAX_COLUMNS and 1 <= self.rows <= MAX_ROWS):
            raise InvalidLabelSheet(
                f"grid {self.columns}x{self.rows}: 1 to {MAX_COLUMNS} columns and 1 to {MAX_ROWS} rows"
            )

    @classmethod
    def parse(cls, text: str) -> Grid:
        """``COLUMNSxROWS``, e.g. ``3x8``."""
        match = _GRID.fullmatch(text)
        if match is None:
            raise InvalidLabelSheet(f"grid {text!r} must be COLUMNSxROWS, e.g. 3x8")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def label_size(self) -> tuple[int, int]:
        """A label's width and height in pixels: the page within its margins, divided evenly."""
        return (PAGE_SIZE[0] - 2 * _MARGIN_PX) // self.columns, (PAGE_SIZE[1] - 2 * _MARGIN_PX) // self.rows

    def label_box(self, place: int) -> tuple[int, int]:
        """The top left corner of the label at ``place`` on its page, filled row by row."""
        row, column = divmod(place, self.columns)
        width, height = self.label_size
        return _MARGIN_PX + column * width, _MARGIN_PX + row * height

    def __str__(self) -> str:
        return f"{self.columns}x{self.rows}"


DEFAULT_GRID = Grid(3, 8)


def serial_numbers(count: int, first: int = 1, width: int = 4) -> list[str]:
    """``count`` serials from ``first``, zero-padded to ``width`` digits (``0001``, ``0002``, ...)."""
    if not 1 <= count <= MAX_LABELS:
        raise InvalidLabelSheet(f"label count {count}: print 1 to {MAX_LABELS} labels at a time")
    if first < 1:
        raise InvalidLabelSheet(f"first serial {first}: serials start at 1")
    last = first + count - 1
    if not 1 <= width <= MAX_SERIAL_LENGTH or len(str(last)) > width:
        raise InvalidLabelSheet(f"serial {last} does not fit in {width} digits (serials are 1 to 20 characters)")
    return [str(number).zfill(width) for number in range(first, last + 1)]


def item_links(
    base_url: str, gtin: str, lot: str, serials: Sequence[str], expiry: str | None = None, *, allow_http: bool = False
) -> list[LabelLink]:
    """The Digital Links of a batch's serialised items (each validated)."""
    return [item_link(base_url, gtin, lot, serial, expiry, allow_http=allow_http) for serial in serials]


@dataclass(frozen=True)
class _Layout:
    """Where things go in one label: the QR code's module size, and the text's font size and left edge."""

    height: int  # of a label
    module_px: int
    code_px: int  # the side of the largest code
    font_px: int
    text_left: int  # from the label's left edge


def _layout(grid: Grid, modules: int, lines: Sequence[str], lines_per_label: int) -> _Layout:
    """The largest QR code of ``modules`` modules that fits the label's height (and at most half its width), then
    the largest font in which every one of ``lines`` fits beside it, ``lines_per_label`` of them one under another;
    ``InvalidLabelSheet`` when either would be too small to print."""
    width, height = grid.label_size
    module_px = min(height - 2 * _CLEAR_PX, width // 2) // modules
    size_mm = f"{width * 25.4 / DPI:.0f} × {height * 25.4 / DPI:.0f} mm"
    if module_px < MIN_MODULE_PX:
        raise InvalidLabelSheet(f"grid {grid}: labels of {size_mm} are too small for a QR code of {modules} modules")
    text_left = _CLEAR_PX + modules * module_px  # the code's own quiet zone separates it from the text
    room = (width - _CLEAR_PX - text_left, height - 2 * _CLEAR_PX)
    for font_px in range(MAX_FONT_PX, MIN_FONT_PX - 1, -2):
        font = bundled_font(font_px)
        widest = max(font.getbbox(line)[2] for line in lines)
        if widest <= room[0] and _line_height(font_px) * lines_per_label <= room[1]:
            return _Layout(height, module_px, modules * module_px, font_px, text_left)
    raise InvalidLabelSheet(f"grid {grid}: labels of {size_mm} leave too little room for their text")


def _line_height(font_px: int) -> int:
    return font_px * 5 // 4


def _draw_label(page: Image.Image, link: LabelLink, code: Image.Image, box: tuple[int, int], layout: _Layout) -> None:
    """One label with its top left corner at ``box``: ``code`` (one pixel a module) scaled, and the HRI lines."""
    left, top = box
    height = layout.height
    side = code.width * layout.module_px
    scaled = code.resize((side, side), Image.Resampling.NEAREST)
    page.paste(scaled, (left + _CLEAR_PX + (layout.code_px - side) // 2, top + (height - side) // 2))
    font = bundled_font(layout.font_px)
    line_height = _line_height(layout.font_px)
    text_top = top + (height - line_height * len(link.hri_lines)) // 2
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(link.hri_lines):
        draw.text((left + layout.text_left, text_top + number * line_height), line, fill=0, font=font)


def label_pages(links: Sequence[LabelLink], grid: Grid = DEFAULT_GRID) -> Iterator[Image.Image]:
    """The pages of labels, filled row by row, as 1-bit A4 images at 300 dpi."""
    if not 1 <= len(links) <= MAX_LABELS:
        raise InvalidLabelSheet(f"label count {len(links)}: print 1 to {MAX_LABELS} labels at a time")
    codes = [qr_image(link.uri, module_px=1) for link in links]
    lines = sorted({line for link in links for line in link.hri_lines})
    layout = _layout(grid, max(code.width for code in codes), lines, max(len(link.hri_lines) for link in links))
    for start in range(0, len(links), grid.per_page):
        page = Image.new("1", PAGE_SIZE, 1)
        for place in range(start, min(start + grid.per_page, len(links))):
            _draw_label(page, links[place], codes[place], grid.label_box(place - start), layout)
        yield page


def label_sheet_pdf(links: Sequence[LabelLink], grid: Grid = DEFAULT_GRID, *, title: str = "Labels") -> bytes:
    """A PDF of ``label_pages``: one A4 page per ``grid.per_page`` labels, no timestamps (reproducible)."""
    first, *rest = label_pages(links, grid)
    buffer = io.BytesIO()
    first.save(
        buffer, format="PDF", save_all=True, append_images=rest, resolution=float(DPI), title=title,
        creationDate=None, modDate=None,
    )  # fmt: skip
    return buffer.getvalue()
