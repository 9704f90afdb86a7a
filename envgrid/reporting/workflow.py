"""The report's steps (I2: 采集→筛选→加工→报送→反馈→公开→存档) as a table, and the one
function that moves a report along it, writing a history row and an audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from envgrid.core import workflow as kernel
from envgrid.core.errors import ApplicationError
from envgrid.core.workflow import Transition, Workflow, register, step

from .models import Report, ReportEvent, ReportStatus

S = ReportStatus

AUTHOR = "author"  # staff of the reporting unit
RECEIVER = "receiver"  # the office of the leading group the report went to


def _step(
    action: str,
    sources: tuple[str, ...],
    target: str,
    by: str,
    label: str | Promise,
    note_required: bool = False,
    stamp: str | None = None,
) -> Transition:
    # `who` is the side that takes the step (AUTHOR or RECEIVER), checked by the services.
    return step(action, sources, target, label, who=by, note_required=note_required, stamp=stamp)


TRANSITIONS: tuple[Transition, ...] = (
    _step("screen", (S.COLLECTED,), S.SCREENED, AUTHOR, pgettext_lazy("report step", "筛选")),
    _step("process", (S.SCREENED,), S.PROCESSED, AUTHOR, gettext_lazy("加工")),
    _step(
        "submit", (S.PROCESSED,), S.SUBMITTED, AUTHOR, gettext_lazy("报送"), stamp="submitted_at"
    ),
    _step(
        "feedback",
        (S.SUBMITTED,),
        S.FED_BACK,
        RECEIVER,
        gettext_lazy("反馈"),
        note_required=True,
        stamp="fed_back_at",
    ),
    # The office may send a report back for revision; the author processes and resubmits it.
    _step("return", (S.SUBMITTED,), S.PROCESSED, RECEIVER, gettext_lazy("退回修改"), True),
    _step(
        "publish", (S.FED_BACK,), S.PUBLISHED, RECEIVER, gettext_lazy("公开"), stamp="published_at"
    ),
    _step(
        "archive",
        (S.FED_BACK, S.PUBLISHED),
        S.ARCHIVED,
        RECEIVER,
        gettext_lazy("存档"),
        stamp="archived_at",
    ),
    _step(
        "withdraw",
        (S.COLLECTED, S.SCREENED, S.PROCESSED),
        S.WITHDRAWN,
        AUTHOR,
        gettext_lazy("撤回"),
        note_required=True,
        stamp="withdrawn_at",
    ),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}
# The step that creates a report; recorded in the history like the others.
COLLECT = "collect"
STEP_LABELS: dict[str, Any] = {COLLECT: gettext_lazy("采集")} | {
    t.action: t.label for t in TRANSITIONS
}


def transition_get(action: str) -> Transition:
    try:
        return BY_ACTION[action]
    except KeyError:
        raise ApplicationError(
            _("未知的操作：%(action)s") % {"action": action},
            code="action_unknown",
            fields={"action": [_("无效")]},
        ) from None


def available_actions(report: Report) -> list[Transition]:
    return [t for t in TRANSITIONS if report.status in t.sources]


def actor_name(user: Any) -> str:
    person = getattr(user, "person", None) if user is not None else None
    if person is not None:
        return person.name
    return user.get_username() if getattr(user, "is_authenticated", False) else "system"


REPORT_WORKFLOW = register(
    Workflow(
        model=Report,
        transitions=TRANSITIONS,
        audit_prefix="report",
        history=ReportEvent,
        history_subject="report",
        history_extra=lambda report, actor: {"actor_name": actor_name(actor)},
    )
)


def history_add(
    *,
    report: Report,
    action: str,
    actor: Any,
    from_status: str,
    to_status: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> ReportEvent:
    return ReportEvent.objects.create(
        report=report,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=actor_name(actor),
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def report_transition(
    *,
    report: Report,
    action: str,
    actor: Any,
    note: str = "",
    at: dt.datetime | None = None,
    changes: dict[str, Any] | None = None,
) -> Report:
    """Move `report` by `action`. Who may do it is the caller's (services') check;
    the kernel enforces the table, stamps the step's time, and records history + audit.
    `changes` are field values set in the same write (e.g. the number at submission)."""
    transition = transition_get(action)
    fields = dict(changes or {})
    if transition.stamp == "submitted_at":
        # The first submission counts for timeliness; a resubmission after a return keeps it.
        stored = Report.objects.values_list("submitted_at", flat=True).get(pk=report.pk)
        if stored is not None:
            fields["submitted_at"] = stored
    when = at or timezone.now()
    locked: Report = kernel.transition(
        report, action=action, actor=actor, note=note, at=when, fields=fields, refresh=True
    )
    return locked
