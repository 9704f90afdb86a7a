"""Writes of a meeting (SPEC M1–M3): convening, participants, attendance, holding, minutes, cancelling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import local_date
from envgrid.core.documents import document_number_next
from envgrid.core.errors import (
    ApplicationError,
    ConflictError,
    PermissionDeniedError,
)
from envgrid.core.notifications import notify
from envgrid.obligations.services import (
    users_of_unit,
)
from envgrid.org.models import Delegation, LeadingGroup, Person, Unit
from envgrid.org.policies import unit_policy
from envgrid.org.selectors import actor_for, delegation_valid

from ..models import (
    AgendaItem,
    AgendaKind,
    Attendance,
    Meeting,
    MeetingScope,
    MeetingStatus,
    MeetingStatusChange,
    Participant,
    ParticipantSource,
    ProblemKind,
)
from ..registry import suggested_units
from ..selectors import link_visible
from ..workflow import meeting_transition
from ._common import CONVENE_SCOPE, _link_type, _require_manage, _required, _user

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
