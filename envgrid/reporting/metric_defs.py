"""The overview's figures for each area, defined here (reporting reads the other apps;
they do not import reporting). Each definition is registered only when its app is
installed and its model exists, and its field paths are checked against the model, so
the dashboard keeps working while areas land or change.

Definitions use the owning app's own policy for visibility when it has one, so a
figure never counts a row its viewer could not open.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envgrid.core.policy_registry import policy_for

from .metrics import Column, Metric, register_metric

log = logging.getLogger(__name__)

LIVE = ("open", "overdue")


def _model(label: str, name: str) -> type[models.Model] | None:
    if not apps.is_installed(f"envgrid.{label}"):
        return None
    try:
        return apps.get_model(label, name)
    except LookupError:
        return None


def _policy_scope(model: type[models.Model]) -> Callable[[Any], QuerySet]:
    """The owning app's policy scope (from core's registry: no import of that app); a model
    without a policy shows its rows only to administrators (never more than its app would)."""

    def scope(user: Any) -> QuerySet:
        policy = policy_for(model)
        if policy is None:
            from envgrid.org.selectors import actor_for

            qs = model._default_manager.all()
            return qs if actor_for(user).is_admin else qs.none()
        return policy.scope(user)

    return scope


def overdue_obligation_q(model: type[models.Model]) -> Callable[[dt.datetime], Q]:
    """Rows with an obligation on them (any kind) still open past its due time."""

    def q(now: dt.datetime) -> Q:
        from envgrid.obligations.models import Obligation

        ct = ContentType.objects.get_for_model(model)
        return Q(
            Exists(
                Obligation.objects.filter(
                    subject_type=ct,
                    subject_id=Cast(OuterRef("pk"), CharField()),
                    status__in=LIVE,
                    due_at__lt=now,
                )
            )
        )

    return q


def _status_in(*values: str) -> Callable[[dt.datetime], Q]:
    return lambda now: Q(status__in=values)


def _display(obj: Any, name: str) -> Any:
    method = getattr(obj, f"get_{name}_display", None)
    return method() if method else getattr(obj, name, "")


def _local(value: Any) -> Any:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _unit_name(unit: Any) -> str:
    return (unit.short_name or unit.name) if unit is not None else ""


def register_all() -> None:
    """Called from ReportingConfig.ready(); registering twice replaces, never duplicates."""
    _reports()
    _obligations()
    _timeliness()
    _cases()
    _transfers()
    _decisions()
    _enforcement()
    _petitions()


# --------------------------------------------------------------------------- reports (own)


def _reports() -> None:
    from .models import SENT_STATUSES, Report
    from .policies import report_policy

    register_metric(
        Metric(
            key="reports",
            label=_("报送信息"),
            queryset=lambda user, now: report_policy.scope(user).filter(status__in=SENT_STATUSES),
            date_field="submitted_at",
            unit_fields=("unit",),
            grid_field="grid",
            open_q=_status_in("submitted"),
            # A report submitted after its due time (I3).
            overdue_q=lambda now: Q(due__obligation__completed_late=True),
            columns=(
                Column(_("编号"), lambda r: r.number),
                Column(_("标题"), lambda r: r.title),
                Column(_("信息类型"), lambda r: r.get_report_type_display()),
                Column(_("报送单位"), lambda r: _unit_name(r.unit)),
                Column(_("报送时间"), lambda r: _local(r.submitted_at)),
                Column(_("状态"), lambda r: r.get_status_display()),
            ),
            order=70,
            list_url="reporting:list",
            help=_("已报送的信息；“待办”为待反馈，“逾期”为逾期报送。"),
        ),
        Report,
    )


# --------------------------------------------------------------------------- obligations


def _obligations() -> None:
    from envgrid.obligations.models import Obligation
    from envgrid.obligations.policies import obligation_policy

    def rows(user: Any, now: dt.datetime) -> QuerySet:
        # The overdue register (T6): items past due still open, and items completed late.
        return obligation_policy.scope(user).filter(
            Q(status__in=LIVE, due_at__lt=now) | Q(completed_late=True)
        )

    register_metric(
        Metric(
            key="overdue",
            label=_("逾期事项"),
            queryset=rows,
            date_field="due_at",
            unit_fields=("unit",),
            # An obligation sits on the grids its unit owns (the grid owner answers for it).
            grid_field="unit__grids",
            open_q=lambda now: Q(status__in=LIVE),
            overdue_q=lambda now: Q(status__in=LIVE, due_at__lt=now),
            columns=(
                Column(_("事项"), lambda o: o.title),
                Column(_("责任单位"), lambda o: _unit_name(o.unit)),
                Column(_("截止时间"), lambda o: _local(o.due_at)),
                Column(_("完成时间"), lambda o: _local(o.completed_at)),
                Column(_("状态"), lambda o: o.get_status_display()),
            ),
            order=30,
            list_url="obligations:register",
            help=_("逾期登记：截止时间已过仍未办结，或逾期后才办结的事项（按截止月份统计）。"),
        ),
        Obligation,
    )


# I4 timeliness: kinds other apps open (reporting: the adjustment report; disclosure: the
# adjustment's publication and the refresh of each public item). Strings, no imports.
TIMELINESS_KINDS = ("adjustment.report", "adjustment.publish")
TIMELINESS_PREFIX = "disclosure.refresh."


def _timeliness() -> None:
    from envgrid.obligations.models import Obligation
    from envgrid.obligations.policies import obligation_policy

    def rows(user: Any, now: dt.datetime) -> QuerySet:
        return obligation_policy.scope(user).filter(
            Q(kind__in=TIMELINESS_KINDS) | Q(kind__startswith=TIMELINESS_PREFIX)
        )

    register_metric(
        Metric(
            key="timeliness",
            label=_("及时报送和公开"),
            queryset=rows,
            date_field="due_at",
            unit_fields=("unit",),
            grid_field="unit__grids",
            open_q=lambda now: Q(status__in=LIVE),
            overdue_q=lambda now: Q(status__in=LIVE, due_at__lt=now) | Q(completed_late=True),
            columns=(
                Column(_("事项"), lambda o: o.title),
                Column(_("责任单位"), lambda o: _unit_name(o.unit)),
                Column(_("截止时间"), lambda o: _local(o.due_at)),
                Column(_("完成时间"), lambda o: _local(o.completed_at)),
                Column(_("状态"), lambda o: o.get_status_display()),
            ),
            order=35,
            list_url="obligations:list",
            help=_(
                "重大调整的上报和公开时限、六类公开信息的更新周期（I4）；“逾期”为未按时上报、公开或更新。"
            ),
        ),
        Obligation,
    )


# --------------------------------------------------------------------------- cases, transfers


def _cases() -> None:
    model = _model("cases", "Case")
    if model is None:
        return
    register_metric(
        Metric(
            key="cases",
            label=_("案件"),
            queryset=lambda user, now: _policy_scope(model)(user),
            date_field="registered_at",
            unit_fields=("owner_unit", "discovered_by_unit"),
            grid_field="occurrence_grid",
            open_q=lambda now: ~Q(status__in=("closed", "withdrawn")),
            overdue_q=overdue_obligation_q(model),
            columns=(
                Column(_("案件编号"), lambda c: c.number),
                Column(_("案件名称"), lambda c: c.title),
                Column(_("办理单位"), lambda c: _unit_name(c.owner_unit)),
                Column(_("登记时间"), lambda c: _local(c.registered_at)),
                Column(_("状态"), lambda c: _display(c, "status")),
            ),
            order=10,
            help=_("按登记时间统计；按单位为办理单位。"),
        ),
        model,
    )


def _transfers() -> None:
    model = _model("cases", "Transfer")
    if model is None:
        return
    register_metric(
        Metric(
            key="transfers",
            label=_("案件移送"),
            queryset=lambda user, now: _policy_scope(model)(user),
            date_field="sent_at",
            unit_fields=("receiver_unit", "sender_unit"),
            grid_field="case__occurrence_grid",
            open_q=_status_in("sent", "accepted", "handled"),
            overdue_q=overdue_obligation_q(model),
            columns=(
                Column(_("移送"), lambda t: str(t)),
                Column(_("移送单位"), lambda t: _unit_name(t.sender_unit)),
                Column(_("接收单位"), lambda t: _unit_name(t.receiver_unit)),
                Column(_("移送时间"), lambda t: _local(t.sent_at)),
                Column(_("状态"), lambda t: _display(t, "status")),
            ),
            order=20,
            help=_("按移送时间统计；按单位为接收单位。"),
        ),
        model,
    )


# --------------------------------------------------------------------------- decisions


def _decisions() -> None:
    model = _model("meetings", "Decision")
    if model is None:
        return
    register_metric(
        Metric(
            key="decisions",
            label=_("会议决定事项"),
            queryset=lambda user, now: _policy_scope(model)(user),
            date_field="meeting__starts_at",
            unit_fields=("owners__unit", "meeting__organiser_unit"),
            grid_field=None,
            open_q=_status_in("open", "reported"),
            overdue_q=lambda now: Q(status="open", due_date__lt=timezone.localtime(now).date()),
            columns=(
                Column(_("决定事项"), lambda d: str(d)),
                Column(_("内容"), lambda d: (d.text or "")[:80]),
                Column(_("完成时限"), lambda d: d.due_date),
                Column(_("状态"), lambda d: _display(d, "status")),
            ),
            order=40,
            list_url="meetings:list",
            help=_("按会议时间统计；按单位为承办单位（多家承办时各计一次）。"),
        ),
        model,
    )


# --------------------------------------------------------------------------- enforcement


def _enforcement() -> None:
    model = _model("enforcement", "EnforcementAction")
    assignment = _model("enforcement", "Assignment")
    if model is None:
        return

    def overdue(now: dt.datetime) -> Q:
        if assignment is None:
            return Q(pk__in=[])
        # E4: an assignment not acknowledged by its deadline.
        return Q(
            Exists(
                assignment._default_manager.filter(
                    action=OuterRef("pk"), status="pending", ack_due_at__lt=now
                )
            )
        )

    register_metric(
        Metric(
            key="enforcement",
            label=_("联合执法行动"),
            queryset=lambda user, now: _policy_scope(model)(user),
            date_field="start_date",
            unit_fields=("organiser_unit", "participants__unit"),
            grid_field="organiser_grid",
            open_q=_status_in("draft", "approved", "deployed", "in_progress"),
            overdue_q=overdue,
            columns=(
                Column(_("行动"), lambda a: str(a)),
                Column(_("组织单位"), lambda a: _unit_name(a.organiser_unit)),
                Column(_("开始日期"), lambda a: a.start_date),
                Column(_("结束日期"), lambda a: a.end_date),
                Column(_("状态"), lambda a: _display(a, "status")),
            ),
            order=50,
            help=_("按开始日期统计；按单位为组织单位；“逾期”为有下级网格任务逾期未签收。"),
        ),
        model,
    )


# --------------------------------------------------------------------------- petitions


def _petitions() -> None:
    model = _model("disclosure", "Petition")
    if model is None:
        return
    register_metric(
        Metric(
            key="petitions",
            label=_("环境信访"),
            queryset=lambda user, now: _policy_scope(model)(user),
            date_field="received_at",
            unit_fields=("unit", "office_unit"),
            grid_field="grid",
            open_q=_status_in("received", "accepted", "objected"),
            overdue_q=overdue_obligation_q(model),
            columns=(
                # Never the petitioner's identity (I4): code, category, place, status only.
                Column(_("查询码"), lambda p: p.tracking_code),
                Column(_("类别"), lambda p: _display(p, "category")),
                Column(_("承办单位"), lambda p: _unit_name(p.unit)),
                Column(_("登记时间"), lambda p: _local(p.received_at)),
                Column(_("状态"), lambda p: _display(p, "status")),
            ),
            order=60,
            help=_("按登记时间统计；按单位为承办单位。"),
        ),
        model,
    )
