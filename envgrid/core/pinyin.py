"""Pinyin initials of a Chinese name, so a picker finds "生态环境局" by typing "sthjj"
(issue 20, part 4). pypinyin's own dictionary; letters and digits kept as they are."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def initials(text: str) -> str:
    """'金山化工有限公司' -> 'jshgyxgs'; other characters than letters and digits dropped."""
    parts = lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for ch in "".join(parts).lower() if ch.isascii() and ch.isalnum())[:100]
