"""A report as a .docx (official documents come out as Word files)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.shared import Pt

from envgrid.core.documents import docx_response

from .models import Report, ReportType


def report_docx(report: Report) -> HttpResponse:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(12)
    doc.add_heading(report.title, level=1)
    meta = [
        (_("编号"), report.number or _("（未报送）")),
        (_("信息类型"), report.get_report_type_display()),
        (_("报送单位"), report.unit.name),
        (_("信息工作负责人"), report.officer.name if report.officer else "—"),
        (_("状态"), report.get_status_display()),
    ]
    if report.submitted_at:
        meta.append((_("报送时间"), f"{timezone.localtime(report.submitted_at):%Y-%m-%d %H:%M}"))
    if report.occurred_at:
        meta.append((_("事件发生时间"), f"{timezone.localtime(report.occurred_at):%Y-%m-%d %H:%M}"))
    if report.place:
        meta.append((_("地点"), report.place))
    table = doc.add_table(rows=0, cols=2)
    for label, value in meta:
        cells = table.add_row().cells
        cells[0].text = str(label)
        cells[1].text = str(value)
    if report.report_type == ReportType.THEMATIC:
        for label, text in (
            (_("一、情况"), report.situation),
            (_("二、分析"), report.analysis),
            (_("三、建议"), report.recommendations),
        ):
            doc.add_heading(str(label), level=2)
            doc.add_paragraph(text)
    if report.content:
        doc.add_heading(_("正文"), level=2)
        for para in report.content.splitlines():
            doc.add_paragraph(para)
    if report.feedback:
        doc.add_heading(_("反馈意见"), level=2)
        doc.add_paragraph(report.feedback)
    name = report.number or f"report-{report.pk}"
    return docx_response(doc, name)
