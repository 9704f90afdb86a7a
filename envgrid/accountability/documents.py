"""问责建议书 as .docx: the proposal under its number, the items and their delays from the
records, the units and persons named, and the leading group's decision once made."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from envgrid.core.documents import OfficialDocument

from .models import AccountabilityProposal, ConsequenceLevel


def _when(value: str | dt.datetime | None) -> str:
    if not value:
        return "—"
    moment = parse_datetime(value) if isinstance(value, str) else value
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else str(value)


def proposal_document(proposal: AccountabilityProposal) -> OfficialDocument:
    group = proposal.leading_group
    doc = OfficialDocument(
        issuer=_("%(group)s办公室") % {"group": group.name},
        number=proposal.number,
        title=_("问责建议书"),
        addressee=group.name,
    )
    doc.fields(
        [
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
        ]
    )

    doc.heading(_("一、事实"))
    doc.paragraphs(proposal.facts)

    doc.heading(_("二、逾期事项及后果认定"))
    doc.table(
        [
            _("认定文号"),
            _("事项"),
            _("责任单位"),
            _("责任人"),
            _("截止时间"),
            _("完成时间"),
            _("逾期天数"),
        ],
        [
            [
                item.get("finding", ""),
                item.get("title", ""),
                item.get("unit", ""),
                item.get("person", "") or "—",
                _when(item.get("due_at")),
                _when(item.get("completed_at")) if item.get("completed_at") else _("未完成"),
                str(item.get("delay_days", 0)),
            ]
            for item in proposal.items
        ],
        size=10.5,
    )
    for finding in proposal.findings.order_by("pk"):
        doc.paragraph(
            finding.facts, label=f"{finding.number}（{ConsequenceLevel(finding.level).label}）："
        )
        doc.paragraph(_("证据：%(e)s") % {"e": finding.evidence or "—"})

    doc.heading(_("三、领导小组决定"))
    if proposal.decided_at:
        doc.fields(
            [
                (_("决定文号"), proposal.decision_number),
                (_("决定"), proposal.get_decision_display()),
                (_("理由"), proposal.decision_reason),
                (_("决定人"), proposal.decided_by.name if proposal.decided_by else ""),
                (_("决定时间"), _when(proposal.decided_at)),
            ]
        )
        if proposal.referral_transfer_id and proposal.referral_transfer:
            doc.paragraph(
                _("已移送 %(to)s，移送编号 %(n)s。")
                % {
                    "to": proposal.referral_transfer.receiver_unit.name,
                    "n": proposal.referral_transfer.number,
                }
            )
    else:
        doc.paragraph(_("（待领导小组决定）"))
    doc.signature(_("%(group)s办公室") % {"group": group.name}, proposal.proposed_at)
    return doc
