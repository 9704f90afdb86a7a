"""Synthetic demo, reporting part (all data invented, 合成数据): the office's reporting
schedule for the current year, a year of reports — most on time, some late, some
missing — with the office's feedback, a few incident reports, and the upward reports of
the grids' major adjustments (G5).

Builds on ctx from earlier steps: ctx.objects["leading_group"], ctx.units, ctx.persons,
ctx.users (see envgrid/org/demo.py); degrades to nothing when they are absent.
Leaves ctx.objects["report_schedules"] and ctx.objects["reports"] for later steps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from envgrid.core.demo import DemoContext, demo_step

from .models import Frequency, ReportDue, ReportType
from .services import (
    dues_generate,
    major_adjustments_sync,
    report_act,
    report_create,
    schedule_create,
)

# Share of past-due reports per outcome (the rest are on time).
LATE_SHARE = 0.15
MISSING_SHARE = 0.10
# Units that report poorly in the demo, so the compliance page has something to show.
WEAK_UNITS = ("纬华街道", "法院")

TOPICS = [
    "扬尘污染专项整治",
    "餐饮油烟治理",
    "河道沿岸垃圾清理",
    "重点排污单位在线监测",
    "秸秆禁烧巡查",
    "建筑工地夜间施工噪声",
    "散乱污企业排查",
    "饮用水水源地保护",
]


def _actor_for_unit(ctx: DemoContext, unit_key: str) -> Any:
    for key in (f"{unit_key}.staff",):
        person = ctx.persons.get(key)
        if person is not None and person.user_id:
            return person.user
    if unit_key == "生态环境局" and "office" in ctx.users:
        return ctx.users["office"]
    return ctx.users.get("admin")


def _key_of(ctx: DemoContext, unit: Any) -> str:
    for key, u in ctx.units.items():
        if u.pk == unit.pk:
            return key
    return unit.short_name or unit.name


def _text(ctx: DemoContext, unit: Any, period: str) -> tuple[str, str, str, str]:
    topic = ctx.rng.choice(TOPICS)
    name = unit.short_name or unit.name
    return (
        topic,
        f"（合成演示数据）{name}{period}开展{topic}工作，出动检查人员{ctx.rng.randint(8, 60)}人次，"
        f"检查点位{ctx.rng.randint(5, 40)}处，发现问题{ctx.rng.randint(0, 9)}个，已督促整改。",
        f"（合成演示数据）{period}{name}辖区{topic}问题集中在城乡接合部和老旧小区。",
        "（合成演示数据）问题反复的原因是日常巡查频次不足、部门间信息共享不及时。",
    )


def _submit_report(
    ctx: DemoContext,
    *,
    due: ReportDue,
    actor: Any,
    office_user: Any,
    submit_at: dt.datetime,
    now: dt.datetime,
) -> Any:
    unit = due.unit
    topic, content, situation, analysis = _text(ctx, unit, due.period_key)
    report_type = due.schedule.report_type
    thematic = report_type == ReportType.THEMATIC
    collected = submit_at - dt.timedelta(days=ctx.rng.randint(2, 6), hours=ctx.rng.randint(1, 6))
    report = report_create(
        actor=actor,
        unit=unit,
        report_type=report_type,
        title=f"{unit.short_name or unit.name}{due.schedule.name}（{due.period_key}）：{topic}",
        content=content,
        situation=situation if thematic else "",
        analysis=analysis if thematic else "",
        recommendations="（合成演示数据）建议加密联合巡查频次，建立问题清单销号制度。"
        if thematic
        else "",
        due=due,
        at=collected,
    )
    report_act(actor=actor, report=report, action="screen", at=collected + dt.timedelta(hours=3))
    report_act(actor=actor, report=report, action="process", at=submit_at - dt.timedelta(hours=5))
    report = report_act(actor=actor, report=report, action="submit", at=submit_at)
    # The office answers most reports within a few days (I2: 反馈), some go public, older
    # ones are archived.
    fed_back = submit_at + dt.timedelta(days=ctx.rng.randint(1, 4), hours=2)
    if office_user is not None and fed_back < now and ctx.rng.random() < 0.8:
        report = report_act(
            actor=office_user,
            report=report,
            action="feedback",
            note="已阅。请继续做好相关工作，注意数据口径一致。（合成演示数据）",
            at=fed_back,
        )
        if thematic and ctx.rng.random() < 0.5:
            report = report_act(
                actor=office_user,
                report=report,
                action="publish",
                at=fed_back + dt.timedelta(days=1),
            )
        if (now - fed_back).days > 60:
            report = report_act(
                actor=office_user,
                report=report,
                action="archive",
                at=fed_back + dt.timedelta(days=3),
            )
    return report


@demo_step(80)
def reporting(ctx: DemoContext) -> None:
    group = ctx.objects.get("leading_group")
    admin = ctx.users.get("admin")
    if group is None or admin is None:
        ctx.log("reporting: no leading group in the demo context; skipped")
        return
    office_user = ctx.users.get("office") or admin
    now = timezone.now()
    today = timezone.localdate()
    year_start = today.replace(month=1, day=1)

    schedules = [
        schedule_create(
            actor=office_user,
            leading_group=group,
            name="月度工作信息",
            report_type=ReportType.WORK_INFO,
            frequency=Frequency.MONTHLY,
            due_workdays=5,
            valid_from=year_start,
            note="每月工作信息于次月第5个工作日前报送。（合成演示数据）",
        ),
        schedule_create(
            actor=office_user,
            leading_group=group,
            name="季度专题综合信息",
            report_type=ReportType.THEMATIC,
            frequency=Frequency.QUARTERLY,
            due_workdays=10,
            valid_from=year_start,
            units=[u for k, u in ctx.units.items() if k.endswith("街道") or k == "工业园区"],
            note="有情况、有分析、有建议。（合成演示数据）",
        ),
        schedule_create(
            actor=office_user,
            leading_group=group,
            name="年度工作总结（含自评）",
            report_type=ReportType.WORK_SUMMARY,
            frequency=Frequency.YEARLY,
            due_month=1,
            due_day=15,
            due_year_offset=1,
            valid_from=year_start,
            note="次年1月15日前报送，自评纳入工作总结。（合成演示数据）",
        ),
    ]
    result = dues_generate(today=today, actor=office_user)
    for err in result.errors:
        ctx.log(f"reporting: {err}")

    made = late = missing = 0
    reports = []
    dues = (
        ReportDue.objects.filter(schedule__in=schedules)
        .select_related("unit", "schedule", "obligation")
        .order_by("due_at", "unit__code")
    )
    for due in dues:
        due_at = due.obligation.due_at
        key = _key_of(ctx, due.unit)
        actor = _actor_for_unit(ctx, key)
        weak = key in WEAK_UNITS
        roll = ctx.rng.random()
        if due_at >= now:
            # Not due yet: about a third of units have already reported.
            if roll < 0.35 and due.period_end < today:
                submit_at = now - dt.timedelta(hours=ctx.rng.randint(2, 48))
                reports.append(
                    _submit_report(
                        ctx,
                        due=due,
                        actor=actor,
                        office_user=office_user,
                        submit_at=submit_at,
                        now=now,
                    )
                )
                made += 1
            continue
        if roll < MISSING_SHARE * (4 if weak else 1):
            missing += 1
            continue
        if roll < (MISSING_SHARE + LATE_SHARE) * (2.5 if weak else 1):
            submit_at = due_at + dt.timedelta(
                days=ctx.rng.randint(1, 9), hours=ctx.rng.randint(1, 8)
            )
            if submit_at >= now:
                missing += 1
                continue
            late += 1
        else:
            submit_at = due_at - dt.timedelta(
                days=ctx.rng.randint(0, 3), hours=ctx.rng.randint(2, 20)
            )
        reports.append(
            _submit_report(
                ctx, due=due, actor=actor, office_user=office_user, submit_at=submit_at, now=now
            )
        )
        made += 1

    # Unscheduled incident reports (突发事件信息): collected and submitted at once.
    for i, key in enumerate(("八田地街道", "工业园区", "东风街道")):
        unit = ctx.units.get(key)
        if unit is None:
            continue
        actor = _actor_for_unit(ctx, key)
        when = now - dt.timedelta(days=20 + 37 * i)
        report = report_create(
            actor=actor,
            unit=unit,
            report_type=ReportType.INCIDENT,
            title=f"{key}突发环境事件信息（合成演示数据）",
            content="（合成演示数据）辖区内一处仓库发生少量化学品泄漏，已现场处置，未造成水体污染。",
            occurred_at=when - dt.timedelta(hours=3),
            place=f"{key}辖区（合成地点）",
            at=when - dt.timedelta(hours=2),
        )
        for action in ("screen", "process", "submit"):
            report = report_act(actor=actor, report=report, action=action, at=when)
        reports.append(report)
    # One draft still with its unit (the office does not see it until it is submitted).
    draft_unit = ctx.units.get("住建局")
    if draft_unit is not None:
        reports.append(
            report_create(
                actor=_actor_for_unit(ctx, "住建局"),
                unit=draft_unit,
                report_type=ReportType.WORK_INFO,
                title="住建局建筑工地扬尘管控情况（草稿，合成演示数据）",
                content="（合成演示数据）正在收集各工地台账。",
            )
        )
    drafted = major_adjustments_sync()
    ctx.objects["report_schedules"] = schedules
    ctx.objects["reports"] = reports
    ctx.log(
        f"reporting: {len(schedules)} schedules, {result.created} due reports, "
        f"{made} submitted ({late} late), {missing} missing, {drafted} major-adjustment drafts"
    )
