"""Print or write docs/rules-config.md, the table of configurable rules (envgrid.core.rules).

    python scripts/rules_config.py            # print the table
    python scripts/rules_config.py --write    # rewrite docs/rules-config.md

envgrid/core/tests/test_rules_registry.py fails when the file differs from the registry.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOC = ROOT / "docs" / "rules-config.md"


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from envgrid.core.rules import render_markdown

    text = render_markdown()
    if argv == ["--write"]:
        DOC.write_text(text, encoding="utf-8")
        return
    sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
