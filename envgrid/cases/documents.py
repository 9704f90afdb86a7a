"""Documents of case transfer: the transfer letter (移送函) and the transfer registration
form (移送登记表) as .docx, the register (移送登记簿), the overdue register and the case
list as .xlsx. Documents carry the materials as sent (the transfer's snapshot)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from envgrid.core.documents import (
    DOCX_MIME,
    HEADING_FONTS,
    OfficialDocument,
    document_date,
    docx_response,
    set_run_font,
)
from envgrid.core.exports import XLSX_MIME, xlsx_response

from .models import Case, Transfer, TransferType

__all__ = ["DOCX_MIME", "XLSX_MIME"]


def _fmt(moment: Any, with_time: bool = False) -> str:
    if not moment:
        return ""
    local = timezone.localtime(moment)
    day = document_date(local)
    return f"{day} {local:%H:%M}" if with_time else day


ROUTE_SENTENCES: dict[str, str] = {
    TransferType.JURISDICTION: "经审查，该案件违法行为发生地不属于我单位管辖，依据《站前区网格化环境监管体系配套工作制度（试行）》移送制度第一条、第五条，现移送你单位依法处理。",
    TransferType.DETENTION: "该案件涉嫌违法依法应当实施行政拘留，依据移送制度第二条，现移送你单位依法处理。",
    TransferType.DISCIPLINE: "该案件涉嫌违反党纪、政纪，依据移送制度第二条，现移送你单位依纪依法处理。",
    TransferType.CRIMINAL: "该案件涉嫌犯罪，依据移送制度第二条及《行政执法机关移送涉嫌犯罪案件的规定》，现移送你单位依法处理，不得以行政处罚代替刑事处罚。",
    TransferType.GOVERNMENT_PROPOSAL: "该案件经我单位立案调查，涉嫌违法依法应当由人民政府实施责令停产整顿、责令停业、关闭，依据移送制度第二条，现提出处理建议，报请审定。",
}


def transfer_letter(transfer: Transfer) -> OfficialDocument:
    """移送函: addressed to the receiver, with the facts, the route's sentence, the list of
    materials (names and SHA-256) and the feedback requirement (T3, T4), laid out as an
    official letter (GB/T 9704: 发文机关标志, 文号, 主送机关, 落款)."""
    snap = transfer.case_snapshot or {}
    doc = OfficialDocument(
        issuer=transfer.sender_unit.name,
        number=transfer.number,
        title="案件移送函",
        addressee=transfer.receiver_unit.name,
    )
    doc.paragraph(
        f"我单位于{_fmt(transfer.case.discovered_at)}发现（接报）{snap.get('entity_name') or transfer.entity_name}"
        f"涉嫌环境违法一案（案件编号 {snap.get('number', transfer.case.number)}，"
        f"地点：{snap.get('address') or '—'}）。"
    )
    doc.paragraph(transfer.facts, label="违法事实：")
    doc.paragraph(
        transfer.entity_name
        + (f"（统一社会信用代码 {snap['entity_uscc']}）" if snap.get("entity_uscc") else "")
        + f"；违法责任人：{transfer.responsible_person}。",
        label="违法主体：",
    )
    doc.paragraph(ROUTE_SENTENCES.get(transfer.transfer_type, ""))
    if transfer.reason:
        doc.paragraph(transfer.reason, label="移送理由：")
    if transfer.proposal:
        doc.paragraph(transfer.proposal, label="处理建议：")
    if transfer.feedback_required:
        doc.paragraph(
            "请你单位接收后依法查处，并在查处完成后十五个工作日内将处理结果反馈我单位；"
            "如不属于你单位管辖，请及时退回并书面说明理由。"
        )
    else:
        doc.paragraph("如不属于你单位管辖，请及时退回并书面说明理由。")
    evidence = list(transfer.evidence.all())
    doc.blank()
    doc.paragraph(f"附件：案件材料副本 {len(evidence)} 份")
    for i, e in enumerate(evidence, 1):
        doc.paragraph(f"{i}. {e.original_name}（SHA-256：{e.sha256}）", size=10.5)
    doc.signature(transfer.sender_unit.name, transfer.sent_at)
    handler = transfer.sender_handler
    doc.note(
        f"（经办人：{handler.name if handler else '—'}"
        + (f"；联系电话：{handler.phone}" if handler and handler.phone else "")
        + "）"
    )
    if transfer.copy_to_unit_id:
        doc.imprint([f"抄送：{transfer.copy_to_unit.name}"])  # type: ignore[union-attr]
    return doc


def transfer_form(transfer: Transfer) -> OfficialDocument:
    """移送登记表: one table with the registration (number, date, sender, handler) and
    what became of the transfer."""
    snap = transfer.case_snapshot or {}
    doc = OfficialDocument(title="案件移送登记表", number=f"编号：{transfer.number}")
    rows = [
        ("移送编号", transfer.number),
        ("移送日期", _fmt(transfer.sent_at, True)),
        ("移送类型", str(TransferType(transfer.transfer_type).label)),
        ("移送单位", transfer.sender_unit.name),
        ("移送经办人", transfer.sender_handler.name if transfer.sender_handler else ""),
        ("接收单位", transfer.receiver_unit.name),
        ("抄送单位", transfer.copy_to_unit.name if transfer.copy_to_unit else ""),
        ("案件编号", snap.get("number", "")),
        ("案件名称", snap.get("title", "")),
        (
            "发生地",
            snap.get("address", "")
            + (f"（{snap['occurrence_grid']}）" if snap.get("occurrence_grid") else ""),
        ),
        ("违法主体", transfer.entity_name),
        ("违法责任人", transfer.responsible_person),
        ("违法事实", transfer.facts),
        (
            "证据材料",
            "；".join(f"{e.original_name}（{e.sha256[:16]}…）" for e in transfer.evidence.all()),
        ),
        ("移送理由", transfer.reason),
        ("处理建议", transfer.proposal),
        ("状态", str(transfer.get_status_display())),
        ("受理时间", _fmt(transfer.accepted_at, True)),
        ("接收经办人", transfer.receiver_handler.name if transfer.receiver_handler else ""),
        (
            "退回时间及说明",
            (_fmt(transfer.returned_at, True) + " " + transfer.return_explanation).strip(),
        ),
        ("查处完成时间", _fmt(transfer.handled_at, True)),
        ("查处结果", transfer.handling_result),
        ("反馈时间", _fmt(transfer.fed_back_at, True)),
        ("反馈内容", transfer.feedback_text),
    ]
    table = doc.table(None, [(label, value or "") for label, value in rows])
    for row in table.rows:
        for run in row.cells[0].paragraphs[0].runs:
            set_run_font(run, HEADING_FONTS)
    doc.blank()
    doc.paragraph("登记人（签字）：　　　　　　　　登记日期：　　年　　月　　日", indent=False)
    return doc


def transfer_letter_response(transfer: Transfer) -> HttpResponse:
    return docx_response(transfer_letter(transfer), f"移送函-{transfer.number}")


def transfer_form_response(transfer: Transfer) -> HttpResponse:
    return docx_response(transfer_form(transfer), f"移送登记表-{transfer.number}")


REGISTER_HEADERS = [
    "移送编号",
    "移送日期",
    "移送类型",
    "移送单位",
    "移送经办人",
    "接收单位",
    "抄送单位",
    "案件编号",
    "违法主体",
    "违法责任人",
    "状态",
    "受理时间",
    "退回时间",
    "退回说明",
    "查处完成时间",
    "反馈时间",
    "有逾期事项",
]


def transfer_register_rows(transfers: Iterable[Transfer]) -> Iterable[list[Any]]:
    for t in transfers:
        yield [
            t.number,
            t.sent_at,
            t.get_transfer_type_display(),
            t.sender_unit.name,
            t.sender_handler.name if t.sender_handler else "",
            t.receiver_unit.name,
            t.copy_to_unit.name if t.copy_to_unit else "",
            t.case.number,
            t.entity_name,
            t.responsible_person,
            t.get_status_display(),
            t.accepted_at,
            t.returned_at,
            t.return_explanation,
            t.handled_at,
            t.fed_back_at,
            "是" if t.overdue else "",
        ]


def transfer_register_response(transfers: Iterable[Transfer]) -> HttpResponse:
    """移送登记簿 (.xlsx): the registered transfers with number, date, sender, handler."""
    return xlsx_response(
        f"移送登记簿-{timezone.localdate():%Y%m%d}",
        REGISTER_HEADERS,
        transfer_register_rows(transfers),
        title="移送登记簿",
    )


def overdue_register_response(rows: Iterable[Any]) -> HttpResponse:
    return xlsx_response(
        f"移送逾期登记-{timezone.localdate():%Y%m%d}",
        ["类别", "事项", "责任单位", "责任人", "截止时间", "完成时间", "仍未办结", "逾期天数"],
        (
            [
                r.category_label,
                r.obligation.title,
                r.unit.name,
                r.person.name if r.person else "",
                r.due_at,
                r.completed_at,
                "是" if r.still_open else "否",
                r.days_late,
            ]
            for r in rows
        ),
        title="逾期登记",
    )


def case_list_response(cases: Iterable[Case]) -> HttpResponse:
    return xlsx_response(
        f"案件列表-{timezone.localdate():%Y%m%d}",
        [
            "案件编号",
            "案件名称",
            "来源",
            "状态",
            "办理单位",
            "发生地网格",
            "建议管辖单位",
            "发现时间",
            "发现单位",
            "登记时间",
            "违法主体",
            "涉嫌犯罪",
            "需行政拘留",
            "违反党纪政纪",
            "有逾期事项",
        ],
        (
            [
                c.number,
                c.title,
                c.get_source_display(),
                c.get_status_display(),
                c.owner_unit.name,
                c.occurrence_grid.name if c.occurrence_grid else "",
                c.proposed_unit.name if c.proposed_unit else "",
                c.discovered_at,
                c.discovered_by_unit.name,
                c.registered_at,
                c.entity_name,
                "是" if c.suspected_crime else "",
                "是" if c.detention_needed else "",
                "是" if c.discipline_breach else "",
                "是" if c.overdue else "",
            ]
            for c in cases
        ),
        title="案件",
    )
