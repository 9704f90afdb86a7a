"""A report as a .docx (official documents come out as Word files), laid out by
GB/T 9704 through the one document module."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.documents import OfficialDocument, docx_response

from .models import Report, ReportType


def report_document(report: Report) -> OfficialDocument:
    doc = OfficialDocument(
        issuer=report.unit.name,
        number=report.number or _("（未报送）"),
        title=report.title,
    )
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
    doc.table(None, [(str(label), str(value)) for label, value in meta])
    if report.report_type == ReportType.THEMATIC:
        for label, text in (
            (_("一、情况"), report.situation),
            (_("二、分析"), report.analysis),
            (_("三、建议"), report.recommendations),
        ):
            doc.heading(str(label))
            doc.paragraphs(text)
    if report.content:
        doc.heading(_("正文"))
        doc.paragraphs(report.content)
    if report.feedback:
        doc.heading(_("反馈意见"))
        doc.paragraphs(report.feedback)
    doc.signature(report.unit.name, report.submitted_at, seal=False)
    return doc


def report_docx(report: Report) -> HttpResponse:
    name = report.number or f"report-{report.pk}"
    return docx_response(report_document(report), name)
