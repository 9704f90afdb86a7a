"""Maximum lengths of free text (issue 16, part 3).

Every models.TextField carries one of these as ``max_length`` (Django enforces it in
forms and DRF serializers, not in the database, so the migrations that add them are
state-only), and every writable string field of a serializer declares one. Sizes are in
characters; a Chinese character counts as one. ``core/tests/test_field_limits.py``
fails when a new field comes without a limit.
"""

from __future__ import annotations

#: Titles, names, short labels, numbers, one-line references.
SHORT = 200
#: Reasons, notes, replies, opinions: a paragraph or a few.
MEDIUM = 2000
#: Facts, descriptions, duties, instructions, objectives: a page or several.
LONG = 20000
#: Whole documents: meeting minutes, report bodies, annual summaries.
HUGE = 100000
