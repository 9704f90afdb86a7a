"""会议纪要 as .docx: the minutes under their document number, with attendance and decisions."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from .models import Attendance, Meeting, MeetingStatus


def minutes_document(meeting: Meeting):
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(12)

    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(_("会议纪要"))
    run.bold = True
    run.font.size = Pt(22)

    number = doc.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if meeting.status == MeetingStatus.MINUTED and meeting.minutes_number:
        number.add_run(meeting.minutes_number)
    else:
        number.add_run(_("（草稿，未编文号）"))

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    t = title.add_run(meeting.title)
    t.bold = True
    t.font.size = Pt(16)

    when = timezone.localtime(meeting.starts_at)
    facts = [
        (_("会议类别"), meeting.get_scope_display()),
        (_("时间"), f"{when:%Y年%m月%d日 %H:%M}"),
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
    for label, value in facts:
        p = doc.add_paragraph()
        p.add_run(f"{label}：").bold = True
        p.add_run(str(value))

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
    for label, names in (
        (_("出席单位"), present),
        (_("委派代表出席"), delegates),
        (_("缺席单位"), absent),
    ):
        p = doc.add_paragraph()
        p.add_run(f"{label}：").bold = True
        p.add_run("、".join(names) if names else _("无"))

    doc.add_heading(_("一、会议议题"), level=2)
    for item in meeting.agenda.all():
        doc.add_paragraph(
            f"{item.order}. 【{item.get_kind_display()}·{item.get_problem_kind_display()}】"
            f"{item.title}" + (f"（{_('关联')}：{item.link_repr}）" if item.link_repr else "")
        )

    doc.add_heading(_("二、会议纪要"), level=2)
    for para in (meeting.minutes or _("（纪要尚未填写）")).splitlines():
        if para.strip():
            doc.add_paragraph(para.strip())

    doc.add_heading(_("三、决定事项"), level=2)
    decisions = list(meeting.decisions.prefetch_related("owners__unit"))
    if not decisions:
        doc.add_paragraph(_("本次会议无决定事项。"))
    for d in decisions:
        owners = "、".join(o.unit.name for o in d.owners.all())
        doc.add_paragraph(
            _("%(n)s. %(text)s（承办单位：%(owners)s；完成时限：%(due)s）")
            % {"n": d.seq, "text": d.text, "owners": owners, "due": d.due_date}
        )

    foot = doc.add_paragraph()
    foot.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    foot.add_run(meeting.organiser_unit.name)
    if meeting.minutes_issued_at:
        issued = doc.add_paragraph()
        issued.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        issued.add_run(f"{timezone.localtime(meeting.minutes_issued_at):%Y年%m月%d日}")
    return doc
