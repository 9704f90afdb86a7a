"""Patrol settings, declared in the rule registry (envgrid.core.rules;
docs/rules-config.md). The photo size limit is an upload limit: settings/environment only
(ENVGRID_PATROL_PHOTO_MAX_BYTES), read by patrols/files.py until uploads share one check
(issue 19, part 1).
"""

from __future__ import annotations

from envgrid.core import rules
from envgrid.core.rules import Rule

rules.register(
    Rule(
        key="patrols.photo_max_bytes",
        default=10 * 1024 * 1024,
        type=rules.INT,
        min=1,
        unit="bytes",
        setting="ENVGRID_PATROL_PHOTO_MAX_BYTES",
        admin_override=False,
        description_zh="巡查照片的最大字节数",
        description_en="Largest patrol photo",
    ),
)
