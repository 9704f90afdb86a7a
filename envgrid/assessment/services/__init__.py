"""Writes for the annual assessment (SPEC A1–A3). Every write is audited; every refused rule
raises ApplicationError with a stable code.

Plans: created as drafts (from the seed's default indicators or copied from another plan),
frozen once an assessment adopts them; a change is a new version.
Assessment: opened per leading group and year; each member unit gets an evaluation and an
obligation "assessment.self_evaluation"; the office starts the review, adjusts scores only
with a written reason, and finalises (totals, ranks, grades, a result number); a unit may
object within the plan's window of working days; the office decides and it is recorded.
"""

from __future__ import annotations

from ..selectors import (
    default_unit_ids,
)
from ._common import (
    INDICATOR_FIELDS,
    OBJECTION_KIND,
    PLAN_FIELDS,
    SELF_EVALUATION_KIND,
    _decimal,
    _lock_plan,
    _moment,
    _require_draft,
    _require_office,
    _score_in_range,
    _validate,
    objection_deadline_for,
)
from .assessments import (
    _apply_adjustment,
    _finalise_totals,
    _notify_units,
    _open_self_evaluation,
    _require_reason,
    assessment_adopt_plan,
    assessment_finalise,
    assessment_open,
    assessment_review_start,
    score_adjust,
)
from .evaluations import (
    _lock_evaluation,
    _require_self,
    evaluation_self_evaluate,
    evaluation_submit,
    evidence_add,
)
from .objections import (
    objection_deadlines_recompute,
    objection_decide,
    objection_file,
)
from .plans import (
    _check_metric,
    _create_indicators,
    _indicator_rows_of,
    default_indicator_rows,
    indicator_create,
    indicator_delete,
    indicator_update,
    plan_create,
    plan_new_version,
    plan_update,
)

__all__ = [
    "INDICATOR_FIELDS",
    "OBJECTION_KIND",
    "PLAN_FIELDS",
    "SELF_EVALUATION_KIND",
    "_apply_adjustment",
    "_check_metric",
    "_create_indicators",
    "_decimal",
    "_finalise_totals",
    "_indicator_rows_of",
    "_lock_evaluation",
    "_lock_plan",
    "_moment",
    "_notify_units",
    "_open_self_evaluation",
    "_require_draft",
    "_require_office",
    "_require_reason",
    "_require_self",
    "_score_in_range",
    "_validate",
    "assessment_adopt_plan",
    "assessment_finalise",
    "assessment_open",
    "assessment_review_start",
    "default_indicator_rows",
    "default_unit_ids",
    "evaluation_self_evaluate",
    "evaluation_submit",
    "evidence_add",
    "indicator_create",
    "indicator_delete",
    "indicator_update",
    "objection_deadline_for",
    "objection_deadlines_recompute",
    "objection_decide",
    "objection_file",
    "plan_create",
    "plan_new_version",
    "plan_update",
    "score_adjust",
]
