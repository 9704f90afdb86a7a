"""Print, per requirement ID, the tests whose names carry it, as docs/rules.md lists them.

    python scripts/rules_tests.py          # every ID
    python scripts/rules_tests.py T4 I2    # only these

The index is the one envgrid/core/tests/test_rules_doc.py checks the document against.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from envgrid.core.tests.test_rules_doc import id_index


def main(ids: list[str]) -> None:
    index = id_index()
    order = "GMETIAD"
    for rid in ids or sorted(index, key=lambda i: (order.index(i[0]), int(i[1:]))):
        print(f"{rid}:")
        for rel, names in sorted(index.get(rid, {}).items()):
            print(f"- `{rel}`: " + ", ".join(f"`{n}`" for n in names))
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
