"""Print, per requirement ID, the tests whose names carry it, as docs/rules.md lists them.

    python scripts/rules_tests.py            # every ID
    python scripts/rules_tests.py T4 I2      # only these
    python scripts/rules_tests.py --write    # refresh every entry's Tests list in docs/rules.md

The index is the one envgrid/core/tests/test_rules_doc.py checks the document against.
`--write` rewrites only the lists under "**Tests** —"; an entry that gains its first test
or loses its last one (and the Not yet tested section) is edited by hand.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from envgrid.core.tests.test_rules_doc import id_index  # noqa: E402

ORDER = "GMETIAD"


def lines_for(index: dict[str, dict[str, list[str]]], rid: str) -> list[str]:
    return [
        f"- `{rel}`: " + ", ".join(f"`{n}`" for n in names)
        for rel, names in sorted(index.get(rid, {}).items())
    ]


def write(index: dict[str, dict[str, list[str]]]) -> None:
    doc = ROOT / "docs" / "rules.md"
    text = doc.read_text(encoding="utf-8")
    entry = re.compile(
        r"(^### ([GMETIAD]\d+)\n(?:(?!^#).)*?^\*\*Tests\*\* —\n)((?:- [^\n]*\n)+)", re.M | re.S
    )

    def refresh(m: re.Match[str]) -> str:
        fresh = lines_for(index, m.group(2))
        return m.group(1) + ("\n".join(fresh) + "\n" if fresh else "- none\n")

    doc.write_text(entry.sub(refresh, text), encoding="utf-8")


def main(argv: list[str]) -> None:
    index = id_index()
    if argv == ["--write"]:
        write(index)
        return
    for rid in argv or sorted(index, key=lambda i: (ORDER.index(i[0]), int(i[1:]))):
        print(f"{rid}:")
        print("\n".join(lines_for(index, rid)))
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
