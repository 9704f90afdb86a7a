"""统一社会信用代码 (unified social credit code) per GB 32100-2015.

18 characters: registration authority (1), organisation type (1), administrative
division (6 digits), subject identifier (9 characters: the organisation code of
GB 11714, whose last character is its own check character), check character (1).
The alphabet leaves out I, O, Z, S and V. The 18th character is
31 - (Σ value(cᵢ)·3ⁱ mod 31) mod 31, i = 0…16, with weights 3ⁱ mod 31.
"""

from __future__ import annotations

import random

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
# GB 11714 organisation code: 8 body characters (digits, capital letters) + check.
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def check_char(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def uscc_problem(code: str) -> str | None:
    """None when `code` is a valid USCC, else the reason (Chinese, for people)."""
    code = (code or "").strip().upper()
    if len(code) != 18:
        return f"应为 18 位，实际 {len(code)} 位"
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return f"含有不允许的字符：{''.join(bad)}（不使用 I、O、Z、S、V）"
    if not code[2:8].isdigit():
        return "第 3–8 位（登记管理机关行政区划码）应为数字"
    if code[17] != check_char(code[:17]):
        return f"校验码错误：第 18 位应为 {check_char(code[:17])}"
    return None


def uscc_is_valid(code: str) -> bool:
    return uscc_problem(code) is None


def uscc_normalize(code: str) -> str:
    return (code or "").strip().upper()


def uscc_generate(rng: random.Random, *, division: str = "210802") -> str:
    """A valid synthetic code (registration 9 = market regulation, type 1 = enterprise),
    with a GB 11714-valid organisation code inside. For demo data only."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = "91" + division + body + org_check_char(body)
    if any(c not in _VALUE for c in first17):  # the organisation check may be "X": fine
        return uscc_generate(rng, division=division)
    return first17 + check_char(first17)
