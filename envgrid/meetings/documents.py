"""会议纪要 as .docx in the GB/T 9704 纪要 layout: the red 纪要标志, the document number
under it, then the meeting's facts, attendance, agenda, minutes and decisions."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.documents import OfficialDocument

from .models import Attendance, Meeting, MeetingStatus


def minutes_document(meeting: Meeting) -> OfficialDocument:
    if meeting.status == MeetingStatus.MINUTED and meeting.minutes_number:
        number = meeting.minutes_number
    else:
        number = _("（草稿，未编文号）")
    doc = OfficialDocument(
        issuer=_("%(scope)s纪要") % {"scope": meeting.get_scope_display()},
        number=number,
        title=meeting.title,
    )

    when = timezone.localtime(meeting.starts_at)
    doc.fields(
        [
            (_("会议类别"), meeting.get_scope_display()),
            (_("时间"), f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"),
            (_("地点"), meeting.place),
            (
                _("召集人"),
                meeting.convener.name
                + (
                    _("（受%(who)s委托授权）") % {"who": meeting.delegation.grantor.name}
                    if meeting.delegation_id and meeting.delegation
                    else ""
                ),
            ),
            (_("组织单位"), meeting.organiser_unit.name),
        ]
    )

    participants = list(meeting.participants.select_related("unit"))
    present = [
        p.unit.name + (f"（{p.attendee_name}）" if p.attendee_name else "")
        for p in participants
        if p.attendance == Attendance.PRESENT
    ]
    delegates = [
        f"{p.unit.name}（{_('代表')}：{p.delegate_name}）"
        for p in participants
        if p.attendance == Attendance.DELEGATE
    ]
    absent = [
        f"{p.unit.name}（{p.absence_reason}）"
        for p in participants
        if p.attendance == Attendance.ABSENT
    ]
    doc.fields(
        [
            (_("出席单位"), "、".join(present) if present else _("无")),
            (_("委派代表出席"), "、".join(delegates) if delegates else _("无")),
            (_("缺席单位"), "、".join(absent) if absent else _("无")),
        ]
    )

    doc.heading(_("一、会议议题"))
    for item in meeting.agenda.all():
        doc.paragraph(
            f"{item.order}. 【{item.get_kind_display()}·{item.get_problem_kind_display()}】"
            f"{item.title}" + (f"（{_('关联')}：{item.link_repr}）" if item.link_repr else "")
        )

    doc.heading(_("二、会议纪要"))
    doc.paragraphs(meeting.minutes or _("（纪要尚未填写）"))

    doc.heading(_("三、决定事项"))
    decisions = list(meeting.decisions.prefetch_related("owners__unit"))
    if not decisions:
        doc.paragraph(_("本次会议无决定事项。"))
    for d in decisions:
        owners = "、".join(o.unit.name for o in d.owners.all())
        doc.paragraph(
            _("%(n)s. %(text)s（承办单位：%(owners)s；完成时限：%(due)s）")
            % {"n": d.seq, "text": d.text, "owners": owners, "due": d.due_date}
        )

    # 纪要 carry no seal: the organiser's name and the issue date close them.
    doc.signature(meeting.organiser_unit.name, meeting.minutes_issued_at, seal=False)
    return doc
