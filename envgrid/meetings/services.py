"""Writes for joint meetings (M1–M7): scheduling under the convener rule, participants and
attendance, minutes, decisions with their owners' obligations, progress, verification
and closure, supervision of overdue decisions, and periodic task reports.

Every function checks everything before it writes, runs in one transaction and records
an audit event; a refused rule is an ApplicationError with a stable code.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.calendar import UnknownCalendarYear
from envgrid.core.deadlines import DeadlineRule, RuleKind, end_of_day, local_date
from envgrid.core.documents import document_number_next
from envgrid.core.errors import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from envgrid.core.notifications import notify
from envgrid.obligations.models import Obligation, Supervision, SupervisionStatus
from envgrid.obligations.services import (
    LIVE,
    obligation_cancel,
    obligation_complete,
    obligation_open,
    users_of_unit,
)
from envgrid.obligations.supervision import (
    supervision_close,
    supervision_issue,
    supervision_respond,
)
from envgrid.org.models import Delegation, LeadingGroup, Person, Unit
from envgrid.org.policies import unit_policy
from envgrid.org.selectors import actor_for, delegation_valid

from .models import (
    INTERVAL_MONTHS,
    AgendaItem,
    AgendaKind,
    Attendance,
    Decision,
    DecisionLink,
    DecisionOwner,
    DecisionProgress,
    DecisionStatus,
    DecisionStatusChange,
    Meeting,
    MeetingScope,
    MeetingStatus,
    MeetingStatusChange,
    Participant,
    ParticipantSource,
    ProblemKind,
    ReportInterval,
    TaskReport,
    TaskReportSchedule,
)
from .policies import can_manage_meeting, decision_policy, meeting_policy, task_report_policy
from .registry import suggested_units
from .rules import rule
from .selectors import DECISION_KIND, TASK_REPORT_KIND, link_visible
from .workflow import decision_transition, meeting_transition

log = logging.getLogger(__name__)

CONVENE_SCOPE = "meeting.convene"


def _required(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(
            message, code=f"{field_name}_required", fields={field_name: [_("必填")]}
        )
    return value


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _link_type(obj: models.Model | None) -> tuple[Any, str, str]:
    if obj is None:
        return None, "", ""
    return ContentType.objects.get_for_model(obj), str(obj.pk), str(obj)[:300]


def _require_manage(actor: Any, meeting: Meeting) -> None:
    if not meeting_policy.can_view(actor, meeting):
        raise NotFoundError(_("会议未找到，或无权查看。"))
    if not can_manage_meeting(actor_for(actor), meeting):
        raise PermissionDeniedError(
            _("只有会议的组织单位（领导小组办公室或召集单位）可以进行此操作。"),
            code="not_organiser",
        )


# ---- M4: who may convene ------------------------------------------------------


def convener_check(
    *,
    group: LeadingGroup,
    scope: str,
    convener: Person,
    day: dt.date,
    today: dt.date | None = None,
) -> Delegation | None:
    """M4. A leading-group meeting is convened by the leader or a deputy, or by the office
    director under a recorded delegation in force both on the day the meeting is convened
    (`today`) and on the meeting's date (`day`): a lapsed delegation cannot be used to
    convene a meeting dated inside its old period, nor a future one ahead of its start.
    An M7 meeting is convened by a person of a member unit. Returns the delegation relied
    on, if any; refuses otherwise with a reason that says what is missing."""
    today = today or timezone.localdate()
    if scope == MeetingScope.MEMBERS:
        if not group.member_units.filter(pk=convener.unit_id).exists():
            raise PermissionDeniedError(
                _("成员单位联席会议须由领导小组成员单位的人员召集；%(unit)s 不是成员单位。")
                % {"unit": convener.unit.name},
                code="convener_not_member",
            )
        return None
    if group.is_convener(convener):
        return None
    if group.office_director_id != convener.pk:
        raise PermissionDeniedError(
            _("只有领导小组组长、副组长，或经委托授权的办公室主任可以召集领导小组联席会议。"),
            code="convener_not_authorised",
        )
    on_day = delegation_valid(group=group, grantee=convener, day=day, scope=CONVENE_SCOPE)
    now_too = delegation_valid(group=group, grantee=convener, day=today, scope=CONVENE_SCOPE)
    if on_day is not None and now_too is not None:
        # Both days covered: prefer one delegation spanning both (the usual case).
        first, last = min(day, today), max(day, today)
        spanning = (
            Delegation.objects.filter(
                pk__in=[on_day.pk, now_too.pk], valid_from__lte=first, valid_to__gte=last
            )
            .order_by("-valid_from")
            .first()
        )
        return spanning or on_day
    if on_day is not None:
        # In force on the meeting's date but not today: lapsed, or not yet begun.
        if on_day.valid_to < today:
            raise PermissionDeniedError(
                _(
                    "办公室主任的委托授权已于 %(end)s 到期，召集之日 %(today)s 不再有效，"
                    "不能召集会议日期为 %(day)s 的联席会议。"
                )
                % {"end": on_day.valid_to, "today": today, "day": day},
                code="delegation_expired",
            )
        raise PermissionDeniedError(
            _(
                "办公室主任的委托授权自 %(start)s 起生效，召集之日 %(today)s 尚未生效，"
                "不能召集会议日期为 %(day)s 的联席会议。"
            )
            % {"start": on_day.valid_from, "today": today, "day": day},
            code="delegation_not_in_force_today",
        )
    recorded = Delegation.objects.filter(leading_group=group, grantee=convener, scope=CONVENE_SCOPE)
    live = recorded.filter(revoked_at__isnull=True)
    if not recorded.exists():
        raise PermissionDeniedError(
            _("办公室主任召集联席会议须经组长或副组长委托授权，未找到委托授权记录。"),
            code="delegation_missing",
        )
    if not live.exists():
        raise PermissionDeniedError(
            _("办公室主任的委托授权已被撤销，不能召集联席会议。"), code="delegation_revoked"
        )
    covering = live.filter(valid_from__lte=day, valid_to__gte=day).first()
    if covering is not None:
        # Recorded and in period, but the grantor no longer leads the group.
        raise PermissionDeniedError(
            _("委托人 %(who)s 已不是领导小组组长或副组长，该委托授权不再有效。")
            % {"who": covering.grantor.name},
            code="delegation_grantor_not_convener",
        )
    latest = live.order_by("-valid_to").first()
    assert latest is not None
    if latest.valid_to < day:
        raise PermissionDeniedError(
            _("办公室主任的委托授权已于 %(end)s 到期，不覆盖会议日期 %(day)s。")
            % {"end": latest.valid_to, "day": day},
            code="delegation_expired",
        )
    raise PermissionDeniedError(
        _("委托授权有效期为 %(start)s 至 %(end)s，不覆盖会议日期 %(day)s。")
        % {"start": latest.valid_from, "end": latest.valid_to, "day": day},
        code="delegation_not_covering",
    )


# ---- scheduling ----------------------------------------------------------------


@dataclass
class AgendaInput:
    kind: str
    problem_kind: str
    title: str
    description: str = ""
    link: models.Model | None = None


def _check_agenda(agenda: Sequence[AgendaInput], actor: Any) -> list[AgendaInput]:
    items = [a for a in agenda if a is not None]
    if not items:
        raise ApplicationError(
            _("联席会议须列明议题（部署、通报、调度、协调、督办或考核），不能没有议题。"),
            code="agenda_required",
            fields={"agenda": [_("至少一项议题")]},
        )
    for i, item in enumerate(items, 1):
        if item.kind not in AgendaKind.values:
            raise ApplicationError(
                _("第 %(i)s 项议题的类型无效。") % {"i": i},
                code="agenda_kind_invalid",
                fields={"agenda": [_("类型须为部署、通报、调度、协调、督办或考核")]},
            )
        # M1: each item states which key, difficult or hot problem it addresses.
        if item.problem_kind not in ProblemKind.values:
            raise ApplicationError(
                _("第 %(i)s 项议题须注明所解决的是重点、难点还是热点问题。") % {"i": i},
                code="problem_kind_required",
                fields={"agenda": [_("须选择重点、难点或热点")]},
            )
        item.title = (item.title or "").strip()
        if not item.title:
            raise ApplicationError(
                _("第 %(i)s 项议题缺少标题。") % {"i": i},
                code="agenda_title_required",
                fields={"agenda": [_("议题标题必填")]},
            )
        if item.link is not None and not link_visible(actor, item.link):
            raise ApplicationError(
                _("第 %(i)s 项议题的关联对象不存在或无权查看。") % {"i": i},
                code="link_invalid",
                fields={"agenda": [_("关联对象无效")]},
            )
    return items


def decision_owner_units(decision: Decision) -> list[Unit]:
    """Built-in suggester: a decision on the agenda brings its owner units (M3)."""
    return [o.unit for o in decision.owners.select_related("unit")]


def participant_suggestions(agenda: Iterable[AgendaInput]) -> list[tuple[Unit, str]]:
    """M3: units related to the agenda — whose case, transfer, decision … is on it."""
    found: dict[int, tuple[Unit, str]] = {}
    for item in agenda:
        for unit in suggested_units(item.link):
            found.setdefault(unit.pk, (unit, _("议题：%(t)s") % {"t": item.title}))
    return list(found.values())


@transaction.atomic
def meeting_schedule(
    *,
    actor: Any,
    leading_group: LeadingGroup,
    title: str,
    starts_at: dt.datetime,
    place: str,
    agenda: Sequence[AgendaInput],
    scope: str = MeetingScope.GROUP,
    convener: Person | None = None,
    participant_units: Sequence[Unit] | None = None,
    include_suggested: bool = True,
) -> Meeting:
    """Schedule a joint meeting. Time is whatever the work needs (M4: no fixed schedule)."""
    acting = actor_for(actor)
    if scope not in MeetingScope.values:
        raise ApplicationError(_("会议类别无效。"), code="scope_invalid", fields={"scope": ["?"]})
    title = _required(title, "title", _("请填写会议名称。"))
    place = _required(place, "place", _("请填写会议地点。"))
    if starts_at is None or timezone.is_naive(starts_at):
        raise ApplicationError(
            _("请填写会议时间。"), code="starts_at_required", fields={"starts_at": [_("必填")]}
        )
    items = _check_agenda(agenda, actor)
    convener = convener or acting.person
    if convener is None:
        raise ApplicationError(
            _("请指定召集人。"), code="convener_required", fields={"convener": [_("必填")]}
        )

    # Who may record it: the convener, or (leading-group meetings) the office that
    # organises it on the convener's behalf (M5), or for M7 the convener's own unit.
    if not acting.is_admin:
        if acting.person is None:
            raise PermissionDeniedError(_("当前账号未关联人员，不能安排会议。"))
        if scope == MeetingScope.GROUP:
            allowed = (
                acting.person.pk == convener.pk or leading_group.pk in acting.overseen_group_ids
            )
        else:
            allowed = acting.unit_id == convener.unit_id
        if not allowed:
            raise PermissionDeniedError(
                _("只能由召集人本人或会议组织单位登记会议。"), code="not_convener"
            )

    day = local_date(starts_at)
    delegation = convener_check(group=leading_group, scope=scope, convener=convener, day=day)

    member_ids = set(leading_group.member_units.values_list("pk", flat=True))
    wanted: dict[int, tuple[Unit, str, str]] = {}
    if participant_units is None:
        if scope == MeetingScope.MEMBERS:
            raise ApplicationError(
                _("成员单位联席会议须列明参会单位。"),
                code="participants_required",
                fields={"participants": [_("必填")]},
            )
        for unit in leading_group.member_units.filter(is_active=True):
            wanted[unit.pk] = (unit, ParticipantSource.MEMBER, "")
    else:
        for unit in participant_units:
            if scope == MeetingScope.MEMBERS and unit.pk not in member_ids:
                raise ApplicationError(
                    _("%(unit)s 不是领导小组成员单位。") % {"unit": unit.name},
                    code="participant_not_member",
                    fields={"participants": [unit.name]},
                )
            source = ParticipantSource.MEMBER if unit.pk in member_ids else ParticipantSource.ADDED
            wanted[unit.pk] = (unit, source, "")
    if scope == MeetingScope.MEMBERS:
        wanted.setdefault(convener.unit_id, (convener.unit, ParticipantSource.MEMBER, ""))
    if include_suggested:
        for unit, note in participant_suggestions(items):
            wanted.setdefault(unit.pk, (unit, ParticipantSource.AGENDA, note))
    if scope == MeetingScope.MEMBERS and len(wanted) < 2:
        raise ApplicationError(
            _("成员单位联席会议至少需要两个参会单位。"),
            code="participants_too_few",
            fields={"participants": [_("至少两个单位")]},
        )
    if not wanted:
        raise ApplicationError(
            _("会议没有参会单位。"),
            code="participants_required",
            fields={"participants": [_("必填")]},
        )

    organiser = leading_group.office_unit if scope == MeetingScope.GROUP else convener.unit
    meeting = Meeting.objects.create(
        leading_group=leading_group,
        scope=scope,
        title=title,
        starts_at=starts_at,
        place=place,
        convener=convener,
        delegation=delegation,
        organiser_unit=organiser,
        created_by=_user(actor),
    )
    for order, item in enumerate(items, 1):
        ct, oid, orepr = _link_type(item.link)
        AgendaItem.objects.create(
            meeting=meeting,
            order=order,
            kind=item.kind,
            problem_kind=item.problem_kind,
            title=item.title,
            description=item.description or "",
            link_type=ct,
            link_id=oid,
            link_repr=orepr,
        )
    Participant.objects.bulk_create(
        [
            Participant(meeting=meeting, unit=unit, source=source, source_note=note[:300])
            for unit, source, note in wanted.values()
        ]
    )
    MeetingStatusChange.objects.create(
        meeting=meeting, from_status="", to_status=meeting.status, actor=_user(actor)
    )
    audit_record(
        actor=actor,
        action="meeting.schedule",
        obj=meeting,
        after={
            **snapshot(meeting),
            "agenda": [
                {"kind": i.kind, "problem_kind": i.problem_kind, "title": i.title} for i in items
            ],
            "participants": sorted(wanted),
        },
    )
    when = f"{timezone.localtime(starts_at):%Y-%m-%d %H:%M}"
    notify(
        users=[u for unit_id in wanted for u in users_of_unit(unit_id)],
        subject=_("联席会议通知：%(t)s") % {"t": title},
        body=_("时间：%(when)s；地点：%(place)s；召集人：%(who)s")
        % {"when": when, "place": place, "who": convener.name},
        link=meeting.get_absolute_url(),
    )
    return meeting


@transaction.atomic
def meeting_participant_add(
    *, actor: Any, meeting: Meeting, unit: Unit, note: str = ""
) -> Participant:
    _require_manage(actor, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ConflictError(
            _("会议已召开或已取消，不能再增列参会单位。"), code="meeting_not_scheduled"
        )
    if not unit_policy.can_view(actor, unit):
        raise ApplicationError(
            _("单位不存在或无权查看。"), code="unit_invalid", fields={"unit": [_("无效")]}
        )
    if meeting.participants.filter(unit=unit).exists():
        raise ConflictError(
            _("%(unit)s 已是参会单位。") % {"unit": unit.name}, code="participant_exists"
        )
    member = meeting.leading_group.member_units.filter(pk=unit.pk).exists()
    p = Participant.objects.create(
        meeting=meeting,
        unit=unit,
        source=ParticipantSource.MEMBER if member else ParticipantSource.ADDED,
        source_note=note[:300],
    )
    audit_record(actor=actor, action="meeting.participant_add", obj=p, after=snapshot(p))
    notify(
        users=users_of_unit(unit.pk),
        subject=_("联席会议通知：%(t)s") % {"t": meeting.title},
        link=meeting.get_absolute_url(),
    )
    return p


@dataclass
class AttendanceInput:
    unit_id: int
    attendance: str
    attendee_name: str = ""
    delegate_name: str = ""
    absence_reason: str = ""


@transaction.atomic
def meeting_attendance_record(
    *, actor: Any, meeting: Meeting, entries: Sequence[AttendanceInput]
) -> list[Participant]:
    """M6: record who attended, who was absent (with the reason) and who sent a delegate."""
    _require_manage(actor, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status not in (MeetingStatus.SCHEDULED, MeetingStatus.HELD):
        raise ConflictError(
            _("会议纪要已印发或会议已取消，出席情况不能再修改。"), code="attendance_frozen"
        )
    if timezone.localdate() < meeting.local_day:
        raise ApplicationError(
            _("会议尚未召开（%(day)s），不能登记出席情况。") % {"day": meeting.local_day},
            code="meeting_not_started",
        )
    if not entries:
        raise ApplicationError(_("请登记至少一个单位的出席情况。"), code="attendance_required")
    by_unit = {p.unit_id: p for p in meeting.participants.select_related("unit")}
    checked: list[tuple[Participant, AttendanceInput]] = []
    for e in entries:
        p = by_unit.get(int(e.unit_id))
        if p is None:
            raise ApplicationError(
                _("单位 #%(id)s 不是本次会议的参会单位。") % {"id": e.unit_id},
                code="not_participant",
                fields={"unit": [str(e.unit_id)]},
            )
        if e.attendance not in (Attendance.PRESENT, Attendance.DELEGATE, Attendance.ABSENT):
            raise ApplicationError(
                _("%(unit)s 的出席情况无效。") % {"unit": p.unit.name},
                code="attendance_invalid",
                fields={"attendance": [p.unit.name]},
            )
        if e.attendance == Attendance.ABSENT and not (e.absence_reason or "").strip():
            raise ApplicationError(
                _("%(unit)s 缺席，须写明缺席原因。") % {"unit": p.unit.name},
                code="absence_reason_required",
                fields={"absence_reason": [p.unit.name]},
            )
        if e.attendance == Attendance.DELEGATE and not (e.delegate_name or "").strip():
            raise ApplicationError(
                _("%(unit)s 委派代表出席，须写明代表姓名。") % {"unit": p.unit.name},
                code="delegate_name_required",
                fields={"delegate_name": [p.unit.name]},
            )
        checked.append((p, e))
    now = timezone.now()
    out = []
    for p, e in checked:
        before = snapshot(p)
        p.attendance = e.attendance
        p.attendee_name = (e.attendee_name or "").strip()[:100]
        p.delegate_name = (
            (e.delegate_name or "").strip()[:100] if e.attendance == Attendance.DELEGATE else ""
        )
        p.absence_reason = (
            (e.absence_reason or "").strip()[:300] if e.attendance == Attendance.ABSENT else ""
        )
        p.recorded_at = now
        p.save()
        audit_record(
            actor=actor, action="meeting.attendance", obj=p, before=before, after=snapshot(p)
        )
        out.append(p)
    return out


@transaction.atomic
def meeting_hold(*, actor: Any, meeting: Meeting, note: str = "") -> Meeting:
    """Confirm the meeting took place; every participant's attendance must be recorded."""
    _require_manage(actor, meeting)
    if meeting.starts_at > timezone.now():
        raise ApplicationError(_("会议时间未到，不能确认已召开。"), code="meeting_not_started")
    missing = list(
        meeting.participants.filter(attendance=Attendance.PENDING).values_list(
            "unit__name", flat=True
        )
    )
    if missing:
        raise ApplicationError(
            _("以下单位的出席情况尚未登记：%(units)s") % {"units": "、".join(missing)},
            code="attendance_incomplete",
            fields={"attendance": missing},
        )
    return meeting_transition(meeting=meeting, to=MeetingStatus.HELD, actor=actor, note=note)


