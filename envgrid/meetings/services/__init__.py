"""Writes for joint meetings (M1–M7): scheduling under the convener rule, participants and
attendance, minutes, decisions with their owners' obligations, progress, verification
and closure, supervision of overdue decisions, and periodic task reports.

Every function checks everything before it writes, runs in one transaction and records
an audit event; a refused rule is an ApplicationError with a stable code.
"""

from __future__ import annotations

from ..selectors import (
    decision_owner_units,
    schedule_units,
)
from ._common import (
    CONVENE_SCOPE,
    _link_type,
    _require_manage,
    _required,
    _user,
    log,
)
from .decisions import (
    _decision_obligation,
    _open_supervisions,
    decision_close,
    decision_create,
    decision_progress_report,
    decision_verify_reject,
    decision_withdraw,
)
from .meetings import (
    AgendaInput,
    AttendanceInput,
    _check_agenda,
    convener_check,
    meeting_attendance_record,
    meeting_cancel,
    meeting_hold,
    meeting_minutes_issue,
    meeting_minutes_save,
    meeting_participant_add,
    meeting_schedule,
    minutes_number_prefix,
    participant_suggestions,
)
from .supervision import (
    _decision_of,
    decision_escalate,
    decision_supervise,
    on_decision_obligations_overdue,
    on_supervision_responses_overdue,
)
from .task_reports import (
    GenerateResult,
    _add_months,
    schedule_periods,
    task_report_schedule_create,
    task_report_submit,
    task_reports_generate,
    task_reports_on_sweep,
)

__all__ = [
    "CONVENE_SCOPE",
    "AgendaInput",
    "AttendanceInput",
    "GenerateResult",
    "_add_months",
    "_check_agenda",
    "_decision_obligation",
    "_decision_of",
    "_link_type",
    "_open_supervisions",
    "_require_manage",
    "_required",
    "_user",
    "convener_check",
    "decision_close",
    "decision_create",
    "decision_escalate",
    "decision_owner_units",
    "decision_progress_report",
    "decision_supervise",
    "decision_verify_reject",
    "decision_withdraw",
    "log",
    "meeting_attendance_record",
    "meeting_cancel",
    "meeting_hold",
    "meeting_minutes_issue",
    "meeting_minutes_save",
    "meeting_participant_add",
    "meeting_schedule",
    "minutes_number_prefix",
    "on_decision_obligations_overdue",
    "on_supervision_responses_overdue",
    "participant_suggestions",
    "schedule_periods",
    "schedule_units",
    "task_report_schedule_create",
    "task_report_submit",
    "task_reports_generate",
    "task_reports_on_sweep",
]
