"""Documents of an action: the action plan (行动方案) as .docx, the summary as .xlsx."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from docx.enum.text import WD_ALIGN_PARAGRAPH
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from envgrid.core.documents import OfficialDocument, document_date
from envgrid.core.exports import _cell

from .models import ActionCategory, EnforcementAction


def category_details(action: EnforcementAction) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [(_("行动类别"), action.get_category_display())]
    if action.category == ActionCategory.CAMPAIGN:
        rows.append((_("部署层级"), action.get_campaign_level_display()))
        rows.append(
            (
                _("部署文件"),
                " ".join(x for x in (action.campaign_doc_title, action.campaign_doc_ref) if x),
            )
        )
    elif action.category == ActionCategory.INCIDENT:
        when = timezone.localtime(action.incident_at) if action.incident_at else None
        rows += [
            (_("事件发生时间"), f"{when:%Y-%m-%d %H:%M}" if when else ""),
            (_("事件发生地点"), action.incident_place),
            (_("事件类型"), action.get_incident_type_display()),
            (_("事件级别"), action.get_incident_level_display()),
        ]
    elif action.category == ActionCategory.LINKAGE and action.linkage_ref:
        rows.append((_("衔接案件编号"), action.linkage_ref))
    return rows


def plan_docx(action: EnforcementAction) -> OfficialDocument:
    """行动方案: number, objectives, targets, schedule, division of labour, liaisons,
    consultations (E5), laid out by GB/T 9704 under the organiser's mark."""
    doc = OfficialDocument(
        issuer=action.organiser_unit.name,
        number=action.number or _("（草稿，批准后编号）"),
        title=_("%(t)s行动方案") % {"t": action.title},
    )
    doc.fields(
        [
            (
                _("组织单位"),
                action.organiser_unit.name
                + (f"（{action.organiser_grid.name}）" if action.organiser_grid else ""),
            ),
            *category_details(action),
        ]
    )

    doc.heading(_("一、行动目标"))
    doc.paragraphs(action.objectives)

    doc.heading(_("二、行动对象"))
    targets = list(action.targets.select_related("entity", "grid__owner_unit"))
    doc.table(
        [_("对象"), _("类型"), _("所在网格"), _("网格主体")],
        [
            [
                str(t) + (_("（重点督办）") if t.is_key else ""),
                t.kind_label,
                t.grid.name,
                t.grid.owner_unit.name,
            ]
            for t in targets
        ],
    )

    doc.heading(_("三、时间安排"))
    doc.paragraph(
        _("行动期间：%(a)s至%(b)s。")
        % {"a": document_date(action.start_date), "b": document_date(action.end_date)}
    )
    if action.schedule:
        doc.paragraphs(action.schedule)
    doc.paragraph(
        _("下级网格接到任务后，须在%(rule)s内签收，不得推诿和回避。")
        % {"rule": action.ack_rule.describe()}
    )

    doc.heading(_("四、职责分工"))
    doc.table(
        [_("单位"), _("职责分工"), _("联络人"), _("执法人员")],
        [
            [
                f"{part.unit.name}（{part.get_role_display()}）",
                part.duties,
                f"{part.liaison.name} {part.liaison.phone}".strip()
                if part.liaison
                else _("未确定"),
                "、".join(f"{o.person.name}（{o.cert_number}）" for o in part.officers.all()),
            ]
            for part in action.participants.select_related("unit", "liaison").prefetch_related(
                "officers__person"
            )
        ],
    )

    # E5: the consultations among the participating units (积极沟通会商).
    doc.heading(_("五、沟通会商"))
    consultations = list(action.consultations.prefetch_related("units"))
    if consultations:
        doc.table(
            [_("会商日期"), _("会商形式"), _("参加单位"), _("会商结论")],
            [
                [
                    c.held_on.isoformat(),
                    c.get_form_display(),
                    "、".join(u.name for u in c.units.all()),
                    c.conclusions,
                ]
                for c in consultations
            ],
        )
    else:
        doc.paragraph(_("尚未记录会商。"))

    if action.requirements:
        doc.heading(_("六、工作要求"))
        doc.paragraphs(action.requirements)

    if action.approved_at:
        doc.blank()
        doc.paragraph(
            _("批准：%(p)s　%(d)s")
            % {
                "p": action.approved_by.name if action.approved_by else "",
                "d": document_date(action.approved_at),
            },
            indent=False,
            align=WD_ALIGN_PARAGRAPH.RIGHT,
        )
    doc.signature(action.organiser_unit.name, action.approved_at)
    doc.paragraph(_("（演示数据均为合成数据）"), indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    return doc


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[Any]]) -> None:
    ws = wb.create_sheet(title[:31])
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [max(8, len(h) * 2 + 2) for h in headers]
    for row in rows:
        values = [_cell(v) for v in row]
        ws.append(values)
        for i, v in enumerate(values):
            widths[i] = min(60, max(widths[i], len(str(v)) + 2))
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"


def summary_xlsx(action: EnforcementAction) -> bytes:
    """Action summary: overview, assignments (with acknowledgement), inspections, findings."""
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    overview: list[list[Any]] = [
        [_("行动名称"), action.title],
        [_("方案文号"), action.number],
        [_("状态"), action.get_status_display()],
        [_("组织单位"), action.organiser_unit.name],
        *[[a, b] for a, b in category_details(action)],
        [_("行动期间"), f"{action.start_date} — {action.end_date}"],
        [_("参与单位数"), action.participants.count()],
        [_("执法人员数"), action.officers.count()],
        [_("检查对象数"), action.inspections.values("entity").distinct().count()],
        [_("现场检查次数"), action.inspections.count()],
        [_("发现问题数"), action.findings.count()],
        [_("转为案件数"), action.findings.filter(status="case_created").count()],
        [_("行动总结"), action.summary],
    ]
    _sheet(wb, _("概况"), [_("项目"), _("内容")], overview)
    _sheet(
        wb,
        _("任务签收"),
        [_("承办单位"), _("下达时间"), _("签收截止"), _("签收时间"), _("是否逾期"), _("状态")],
        [
            [
                a.unit.name,
                a.issued_at,
                a.ack_due_at,
                a.acknowledged_at,
                _("逾期") if a.ack_late else _("按时"),
                a.get_status_display(),
            ]
            for a in action.assignments.select_related("unit")
        ],
    )
    _sheet(
        wb,
        _("现场检查"),
        [_("检查对象"), _("检查时间"), _("检查人员"), _("检查情况"), _("照片数")],
        [
            [
                i.entity.name,
                i.inspected_at,
                "、".join(o.person.name for o in i.officers.all()),
                i.summary,
                i.photos.count(),
            ]
            for i in action.inspections.select_related("entity").prefetch_related(
                "officers__person"
            )
        ],
    )
    _sheet(
        wb,
        _("发现问题"),
        [_("对象"), _("问题"), _("违法事实"), _("涉嫌犯罪"), _("重点督办"), _("案件编号")],
        [
            [
                f.entity.name,
                f.title,
                f.description,
                _("是") if f.suspected_crime else "",
                _("是") if f.is_key else "",
                f.case_number,
            ]
            for f in action.findings.select_related("entity")
        ],
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
