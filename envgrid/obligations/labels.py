"""Human names of obligation kinds (issue 20: no kind code shown to a person).

Kinds are dotted codes opened by the workflows ("transfer.feedback.criminal",
"report.due"); people see the label of the longest known prefix. The table is data, so
obligations imports no workflow app; a kind no entry covers reads as "其他事项".
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

KIND_LABELS: dict[str, object] = {
    "transfer": _("移送"),
    "transfer.make": _("应当移送"),
    "transfer.make.criminal": _("移送涉嫌犯罪案件"),
    "transfer.handover": _("移交移送材料"),
    "transfer.decide": _("受理或退回移送"),
    "transfer.handle": _("查处移送案件"),
    "transfer.feedback": _("反馈查处结果"),
    "case.crime_flag_review": _("审核撤销涉嫌犯罪标记"),
    "enforcement.assignment.ack": _("确认联合执法任务"),
    "enforcement.assignment.report": _("报告联合执法结果"),
    "meeting.decision": _("落实会议议定事项"),
    "meeting.task_report": _("报告议定事项进展"),
    "supervision.respond": _("答复督办"),
    "report.due": _("按期报送信息"),
    "adjustment.report": _("报送网格重大调整"),
    "adjustment.publish": _("公开网格重大调整"),
    "disclosure.refresh": _("更新公开信息"),
    "petition": _("办理信访件"),
    "petition.acknowledge": _("受理信访件"),
    "petition.handle": _("办结信访件"),
    "petition.reroute": _("转办信访件"),
    "assessment.self_evaluation": _("考核自评"),
    "assessment.objection": _("处理考核异议"),
}

OTHER = _("其他事项")


def kind_family(kind: str) -> str:
    """The longest prefix of `kind` with a label ("" when none has one)."""
    parts = kind.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in KIND_LABELS:
            return prefix
    return ""


def kind_label(kind: str) -> str:
    family = kind_family(kind)
    return str(KIND_LABELS[family] if family else OTHER)


def rule_text(ob: Any) -> str:
    """The deadline as one sentence: the workflow's own (registry.register_rule_text), else
    "<起算事件>后 N 个工作日内" / "N 日内" / "N 小时内"."""
    from envgrid.core.deadlines import RuleKind

    from .registry import rule_text_for

    own = rule_text_for(ob)
    if own:
        return own
    values = {"event": ob.start_event, "n": ob.rule_amount}
    if ob.rule_kind == RuleKind.WORKDAYS:
        return gettext("%(event)s后 %(n)s 个工作日内") % values
    if ob.rule_kind == RuleKind.HOURS:
        return gettext("%(event)s后 %(n)s 小时内") % values
    return gettext("%(event)s后 %(n)s 日内") % values
