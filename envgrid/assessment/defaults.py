"""The default indicator set, taken from the seed's 五、考核制度 第二条 (SPEC A2): establishment
(construction plan; duties with the principal administrative leader responsible,
decomposed to individuals) and operation (supporting work rules at every grid level; work
done, plans and rules carried out, summaries and materials on time). An office copies it
into a plan and edits weights and rules there; it is data, not code paths."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import IndicatorCategory, IndicatorSource

E = IndicatorCategory.ESTABLISHMENT
O = IndicatorCategory.OPERATION  # noqa: E741
C = IndicatorSource.COMPUTED
R = IndicatorSource.REVIEW

DEFAULT_INDICATORS: list[dict[str, Any]] = [
    {
        "code": "A2-1-1",
        "category": E,
        "name": _("制定网格化环境监管体系建设方案"),
        "scoring_rule": _(
            "网格主体已制定并印发建设方案的得满分；有方案未印发的得一半；无方案不得分。须上传方案文件。"
        ),
        "weight": Decimal("10"),
        "source": R,
        "requires_evidence": True,
    },
    {
        "code": "A2-1-2",
        "category": E,
        "name": _("明确监管职责，建立主要行政领导负责制"),
        "scoring_rule": _(
            "职责文件明确、主要行政领导为第一责任人的得满分；职责不清或责任人不明的酌情扣分。须上传职责文件。"
        ),
        "weight": Decimal("10"),
        "source": R,
        "requires_evidence": True,
    },
    {
        "code": "A2-1-3",
        "category": E,
        "name": _("分解工作职责，责任到人（网格角色配齐）"),
        "scoring_rule": _("所负责网格的网格长、网格员、监管员等角色配齐率 × 分值。"),
        "weight": Decimal("10"),
        "source": C,
        "metric": "grids.roles_filled",
    },
    {
        "code": "A2-2-1",
        "category": O,
        "name": _("各级网格主体建立配套工作制度"),
        "scoring_rule": _(
            "联席会议、联合执法、移送、信息报告和公开、考核五项制度齐全的得满分，每缺一项扣2分。须上传制度文件。"
        ),
        "weight": Decimal("10"),
        "source": R,
        "requires_evidence": True,
    },
    {
        "code": "A2-2-2",
        "category": O,
        "name": _("案件按时移送"),
        "scoring_rule": _("按时移送率 × 分值；当年无应移送案件的得满分。"),
        "weight": Decimal("8"),
        "source": C,
        "metric": "transfer.on_time",
    },
    {
        "code": "A2-2-3",
        "category": O,
        "name": _("移送案件按时反馈查处结果"),
        "scoring_rule": _("查处完成后15个工作日内反馈的比例 × 分值。"),
        "weight": Decimal("8"),
        "source": C,
        "metric": "transfer.feedback",
    },
    {
        "code": "A2-2-4",
        "category": O,
        "name": _("联席会议决定事项按时办结"),
        "scoring_rule": _("按期办结率 × 分值。"),
        "weight": Decimal("8"),
        "source": C,
        "metric": "meeting.decision",
    },
    {
        "code": "A2-2-5",
        "category": O,
        "name": _("按要求参加联席会议"),
        "scoring_rule": _("出席率 × 分值（缺席计入考核）。"),
        "weight": Decimal("6"),
        "source": C,
        "metric": "meeting.attendance",
    },
    {
        "code": "A2-2-6",
        "category": O,
        "name": _("联合执法任务按时响应"),
        "scoring_rule": _("下级网格按时确认执法任务的比例 × 分值。"),
        "weight": Decimal("6"),
        "source": C,
        "metric": "enforcement.ack",
    },
    {
        "code": "A2-2-7",
        "category": O,
        "name": _("定期汇报环保任务完成情况"),
        "scoring_rule": _("按时汇报的比例 × 分值。"),
        "weight": Decimal("6"),
        "source": C,
        "metric": "meeting.task_report",
    },
    {
        "code": "A2-2-8",
        "category": O,
        "name": _("信息按计划报送"),
        "scoring_rule": _("按报送计划按时报送的比例 × 分值。"),
        "weight": Decimal("8"),
        "source": C,
        "metric": "report.due",
    },
    {
        "code": "A2-2-9",
        "category": O,
        "name": _("按时限、按要求报送工作总结等材料"),
        "scoring_rule": _("工作总结内容完整、按时提交的得满分；迟交或内容缺项的酌情扣分。"),
        "weight": Decimal("10"),
        "source": R,
    },
]

# Added to the default set only where the patrols app provides its metric; its points come
# from the summary indicator (A2-2-9), so the default plan totals 100 either way.
PATROL_FUNDED_BY = "A2-2-9"
PATROL_INDICATOR: dict[str, Any] = {
    "code": "A2-2-10",
    "category": O,
    "name": _("网格巡查覆盖"),
    "scoring_rule": _("巡查覆盖率 × 分值。"),
    "weight": Decimal("5"),
    "source": C,
    "metric": "patrol.coverage",
}
