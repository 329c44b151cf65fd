"""Hotline complaint files (CSV or JSON) read and checked whole before anything is signed.

A file is CSV with a header row, or a JSON array of objects, with the columns ``channel`` (a hotline: 12312, 12315,
12318, 12358, 12363, 12365), ``subject`` (the batch, item, parcel or actor subject path complained about),
``category`` (DESIGN §4's list) and, optionally, ``text`` (the complaint's details, kept outside the log as an
attachment). Rows are numbered from 1, the header not counted. No personal data enters the log or its
attachments: a file with a column for the complainant (name, phone, address, ID number, e-mail, in English or
Chinese) is refused whole, as is any other column, and so is a row whose text holds what looks like a mobile number,
an ID card number or an e-mail address. Remove those before importing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.errors import InvalidIdentifier, InvalidPayload
from ledger.events.schemas import HOTLINES, validate_data
from ledger.identifiers import parse_subject

REQUIRED = ("channel", "subject", "category")
COLUMNS = (*REQUIRED, "text")
#: Column names that hold the complainant's personal data: such a file is refused, never half-imported.
PERSONAL_COLUMNS = frozenset({
    "name", "complainant", "complainant_name", "phone", "mobile", "tel", "telephone", "address", "email", "e-mail",
    "id_card", "id_number", "姓名", "投诉人", "电话", "手机", "手机号", "联系电话", "联系方式", "地址", "住址",
    "身份证", "身份证号", "邮箱",
})  # fmt: skip
_PERSONAL_TEXT = (
    ("a mobile number", re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")),
    ("an ID card number", re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")),
    ("an e-mail address", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
)
MAX_TEXT = 16 * 1024  # bytes of UTF-8: an attachment is details, not a document


@dataclass(frozen=True)
class HotlineComplaint:
    row: int  # from 1, the header not counted
    channel: str
    subject: str  # canonical subject path
    category: str
    text: str | None


def _refuse(source: str, row: int | None, detail: str) -> InvalidPayload:
    return InvalidPayload(f"{source}{'' if row is None else f' row {row}'}: {detail}; nothing was imported")


def _check_columns(source: str, columns: list[str]) -> None:
    personal = [c for c in columns if c.strip().lower() in PERSONAL_COLUMNS]
    if personal:
        raise _refuse(source, None, f"column {personal[0]!r} holds the complainant's personal data, which never "
                      "enters the log: remove it")  # fmt: skip
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise _refuse(source, None, f"unknown column {unknown[0]!r}; the columns are {', '.join(COLUMNS)}")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise _refuse(source, None, f"no column {missing[0]!r}; the columns are {', '.join(COLUMNS)}")


def _complaint(source: str, number: int, record: dict[str, Any]) -> HotlineComplaint:
    values = {name: record.get(name) for name in COLUMNS}
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise _refuse(source, number, f"{name} must be text")
    channel, subject, category = (str(values[name] or "").strip() for name in REQUIRED)
    for name, value in zip(REQUIRED, (channel, subject, category), strict=True):
        if not value:
            raise _refuse(source, number, f"{name} is empty")
    if channel not in HOTLINES:
        raise _refuse(source, number, f"channel {channel!r} is not a hotline ({', '.join(HOTLINES)})")
    try:  # the complaint schema checks the subject's kind (a batch, item, parcel or actor) and the category
        parsed = parse_subject(subject)
        validate_data("complaint", parsed.path, {"category": category, "channel": channel})
    except (InvalidIdentifier, InvalidPayload) as exc:
        raise _refuse(source, number, exc.detail) from None
    text = values["text"] or None
    if text is not None:
        if len(text.encode()) > MAX_TEXT:
            raise _refuse(source, number, f"text is over {MAX_TEXT} bytes")
        for what, pattern in _PERSONAL_TEXT:
            if pattern.search(text):
                raise _refuse(source, number, f"text holds what looks like {what}; remove the complainant's data")
    return HotlineComplaint(number, channel, parsed.path, category, text)


def _records(path: Path) -> list[dict[str, Any]]:
    """The file's rows as objects, after checking its columns."""
    source = str(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")  # a spreadsheet's CSV may start with a byte order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise _refuse(source, None, f"cannot be read as UTF-8 text ({type(exc).__name__})") from None
    if path.suffix.lower() == ".json":
        try:
            records = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _refuse(source, None, f"is not JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise _refuse(source, None, "a JSON file holds an array of objects, one a complaint")
        for record in records:
            _check_columns(source, list(record))
        return records
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    _check_columns(source, list(reader.fieldnames or []))
    records = list(reader)
    for number, record in enumerate(records, 1):
        if None in record:  # more cells than the header names
            raise _refuse(source, number, "has more cells than the header has columns")
    return records


def read_complaints(path: Path) -> list[HotlineComplaint]:
    """Every row of a hotline complaint file, checked; the first bad row refuses the whole file."""
    records = _records(path)
    if not records:
        raise _refuse(str(path), None, "holds no complaints")
    complaints = [_complaint(str(path), number, record) for number, record in enumerate(records, 1)]
    seen: dict[tuple[str, str, str], int] = {}
    for c in complaints:
        if c.text is None:  # without a text two such rows would be one event, signed at the same second
            first = seen.setdefault((c.channel, c.subject, c.category), c.row)
            if first != c.row:
                raise _refuse(str(path), c.row, f"repeats row {first} without a text to tell them apart")
    return complaints
