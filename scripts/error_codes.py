"""The API's error codes: find every code the source raises, and render the vocabulary.

    python scripts/error_codes.py            # codes raised in envgrid/ but not in core/errors.py
    python scripts/error_codes.py --table    # print the vocabulary table of docs/api.md
    python scripts/error_codes.py --write    # rewrite that table in docs/api.md

A code is "raised" where the source writes it as a literal: ``code="…"`` in a call to an
error class (a name ending in Error, Refused, Failed, Denied, TooLarge) or to a refusal
helper (``refuse``, ``_reject``…), ``{"code": "…", "message": …}`` in a response body, the
default of a ``code`` parameter of such a class, a module constant passed as ``code=NAME``,
and the values of a ``…LEGACY_CODES`` mapping (core.uploads answers with them).
core/tests/test_error_codes.py runs the scan: each code must be canonical or an alias.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "api.md"
BEGIN = "<!-- error-codes:begin (scripts/error_codes.py --write) -->"
END = "<!-- error-codes:end -->"
_CALLEE = re.compile(r"(Error|Refused|Failed|Denied|TooLarge|Exception)$|^_?(refuse|reject)")


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _str(node: ast.AST | None, consts: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    return None


def raised_codes(root: Path = ROOT) -> dict[str, list[str]]:
    """{code: ["envgrid/app/file.py:line", …]} for production code (tests excluded)."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted((root / "envgrid").rglob("*.py")):
        parts = path.relative_to(root).parts
        if "tests" in parts or "migrations" in parts:
            continue
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        consts = {
            t.id: n.value.value
            for n in tree.body
            if isinstance(n, ast.Assign)
            and isinstance(n.value, ast.Constant)
            and isinstance(n.value.value, str)
            for t in n.targets
            if isinstance(t, ast.Name) and t.id.isupper()
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _CALLEE.search(_callee(node)):
                for kw in node.keywords:
                    code = _str(kw.value, consts) if kw.arg == "code" else None
                    if code is not None:
                        found[code].append(f"{rel}:{node.lineno}")
            elif isinstance(node, ast.Dict):
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
                if "code" in keys and "message" in keys:
                    code = _str(node.values[keys.index("code")], consts)
                    if code is not None:
                        found[code].append(f"{rel}:{node.lineno}")
            elif isinstance(node, ast.ClassDef) and _CALLEE.search(node.name):
                for fn in node.body:
                    if isinstance(fn, ast.FunctionDef) and fn.name == "__init__":
                        args = fn.args.kwonlyargs
                        for arg, default in zip(args, fn.args.kw_defaults, strict=True):
                            code = _str(default, consts) if arg.arg == "code" else None
                            if code is not None:
                                found[code].append(f"{rel}:{fn.lineno}")
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if any(n.endswith("LEGACY_CODES") for n in names):
                    for v in node.value.values:
                        code = _str(v, consts)
                        if code is not None:
                            found[code].append(f"{rel}:{node.lineno}")
    return dict(found)


def table() -> str:
    sys.path.insert(0, str(ROOT))
    from envgrid.core.errors import vocabulary_markdown

    return vocabulary_markdown()


def write() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOC.write_text(text[:start] + "\n" + table() + "\n" + text[end:], encoding="utf-8")


def main(argv: list[str]) -> None:
    if argv == ["--table"]:
        print(table())
        return
    if argv == ["--write"]:
        write()
        return
    sys.path.insert(0, str(ROOT))
    from envgrid.core.errors import is_known

    for code, where in sorted(raised_codes().items()):
        if not is_known(code):
            print(code, where[0])


if __name__ == "__main__":
    main(sys.argv[1:])
