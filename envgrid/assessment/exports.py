"""Exports: the ranking as .xlsx and each unit's result as a .docx notice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.documents import docx_response
from envgrid.core.exports import xlsx_response

from .models import Assessment, IndicatorCategory, UnitEvaluation
from .selectors import BoardRow, evaluation_lines


def _num(value: Decimal | None) -> Any:
    return float(value) if value is not None else ""


def ranking_xlsx(assessment: Assessment, rows: list[BoardRow]) -> HttpResponse:
    indicators = list(assessment.plan.indicators.all())
    headers = [
        _("名次"),
        _("单位"),
        _("总分"),
        _("得分率（%）"),
        _("等次"),
        str(IndicatorCategory.ESTABLISHMENT.label),
        str(IndicatorCategory.OPERATION.label),
        *[f"{i.code} {i.name}（{i.weight}）" for i in indicators],
    ]
    data = []
    for r in rows:
        by_ind = {ln.indicator.pk: ln.effective for ln in r.lines}
        data.append(
            [
                r.rank,
                r.unit.name,
                _num(r.total),
                _num(r.percent),
                r.get_grade_display(),
                _num(r.by_category.get(IndicatorCategory.ESTABLISHMENT)),
                _num(r.by_category.get(IndicatorCategory.OPERATION)),
                *[_num(by_ind.get(i.pk)) for i in indicators],
            ]
        )
    state = _("正式") if assessment.is_finalised else _("预排（未定档）")
    return xlsx_response(
        _("%(year)s年度考核排名（%(state)s）") % {"year": assessment.year, "state": state},
        headers,
        data,
        title=_("考核排名"),
    )


def result_docx_file(evaluation: UnitEvaluation) -> HttpResponse:
    """考核结果告知书: totals, rank, grade, every indicator with its basis and adjustments."""
    from docx import Document
    from docx.shared import Pt

    assessment = evaluation.assessment
    row = evaluation_lines(evaluation)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    doc.add_heading(
        _("%(year)s年度网格化环境监管考核结果告知书") % {"year": assessment.year}, level=1
    )
    if assessment.document_number:
        doc.add_paragraph(assessment.document_number)
    doc.add_paragraph(_("%(unit)s：") % {"unit": evaluation.unit.name})
    doc.add_paragraph(
        _("根据%(plan)s，经单位自评、领导小组办公室审核，你单位%(year)s年度考核结果如下。")
        % {"plan": str(assessment.plan), "year": assessment.year}
    )
    facts = doc.add_table(rows=0, cols=2)
    facts.style = "Table Grid"
    for label, value in [
        (_("考核得分"), f"{evaluation.total} / {row.max_total}"),
        (_("得分率"), f"{evaluation.percent}%"),
        (_("名次"), f"{evaluation.rank} / {assessment.evaluations.count()}"),
        (_("等次"), evaluation.get_grade_display()),
        (_("自评总分"), str(evaluation.self_total if evaluation.self_total is not None else "—")),
        (
            _("定档时间"),
            f"{timezone.localtime(assessment.finalised_at):%Y-%m-%d}"
            if assessment.finalised_at
            else "",
        ),
    ]:
        cells = facts.add_row().cells
        cells[0].text = str(label)
        cells[1].text = str(value)
    doc.add_heading(_("分项得分"), level=2)
    table = doc.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells,
        [_("指标"), _("分值"), _("计算依据"), _("自评分"), _("得分"), _("调整理由")],
        strict=True,
    ):
        cell.text = str(text)
    for ln in row.lines:
        basis = ""
        if ln.metric is not None and ln.metric.value is not None:
            basis = f"{ln.metric.numerator}/{ln.metric.denominator}（{ln.metric.value * 100:.1f}%）"
        elif ln.metric is not None:
            basis = _("无应办事项")
        cells = table.add_row().cells
        cells[0].text = f"{ln.indicator.code} {ln.indicator.name}"
        cells[1].text = str(ln.indicator.weight)
        cells[2].text = basis
        cells[3].text = str(ln.self_score if ln.self_score is not None else "—")
        cells[4].text = str(ln.effective if ln.effective is not None else "—")
        cells[5].text = ln.adjust_reason
    objections = list(evaluation.objections.order_by("filed_at"))
    if objections:
        doc.add_heading(_("异议及答复"), level=2)
        for o in objections:
            doc.add_paragraph(
                _("%(at)s 提出异议：%(reason)s")
                % {"at": f"{timezone.localtime(o.filed_at):%Y-%m-%d}", "reason": o.reason}
            )
            if o.decided_at:
                doc.add_paragraph(
                    _("%(at)s 答复（%(status)s）：%(decision)s")
                    % {
                        "at": f"{timezone.localtime(o.decided_at):%Y-%m-%d}",
                        "status": o.get_status_display(),
                        "decision": o.decision,
                    }
                )
    elif assessment.objection_deadline:
        doc.add_paragraph(
            _("如对考核结果有异议，请于 %(deadline)s 前向领导小组办公室提出。")
            % {"deadline": f"{timezone.localtime(assessment.objection_deadline):%Y-%m-%d %H:%M}"}
        )
    doc.add_paragraph("")
    doc.add_paragraph(_("%(group)s办公室") % {"group": assessment.leading_group.name})
    return docx_response(
        doc,
        _("%(year)s年度考核结果-%(unit)s")
        % {"year": assessment.year, "unit": evaluation.unit.name},
    )
