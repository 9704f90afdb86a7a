"""Exports: the ranking as .xlsx and each unit's result as a .docx notice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.documents import OfficialDocument, docx_response
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


def result_document(evaluation: UnitEvaluation) -> OfficialDocument:
    """考核结果告知书: totals, rank, grade, every indicator with its basis and adjustments,
    as a letter from the leading group's office to the unit (GB/T 9704)."""
    assessment = evaluation.assessment
    row = evaluation_lines(evaluation)
    office = _("%(group)s办公室") % {"group": assessment.leading_group.name}
    doc = OfficialDocument(
        issuer=office,
        number=assessment.document_number,
        title=_("%(year)s年度网格化环境监管考核结果告知书") % {"year": assessment.year},
        addressee=evaluation.unit.name,
    )
    doc.paragraph(
        _("根据%(plan)s，经单位自评、领导小组办公室审核，你单位%(year)s年度考核结果如下。")
        % {"plan": str(assessment.plan), "year": assessment.year}
    )
    doc.table(
        None,
        [
            (_("考核得分"), f"{evaluation.total} / {row.max_total}"),
            (_("得分率"), f"{evaluation.percent}%"),
            (_("名次"), f"{evaluation.rank} / {assessment.evaluations.count()}"),
            (_("等次"), evaluation.get_grade_display()),
            (
                _("自评总分"),
                str(evaluation.self_total if evaluation.self_total is not None else "—"),
            ),
            (
                _("定档时间"),
                f"{timezone.localtime(assessment.finalised_at):%Y-%m-%d}"
                if assessment.finalised_at
                else "",
            ),
        ],
    )
    doc.heading(_("分项得分"))
    lines = []
    for ln in row.lines:
        basis = ""
        if ln.metric is not None and ln.metric.value is not None:
            basis = f"{ln.metric.numerator}/{ln.metric.denominator}（{ln.metric.value * 100:.1f}%）"
        elif ln.metric is not None:
            basis = _("无应办事项")
        lines.append(
            [
                f"{ln.indicator.code} {ln.indicator.name}",
                str(ln.indicator.weight),
                basis,
                str(ln.self_score if ln.self_score is not None else "—"),
                str(ln.effective if ln.effective is not None else "—"),
                ln.adjust_reason,
            ]
        )
    doc.table(
        [_("指标"), _("分值"), _("计算依据"), _("自评分"), _("得分"), _("调整理由")],
        lines,
        size=10.5,
    )
    objections = list(evaluation.objections.order_by("filed_at"))
    if objections:
        doc.heading(_("异议及答复"))
        for o in objections:
            doc.paragraph(
                _("%(at)s 提出异议：%(reason)s")
                % {"at": f"{timezone.localtime(o.filed_at):%Y-%m-%d}", "reason": o.reason}
            )
            if o.decided_at:
                doc.paragraph(
                    _("%(at)s 答复（%(status)s）：%(decision)s")
                    % {
                        "at": f"{timezone.localtime(o.decided_at):%Y-%m-%d}",
                        "status": o.get_status_display(),
                        "decision": o.decision,
                    }
                )
    elif assessment.objection_deadline:
        doc.paragraph(
            _("如对考核结果有异议，请于 %(deadline)s 前向领导小组办公室提出。")
            % {"deadline": f"{timezone.localtime(assessment.objection_deadline):%Y-%m-%d %H:%M}"}
        )
    doc.signature(office, assessment.finalised_at)
    return doc


def result_docx_file(evaluation: UnitEvaluation) -> HttpResponse:
    assessment = evaluation.assessment
    doc = result_document(evaluation)
    return docx_response(
        doc,
        _("%(year)s年度考核结果-%(unit)s")
        % {"year": assessment.year, "unit": evaluation.unit.name},
    )