@transaction.atomic
def meeting_minutes_save(*, actor: Any, meeting: Meeting, minutes: str) -> Meeting:
    _require_manage(actor, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != MeetingStatus.HELD:
        raise ConflictError(_("会议召开后、纪要印发前才能编辑纪要。"), code="minutes_not_editable")
    minutes = _required(minutes, "minutes", _("请填写会议纪要。"))
    before = snapshot(meeting, ["minutes"])
    meeting.minutes = minutes
    meeting.save(update_fields=["minutes", "updated_at"])
    audit_record(
        actor=actor,
        action="meeting.minutes_save",
        obj=meeting,
        before=before,
        after=snapshot(meeting, ["minutes"]),
    )
    return meeting


def minutes_number_prefix(meeting: Meeting) -> str:
    unit = meeting.organiser_unit
    if meeting.scope == MeetingScope.GROUP:
        return meeting.leading_group.doc_prefix or unit.doc_prefix or unit.short_name
    return unit.doc_prefix or unit.short_name


@transaction.atomic
def meeting_minutes_issue(*, actor: Any, meeting: Meeting) -> Meeting:
    """Issue the minutes (会议纪要) under a document number; they are frozen from then on."""
    _require_manage(actor, meeting)
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if current.status == MeetingStatus.HELD and not current.minutes.strip():
        raise ApplicationError(
            _("纪要内容为空，不能印发。"), code="minutes_required", fields={"minutes": [_("必填")]}
        )
    if current.status != MeetingStatus.HELD:
        # Let the status table give the reason (already issued, not held, cancelled).
        return meeting_transition(meeting=current, to=MeetingStatus.MINUTED, actor=actor)
    now = timezone.now()
    number = document_number_next(
        kind="meeting.minutes",
        issuer_key=str(current.organiser_unit_id),
        year=timezone.localtime(now).year,
        fmt="{prefix}纪〔{year}〕{seq}号",
        prefix=minutes_number_prefix(current),
    )
    return meeting_transition(
        meeting=current,
        to=MeetingStatus.MINUTED,
        actor=actor,
        minutes_number=number,
        minutes_issued_at=now,
    )


@transaction.atomic
def meeting_cancel(*, actor: Any, meeting: Meeting, reason: str) -> Meeting:
    _require_manage(actor, meeting)
    reason = _required(reason, "reason", _("取消会议须写明原因。"))
    meeting = meeting_transition(
        meeting=meeting,
        to=MeetingStatus.CANCELLED,
        actor=actor,
        note=reason,
        cancel_reason=reason[:300],
    )
    notify(
        users=[u for p in meeting.participants.all() for u in users_of_unit(p.unit_id)],
        subject=_("会议取消：%(t)s") % {"t": meeting.title},
        body=reason,
        link=meeting.get_absolute_url(),
    )
    return meeting


# ---- decisions (M5) --------------------------------------------------------------


def _decision_obligation(
    *, decision: Decision, unit: Unit, start_at: dt.datetime, start_event: str, actor: Any
) -> Obligation:
    amount = (decision.due_date - local_date(start_at)).days
    return obligation_open(
        unit=unit,
        kind=DECISION_KIND,
        title=_("落实会议决定事项：%(m)s（第%(n)s项）")
        % {"m": decision.meeting.title, "n": decision.seq},
        rule=DeadlineRule(RuleKind.DAYS, max(amount, 0)),
        start_at=start_at,
        start_event=start_event,
        subject=decision,
        link=decision.get_absolute_url(),
        actor=actor,
    )


@transaction.atomic
def decision_create(
    *,
    actor: Any,
    meeting: Meeting,
    text: str,
    owner_units: Sequence[Unit],
    due_date: dt.date,
    links: Sequence[models.Model] = (),
) -> Decision:
    """Record a decision of a held meeting; each owner unit owes its implementation by the
    due date (one obligation per owner)."""
    _require_manage(actor, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != MeetingStatus.HELD:
        raise ConflictError(
            _("决定事项须在会议召开后、纪要印发前登记（当前状态：%(s)s）。")
            % {"s": meeting.get_status_display()},
            code="meeting_not_held",
        )
    text = _required(text, "text", _("请填写决定事项内容。"))
    owners = list({u.pk: u for u in owner_units if u is not None}.values())
    if not owners:
        raise ApplicationError(
            _("决定事项须明确至少一个承办单位。"),
            code="owner_required",
            fields={"owners": [_("至少一个承办单位")]},
        )
    if due_date is None:
        raise ApplicationError(
            _("请填写完成时限。"), code="due_date_required", fields={"due_date": [_("必填")]}
        )
    if due_date < meeting.local_day:
        raise ApplicationError(
            _("完成时限不能早于会议日期 %(d)s。") % {"d": meeting.local_day},
            code="due_date_invalid",
            fields={"due_date": [_("早于会议日期")]},
        )
    eligible = set(meeting.participants.values_list("unit_id", flat=True)) | set(
        meeting.leading_group.member_units.values_list("pk", flat=True)
    )
    for unit in owners:
        if unit.pk not in eligible:
            raise ApplicationError(
                _("%(unit)s 既不是参会单位也不是成员单位，不能承办本会议的决定事项。")
                % {"unit": unit.name},
                code="owner_not_participant",
                fields={"owners": [unit.name]},
            )
    for obj in links:
        if not link_visible(actor, obj):
            raise ApplicationError(
                _("关联对象不存在或无权查看。"), code="link_invalid", fields={"links": ["?"]}
            )
    seq = (meeting.decisions.aggregate(m=Max("seq"))["m"] or 0) + 1
    decision = Decision.objects.create(meeting=meeting, seq=seq, text=text, due_date=due_date)
    for unit in owners:
        owner = DecisionOwner.objects.create(decision=decision, unit=unit)
        owner.obligation = _decision_obligation(
            decision=decision,
            unit=unit,
            start_at=meeting.starts_at,
            start_event=_("联席会议作出决定"),
            actor=actor,
        )
        owner.save(update_fields=["obligation"])
    for obj in links:
        ct, oid, orepr = _link_type(obj)
        DecisionLink.objects.get_or_create(
            decision=decision, link_type=ct, link_id=oid, defaults={"link_repr": orepr}
        )
    DecisionStatusChange.objects.create(
        decision=decision, from_status="", to_status=decision.status, actor=_user(actor)
    )
    audit_record(
        actor=actor,
        action="decision.create",
        obj=decision,
        after={
            **snapshot(decision),
            "owners": [u.pk for u in owners],
            "links": [f"{type(o)._meta.label_lower}:{o.pk}" for o in links],
        },
    )
    notify(
        users=[u for unit in owners for u in users_of_unit(unit.pk)],
        subject=_("会议决定事项交办：%(m)s（第%(n)s项）") % {"m": meeting.title, "n": seq},
        body=_("%(text)s\n完成时限：%(due)s") % {"text": text, "due": due_date},
        link=decision.get_absolute_url(),
    )
    return decision


def _open_supervisions(
    decision: Decision, unit_id: int | None = None, *, unclosed: bool = False
) -> models.QuerySet:
    """Notices on this decision still awaiting a response (or, with unclosed=True, any
    not yet closed — answered ones included)."""
    qs = Supervision.objects.filter(
        subject_type=ContentType.objects.get_for_model(Decision), subject_id=str(decision.pk)
    )
    if unclosed:
        qs = qs.exclude(status=SupervisionStatus.CLOSED)
    else:
        qs = qs.filter(status=SupervisionStatus.OPEN)
    if unit_id is not None:
        qs = qs.filter(target_id=unit_id)
    return qs


@transaction.atomic
def decision_progress_report(
    *, actor: Any, decision: Decision, text: str, completed: bool = False
) -> DecisionProgress:
    """An owner reports progress (or completion). A report also answers any supervision
    notice the owner has open on this decision. When every owner has reported
    completion, the decision waits for the office's verification."""
    if not decision_policy.can_view(actor, decision):
        raise NotFoundError(_("决定事项未找到，或无权查看。"))
    acting = actor_for(actor)
    owner = (
        DecisionOwner.objects.filter(decision=decision, unit_id=acting.unit_id).first()
        if acting.unit_id
        else None
    )
    if owner is None:
        raise PermissionDeniedError(
            _("只有该决定事项的承办单位可以报告落实情况。"), code="not_owner"
        )
    text = _required(text, "text", _("请填写落实情况。"))
    locked = Decision.objects.select_for_update().get(pk=decision.pk)
    if locked.status != DecisionStatus.OPEN:
        raise ConflictError(
            _("决定事项当前为“%(s)s”，不能再报告进展。") % {"s": locked.get_status_display()},
            code="decision_not_open",
        )
    owner = DecisionOwner.objects.select_for_update().get(pk=owner.pk)
    if owner.reported_done_at is not None:
        raise ConflictError(_("本单位已报告完成，等待办公室核验。"), code="already_reported")
    now = timezone.now()
    progress = DecisionProgress.objects.create(
        decision=locked,
        unit_id=owner.unit_id,
        person=acting.person,
        at=now,
        text=text,
        is_completion=completed,
    )
    audit_record(actor=actor, action="decision.progress", obj=progress, after=snapshot(progress))
    for sup in _open_supervisions(locked, owner.unit_id):
        supervision_respond(actor=actor, supervision=sup, response=text)
    if completed:
        owner.reported_done_at = now
        owner.save(update_fields=["reported_done_at"])
        if owner.obligation is not None and owner.obligation.status in LIVE:
            obligation_complete(obligation=owner.obligation, actor=actor, at=now)
        if not locked.owners.filter(reported_done_at__isnull=True).exists():
            decision_transition(
                decision=locked,
                to=DecisionStatus.REPORTED,
                actor=actor,
                note=_("全部承办单位已报告完成"),
            )
            notify(
                users=users_of_unit(locked.meeting.organiser_unit_id),
                subject=_("决定事项待核验：%(d)s") % {"d": str(locked)},
                link=locked.get_absolute_url(),
            )
    return progress


@transaction.atomic
def decision_close(*, actor: Any, decision: Decision, note: str = "") -> Decision:
    """The office verifies the reported completion and closes the decision (M5).
    Two concurrent closures: the second finds it closed and gets a 409."""
    if not decision_policy.can_view(actor, decision):
        raise NotFoundError(_("决定事项未找到，或无权查看。"))
    if not decision_policy.can_change(actor, decision):
        raise PermissionDeniedError(
            _("只有会议组织单位（领导小组办公室）可以核验办结决定事项。"), code="not_organiser"
        )
    closed = decision_transition(
        decision=decision,
        to=DecisionStatus.CLOSED,
        actor=actor,
        note=note,
        closed_at=timezone.now(),
        closed_by=_user(actor),
        verification_note=(note or "").strip(),
    )
    for sup in _open_supervisions(closed, unclosed=True):
        supervision_close(actor=actor, supervision=sup)
    notify(
        users=[u for o in closed.owners.all() for u in users_of_unit(o.unit_id)],
        subject=_("决定事项已核验办结：%(d)s") % {"d": str(closed)},
        link=closed.get_absolute_url(),
    )
    return closed


@transaction.atomic
def decision_verify_reject(
    *, actor: Any, decision: Decision, reason: str, due_date: dt.date
) -> Decision:
    """Verification failed: back to the owners, with a reason and a new due date (a new
    obligation for each owner)."""
    if not decision_policy.can_view(actor, decision):
        raise NotFoundError(_("决定事项未找到，或无权查看。"))
    if not decision_policy.can_change(actor, decision):
        raise PermissionDeniedError(_("只有会议组织单位可以核验决定事项。"), code="not_organiser")
    reason = _required(reason, "reason", _("核验不通过须写明原因。"))
    if due_date is None or due_date < timezone.localdate():
        raise ApplicationError(
            _("新的完成时限不能早于今天。"),
            code="due_date_invalid",
            fields={"due_date": [_("无效")]},
        )
    reopened = decision_transition(
        decision=decision,
        to=DecisionStatus.OPEN,
        actor=actor,
        note=reason,
        verification_note=reason,
        due_date=due_date,
    )
    now = timezone.now()
    for owner in reopened.owners.select_for_update():
        owner.reported_done_at = None
        owner.obligation = _decision_obligation(
            decision=reopened,
            unit=owner.unit,
            start_at=now,
            start_event=_("核验不通过，重新交办"),
            actor=actor,
        )
        owner.save(update_fields=["reported_done_at", "obligation"])
    notify(
        users=[u for o in reopened.owners.all() for u in users_of_unit(o.unit_id)],
        subject=_("决定事项核验未通过：%(d)s") % {"d": str(reopened)},
        body=reason,
        link=reopened.get_absolute_url(),
    )
    return reopened


@transaction.atomic
def decision_withdraw(*, actor: Any, decision: Decision, reason: str) -> Decision:
    """Decisions are never deleted; one that no longer applies is withdrawn with a reason."""
    if not decision_policy.can_view(actor, decision):
        raise NotFoundError(_("决定事项未找到，或无权查看。"))
    if not decision_policy.can_change(actor, decision):
        raise PermissionDeniedError(_("只有会议组织单位可以撤销决定事项。"), code="not_organiser")
    reason = _required(reason, "reason", _("撤销决定事项须写明原因。"))
    withdrawn = decision_transition(
        decision=decision,
        to=DecisionStatus.WITHDRAWN,
        actor=actor,
        note=reason,
        withdraw_reason=reason[:300],
    )
    for owner in withdrawn.owners.select_related("obligation"):
        if owner.obligation is not None and owner.obligation.status in LIVE:
            obligation_cancel(obligation=owner.obligation, actor=actor, reason=reason)
    for sup in _open_supervisions(withdrawn, unclosed=True):
        supervision_close(actor=actor, supervision=sup)
    return withdrawn


# ---- overdue decisions → supervision notices → escalation --------------------------


def decision_supervise(*, decision: Decision, obligation: Obligation) -> Supervision | None:
    """Issue the supervision notice (督办通知) for one overdue owner obligation, once."""
    if Supervision.objects.filter(source_obligation=obligation).exists():
        return None
    meeting = decision.meeting
    reason = _("%(m)s 第%(n)s项决定事项“%(t)s”已超过完成时限 %(due)s，尚未报告完成。") % {
        "m": meeting.title,
        "n": decision.seq,
        "t": decision.text[:80],
        "due": decision.due_date,
    }
    days = rule("SUPERVISION_RESPONSE_WORKDAYS")
    common: dict[str, Any] = {
        "actor": None,
        "issuer": meeting.organiser_unit,
        "target": obligation.unit,
        "reason": reason,
        "subject": decision,
        "source_obligation": obligation,
        "link": decision.get_absolute_url(),
        "number_prefix": minutes_number_prefix(meeting),
    }
    # No calendar-day fallback (issue 15, part 5): a response deadline that falls in a
    # year the calendar does not know is refused (UnknownCalendarYear names the year); the
    # sweep logs it and issues the notice on a later run, once the year is recorded.
    return supervision_issue(
        **common,
        requirement=_("请于 %(n)s 个工作日内报告落实情况。") % {"n": days},
        response_rule=DeadlineRule(RuleKind.WORKDAYS, days),
    )


def _decision_of(ob: Obligation) -> Decision | None:
    if ob.subject_type_id != ContentType.objects.get_for_model(Decision).pk:
        return None
    return (
        Decision.objects.select_related("meeting__organiser_unit", "meeting__leading_group")
        .filter(pk=ob.subject_id)
        .first()
    )


def on_decision_obligations_overdue(items: list[Obligation]) -> None:
    """Sweep hook for "meeting.decision": each newly overdue owner obligation of a decision
    still being implemented gets exactly one supervision notice."""
    for ob in items:
        try:
            with transaction.atomic():
                decision = _decision_of(ob)
                if decision is None or decision.status != DecisionStatus.OPEN:
                    continue
                decision_supervise(decision=decision, obligation=ob)
        except Exception:  # one bad item must not undo the sweep's batch
            log.exception("supervision for overdue decision obligation %s failed", ob.pk)


@transaction.atomic
def decision_escalate(*, decision: Decision, supervision: Supervision) -> Decision:
    """A supervision notice went unanswered past its deadline: the decision escalates to
    the leading group's leader and deputies (leading-group meetings) or to the group's
    office (meetings among member units)."""
    locked = Decision.objects.select_for_update().get(pk=decision.pk)
    before = snapshot(locked, ["escalated_at"])
    locked.escalated_at = timezone.now()
    locked.save(update_fields=["escalated_at", "updated_at"])
    group = locked.meeting.leading_group
    if locked.meeting.scope == MeetingScope.GROUP:
        people = [group.leader, *group.deputies.all()]
        recipients = [p.user for p in people if p.user_id and p.is_active]
        to = _("领导小组组长、副组长")
    else:
        recipients = users_of_unit(group.office_unit_id)
        to = group.office_unit.name
    audit_record(
        actor=None,
        action="decision.escalate",
        obj=locked,
        before=before,
        after={
            **snapshot(locked, ["escalated_at"]),
            "supervision": supervision.number,
            "to": str(to),
        },
    )
    notify(
        users=recipients,
        subject=_("督办逾期未回复，升级督办：%(d)s") % {"d": str(locked)},
        body=_("督办通知 %(n)s 已过回复期限，%(unit)s 仍未报告落实情况。")
        % {"n": supervision.number, "unit": supervision.target.name},
        link=locked.get_absolute_url(),
    )
    return locked


def on_supervision_responses_overdue(items: list[Obligation]) -> None:
    """Sweep hook for "supervision.respond": when the notice about a decision goes
    unanswered, escalate the decision (the obligation itself escalates generically)."""
    decision_ct = ContentType.objects.get_for_model(Decision)
    for ob in items:
        try:
            with transaction.atomic():
                sup = (
                    Supervision.objects.select_related("target")
                    .filter(response_obligation=ob, subject_type=decision_ct)
                    .first()
                )
                if sup is None or sup.status != SupervisionStatus.OPEN:
                    continue
                decision = Decision.objects.filter(pk=sup.subject_id).first()
                if decision is None or decision.status != DecisionStatus.OPEN:
                    continue
                decision_escalate(decision=decision, supervision=sup)
        except Exception:
            log.exception("escalation of decision for supervision obligation %s failed", ob.pk)


# ---- task reports (M6) ---------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


def schedule_periods(schedule: TaskReportSchedule, upto: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Reporting periods from the schedule's start through the one containing `upto`."""
    step = INTERVAL_MONTHS[ReportInterval(schedule.interval)]
    periods = []
    start = schedule.starts_on
    while start <= upto:
        nxt = _add_months(start, step)
        periods.append((start, nxt - dt.timedelta(days=1)))
        start = nxt
    return periods


def schedule_units(schedule: TaskReportSchedule) -> list[Unit]:
    chosen = list(schedule.units.filter(is_active=True))
    if chosen:
        return chosen
    group = schedule.leading_group
    return list(group.member_units.filter(is_active=True).exclude(pk=group.office_unit_id))


@transaction.atomic
def task_report_schedule_create(
    *,
    actor: Any,
    leading_group: LeadingGroup,
    title: str,
    interval: str,
    starts_on: dt.date | None = None,
    due_workdays: int | None = None,
    units: Sequence[Unit] = (),
    now: dt.datetime | None = None,
) -> TaskReportSchedule:
    """Set the interval at which member units report (M6) and open the current period's
    reports (`now` is the "as of" time of that first generation; default: now)."""
    acting = actor_for(actor)
    if not (acting.is_admin or leading_group.pk in acting.office_group_ids):
        raise PermissionDeniedError(
            _("只有领导小组办公室可以设定任务完成情况的报送周期。"), code="not_office"
        )
    title = _required(title, "title", _("请填写名称。"))
    if interval not in ReportInterval.values:
        raise ApplicationError(
            _("报送周期无效。"), code="interval_invalid", fields={"interval": [_("无效")]}
        )
    today = timezone.localtime(now).date() if now else timezone.localdate()
    starts_on = starts_on or today.replace(day=1)
    if starts_on.day != 1:
        raise ApplicationError(
            _("报告期须从某月1日开始。"),
            code="starts_on_invalid",
            fields={"starts_on": [_("须为某月1日")]},
        )
    due_workdays = rule("TASK_REPORT_DUE_WORKDAYS") if due_workdays is None else due_workdays
    if due_workdays < 0 or due_workdays > 60:
        raise ApplicationError(
            _("报送时限须在0至60个工作日之间。"),
            code="due_workdays_invalid",
            fields={"due_workdays": [_("无效")]},
        )
    member_ids = set(leading_group.member_units.values_list("pk", flat=True))
    for unit in units:
        if unit.pk not in member_ids:
            raise ApplicationError(
                _("%(unit)s 不是领导小组成员单位。") % {"unit": unit.name},
                code="unit_not_member",
                fields={"units": [unit.name]},
            )
    schedule = TaskReportSchedule.objects.create(
        leading_group=leading_group,
        title=title,
        interval=interval,
        starts_on=starts_on,
        due_workdays=due_workdays,
    )
    schedule.units.set(units)
    audit_record(
        actor=actor,
        action="task_report_schedule.create",
        obj=schedule,
        after={**snapshot(schedule), "units": [u.pk for u in units]},
    )
    task_reports_generate(schedule=schedule, actor=actor, now=now)
    return schedule


@dataclass
class GenerateResult:
    created: int = 0
    skipped: list[str] = field(default_factory=list)


def task_reports_generate(
    *,
    now: dt.datetime | None = None,
    schedule: TaskReportSchedule | None = None,
    actor: Any = None,
) -> GenerateResult:
    """Open each unit's report obligation for the current period (and any period since its
    last one that was missed). Idempotent: a (schedule, unit, period) exists at most once,
    and the schedule row is locked while its periods are filled. A unit is never given
    periods from before it was first included."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    result = GenerateResult()
    schedules = (
        [schedule]
        if schedule is not None
        else list(TaskReportSchedule.objects.filter(is_active=True).order_by("pk"))
    )
    for sched in schedules:
        with transaction.atomic():
            sched = TaskReportSchedule.objects.select_for_update().get(pk=sched.pk)
            if not sched.is_active:
                continue
            periods = schedule_periods(sched, today)
            if not periods:
                continue
            for unit in schedule_units(sched):
                last = TaskReport.objects.filter(schedule=sched, unit=unit).aggregate(
                    m=Max("period_start")
                )["m"]
                todo = [p for p in periods if p[0] > last] if last else periods[-1:]
                for start, end in todo:
                    try:
                        with transaction.atomic():
                            ob = obligation_open(
                                unit=unit,
                                kind=TASK_REPORT_KIND,
                                title=_("%(t)s（%(a)s至%(b)s）")
                                % {"t": sched.title, "a": start, "b": end},
                                rule=DeadlineRule(RuleKind.WORKDAYS, sched.due_workdays),
                                start_at=end_of_day(end),
                                start_event=_("报告期结束"),
                                subject=sched,
                                actor=actor,
                            )
                            report = TaskReport.objects.create(
                                schedule=sched,
                                unit=unit,
                                period_start=start,
                                period_end=end,
                                obligation=ob,
                            )
                            ob.link = report.get_absolute_url()
                            ob.save(update_fields=["link"])
                            audit_record(
                                actor=actor,
                                action="task_report.open",
                                obj=report,
                                after=snapshot(report),
                            )
                            result.created += 1
                    except UnknownCalendarYear as exc:
                        # Refuse, and say why: no formula predicts the holiday notice.
                        result.skipped.append(f"{sched.title} {unit.name} {start}: {exc.message}")
    return result


def task_reports_on_sweep(now: dt.datetime) -> None:
    """Sweep hook (M6): open the current period's reports of every active schedule."""
    result = task_reports_generate(now=now)
    for line in result.skipped:
        log.warning("task report not opened: %s", line)


@transaction.atomic
def task_report_submit(*, actor: Any, report: TaskReport, content: str) -> TaskReport:
    if not task_report_policy.can_view(actor, report):
        raise NotFoundError(_("报告未找到，或无权查看。"))
    acting = actor_for(actor)
    if acting.unit_id != report.unit_id:
        raise PermissionDeniedError(
            _("只有报送单位本身可以报送任务完成情况。"), code="not_report_unit"
        )
    content = _required(content, "content", _("请填写任务完成情况。"))
    locked = TaskReport.objects.select_for_update().get(pk=report.pk)
    if locked.submitted_at is not None:
        raise ConflictError(_("本期报告已报送。"), code="already_submitted")
    before = snapshot(locked)
    now = timezone.now()
    locked.content = content
    locked.submitted_at = now
    locked.submitted_by = acting.person
    locked.save(update_fields=["content", "submitted_at", "submitted_by"])
    if locked.obligation is not None and locked.obligation.status in LIVE:
        obligation_complete(obligation=locked.obligation, actor=actor, at=now)
    audit_record(
        actor=actor, action="task_report.submit", obj=locked, before=before, after=snapshot(locked)
    )
    return locked
