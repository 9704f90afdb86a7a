"""Seed the transfer time limits with the defaults of SPEC T (law in force in 2026).

Administrative Penalty Law art. 85: periods of 2, 3, 5 and 7 days count working days.
Administrators edit these rows (admin → 移送时限规则); the code reads only the table.
The data is copied here, not imported, so the migration never changes with the code."""

from django.db import migrations

# (transfer type, step, rule kind, amount, start event, legal basis)
DEFAULTS = [
    ("jurisdiction", "make", "workdays", 3, "案件登记（发现不属于本单位管辖）",
     "配套工作制度·移送制度第一条（按有关要求和时限移送；期限可由管理员调整）"),
    ("jurisdiction", "decide", "workdays", 5, "收到移送",
     "对移送案件有异议的，5个工作日内退回并说明理由"),
    ("jurisdiction", "handle", "days", 90, "受理移送",
     "《行政处罚法》第六十条（自立案之日起九十日内作出决定）"),
    ("jurisdiction", "feedback", "workdays", 15, "查处完成",
     "配套工作制度·移送制度第四条（查处完成后十五个工作日内反馈）"),
    ("criminal", "make", "workdays", 3, "涉嫌犯罪标记（移送报告）",
     "《行政执法机关移送涉嫌犯罪案件的规定》第五条（3日内作出批准移送或不批准移送的决定）"),
    ("criminal", "handover", "hours", 24, "批准移送决定",
     "《行政执法机关移送涉嫌犯罪案件的规定》第五条（批准移送的，24小时内移送）"),
    ("criminal", "decide", "workdays", 3, "收到移送",
     "《行政执法机关移送涉嫌犯罪案件的规定》第八条（公安机关3日内决定是否立案）"),
    ("criminal", "feedback", "workdays", 15, "查处完成",
     "配套工作制度·移送制度第四条"),
    ("detention", "make", "workdays", 3, "需行政拘留标记",
     "《行政主管部门移送适用行政拘留环境违法案件暂行办法》（3日内移送）"),
    ("detention", "decide", "workdays", 5, "收到移送",
     "对移送案件有异议的，5个工作日内退回并说明理由"),
    ("detention", "handle", "days", 30, "受理移送",
     "《治安管理处罚法》办案期限（自受理之日起三十日）"),
    ("detention", "feedback", "workdays", 15, "查处完成",
     "配套工作制度·移送制度第四条"),
    ("discipline", "decide", "workdays", 5, "收到移送",
     "对移送案件有异议的，5个工作日内退回并说明理由"),
    ("discipline", "feedback", "workdays", 15, "查处完成",
     "配套工作制度·移送制度第四条"),
    ("government_proposal", "decide", "workdays", 5, "收到处理建议",
     "对移送案件有异议的，5个工作日内退回并说明理由"),
    ("government_proposal", "feedback", "workdays", 15, "查处完成",
     "配套工作制度·移送制度第四条"),
]
# Present but switched off: no default in law or in SPEC T; an administrator may enable.
INACTIVE = [
    ("discipline", "make", "workdays", 5, "违反党纪政纪标记", "无法定期限（默认停用）"),
    ("discipline", "handle", "days", 90, "受理移送", "无法定期限（默认停用）"),
    ("government_proposal", "handle", "days", 30, "收到处理建议", "无法定期限（默认停用）"),
    ("criminal", "handle", "days", 30, "受理移送", "由刑事诉讼程序规定（默认停用）"),
]


def seed(apps, schema_editor):
    TransferRule = apps.get_model("cases", "TransferRule")
    for rows, active in ((DEFAULTS, True), (INACTIVE, False)):
        for transfer_type, step, kind, amount, start, basis in rows:
            TransferRule.objects.update_or_create(
                transfer_type=transfer_type,
                step=step,
                defaults={
                    "rule_kind": kind,
                    "amount": amount,
                    "start_event": start,
                    "legal_basis": basis,
                    "is_active": active,
                },
            )


def unseed(apps, schema_editor):
    apps.get_model("cases", "TransferRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
