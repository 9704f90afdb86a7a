"""问责建议书 as .docx: the proposal under its number, the items and their delays from the
records, the units and persons named, and the leading group's decision once made."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from .models import AccountabilityProposal, ConsequenceLevel


def _when(value: str | dt.datetime | None) -> str:
    if not value:
        return "—"
    moment = parse_datetime(value) if isinstance(value, str) else value
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else str(value)


def proposal_document(proposal: AccountabilityProposal):
    doc = Document()
    doc.styles["Normal"].font.size = Pt(12)

    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(_("问责建议书"))
    run.bold = True
    run.font.size = Pt(22)
    number = doc.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.add_run(proposal.number)

    group = proposal.leading_group
    for label, value in (
        (_("领导小组"), group.name),
        (_("提出单位"), group.office_unit.name),
        (_("提出时间"), _when(proposal.proposed_at)),
        (_("责任单位"), "、".join(u.name for u in proposal.units.all())),
        (
            _("责任人员"),
            "、".join(
                f"{p.name}（{p.unit.name}）" for p in proposal.persons.select_related("unit")
            ),
        ),
    ):
        p = doc.add_paragraph()
        p.add_run(f"{label}：").bold = True
        p.add_run(str(value))

    doc.add_heading(_("一、事实"), level=2)
    doc.add_paragraph(proposal.facts)

    doc.add_heading(_("二、逾期事项及后果认定"), level=2)
    table = doc.add_table(rows=1, cols=7)
    table.style = "Table Grid"
    headers = [
        _("认定文号"),
        _("事项"),
        _("责任单位"),
        _("责任人"),
        _("截止时间"),
        _("完成时间"),
        _("逾期天数"),
    ]
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = str(text)
    for item in proposal.items:
        cells = table.add_row().cells
        values = [
            item.get("finding", ""),
            item.get("title", ""),
            item.get("unit", ""),
            item.get("person", "") or "—",
            _when(item.get("due_at")),
            _when(item.get("completed_at")) if item.get("completed_at") else _("未完成"),
            str(item.get("delay_days", 0)),
        ]
        for cell, text in zip(cells, values, strict=True):
            cell.text = str(text)
    for finding in proposal.findings.order_by("pk"):
        p = doc.add_paragraph()
        p.add_run(f"{finding.number}（{ConsequenceLevel(finding.level).label}）：").bold = True
        p.add_run(finding.facts)
        doc.add_paragraph(_("证据：%(e)s") % {"e": finding.evidence or "—"})

    doc.add_heading(_("三、领导小组决定"), level=2)
    if proposal.decided_at:
        for label, value in (
            (_("决定文号"), proposal.decision_number),
            (_("决定"), proposal.get_decision_display()),
            (_("理由"), proposal.decision_reason),
            (_("决定人"), proposal.decided_by.name if proposal.decided_by else ""),
            (_("决定时间"), _when(proposal.decided_at)),
        ):
            p = doc.add_paragraph()
            p.add_run(f"{label}：").bold = True
            p.add_run(str(value))
        if proposal.referral_transfer_id and proposal.referral_transfer:
            doc.add_paragraph(
                _("已移送 %(to)s，移送编号 %(n)s。")
                % {
                    "to": proposal.referral_transfer.receiver_unit.name,
                    "n": proposal.referral_transfer.number,
                }
            )
    else:
        doc.add_paragraph(_("（待领导小组决定）"))
    return doc
