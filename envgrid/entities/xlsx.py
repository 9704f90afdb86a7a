"""Reading the first worksheet of an uploaded .xlsx as rows of cell values, fast.

python-calamine (Rust) parses a 100,000-row sheet several times faster than openpyxl
(docs/decisions/0003-xlsx-reader.md); its values are brought to what openpyxl's
read-only, data-only reader gives, so validation sees the same values and reports the
same messages whichever reader ran. openpyxl stays the fallback: when calamine is not
installed, or cannot read a file (then openpyxl decides whether it is readable at all).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator
from typing import Any

from openpyxl import load_workbook

try:
    import python_calamine
except ImportError:  # pragma: no cover - the dependency is declared; this is the fallback
    python_calamine = None  # type: ignore[assignment]

log = logging.getLogger(__name__)
Row = tuple[Any, ...]
# Integral floats below this are given back as int (as openpyxl reads Excel's "123");
# larger ones Excel itself writes in exponent form, which openpyxl reads as float.
_INT_LIMIT = 2**53


def _like_openpyxl(value: Any) -> Any:
    """calamine → openpyxl: empty is None (calamine says ""), whole numbers are int
    (calamine gives every number as float), a date cell is a datetime at midnight."""
    if value == "":
        return None
    if type(value) is float:
        if value.is_integer() and -_INT_LIMIT < value < _INT_LIMIT:
            return int(value)
        return value
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value


def _calamine_rows(content: bytes) -> list[Row]:
    assert python_calamine is not None
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    # openpyxl's worksheets[0]: the first worksheet, skipping chart sheets.
    index = next(
        (
            i
            for i, meta in enumerate(book.sheets_metadata)
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ),
        None,
    )
    if index is None:
        raise ValueError("no worksheet")
    # skip_empty_area=False: rows and columns keep their sheet positions (row numbers in
    # error messages), even when the first rows or columns are empty.
    cells = book.get_sheet_by_index(index).to_python(skip_empty_area=False)
    fix = _like_openpyxl
    return [tuple([fix(v) for v in row]) for row in cells]


def _openpyxl_rows(content: bytes) -> Iterator[Row]:
    wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        yield from wb.worksheets[0].iter_rows(values_only=True)
    finally:
        wb.close()


def xlsx_rows(content: bytes) -> Iterator[Row]:
    """Every row of the first worksheet from row 1, cells as openpyxl's read-only,
    data-only reader gives them. Raises when the file is not a readable workbook."""
    if python_calamine is not None:
        try:
            return iter(_calamine_rows(content))
        except Exception as exc:
            # openpyxl decides whether the file is readable at all.
            log.info("calamine could not read the workbook (%s); trying openpyxl", exc)
    opened = _openpyxl_rows(content)
    # Open the workbook now, so an unreadable file raises here and not on first use.
    first = next(opened, None)
    if first is None:
        return iter(())
    return _chain(first, opened)


def _chain(first: Row, rest: Iterator[Row]) -> Iterator[Row]:
    yield first
    yield from rest


def xlsx_rows_list(content: bytes) -> list[Row]:
    """Every row as a list (what crosses back from the parsing child process)."""
    return list(xlsx_rows(content))
