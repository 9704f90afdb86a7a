"""Synthetic demo: joint meetings over 2026 (合成数据, no real person or event).

Builds on the org step (10): ctx.objects["leading_group"], ctx.objects["delegation"],
ctx.units by short name, ctx.persons ("leader", "director", "office", "K.staff"),
ctx.users ("office", "director"); on grids (20) for agenda links when present. Anything
missing is skipped with a log line, never an error.

Everything goes through the services at the real current time, so histories are honest:
decisions whose due dates are past are overdue now and get their supervision notice now.

Leaves ctx.objects["meetings"] (by key) and ctx.objects["decisions"] (by key).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from envgrid.core.demo import DemoContext, demo_step
from envgrid.core.errors import ApplicationError

from . import services
from .models import Attendance, Decision, DecisionStatus, Meeting, MeetingScope
from .selectors import link_visible

DEMO_YEAR = 2026


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


class _Demo:
    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.group = ctx.objects["leading_group"]
        self.members = list(self.group.member_units.order_by("code"))
        self.office_user = ctx.users.get("office") or self._user_of(self.group.office_unit)
        # The demo tells the story of 2026; it is only ever run later than that story.
        self.year = DEMO_YEAR

    def unit(self, key: str, fallback: int) -> Any:
        unit = self.ctx.units.get(key)
        if unit is None:  # the org step changed: any member unit will do
            unit = self.members[fallback % len(self.members)]
        return unit

    def _user_of(self, unit: Any) -> Any:
        from envgrid.org.models import Person

        p = (
            Person.objects.filter(unit=unit, is_active=True, user__isnull=False)
            .select_related("user")
            .first()
        )
        return p.user if p else None

    def staff(self, unit: Any) -> Any:
        key = unit.short_name or unit.name
        person = self.ctx.persons.get(f"{key}.staff")
        return person.user if person is not None and person.user_id else self._user_of(unit)

    def day(self, month: int, day: int) -> dt.date:
        return dt.date(self.year, month, day)

    def agenda(self, *items: tuple[str, str, str, Any]) -> list[services.AgendaInput]:
        out = []
        for kind, problem, title, link in items:
            if link is not None and not link_visible(self.office_user, link):
                link = None
            out.append(
                services.AgendaInput(kind=kind, problem_kind=problem, title=title, link=link)
            )
        return out

    def attend(
        self,
        meeting: Meeting,
        *,
        absent: dict[Any, str],
        delegate: dict[Any, str],
        actor: Any = None,
    ) -> None:
        names = iter("张李王赵刘陈杨黄周吴")
        entries = []
        for p in meeting.participants.select_related("unit"):
            if p.unit in absent:
                entries.append(
                    services.AttendanceInput(
                        unit_id=p.unit_id,
                        attendance=Attendance.ABSENT,
                        absence_reason=absent[p.unit],
                    )
                )
            elif p.unit in delegate:
                entries.append(
                    services.AttendanceInput(
                        unit_id=p.unit_id,
                        attendance=Attendance.DELEGATE,
                        delegate_name=delegate[p.unit],
                    )
                )
            else:
                entries.append(
                    services.AttendanceInput(
                        unit_id=p.unit_id,
                        attendance=Attendance.PRESENT,
                        attendee_name=f"{next(names, '孙')}某（演示）",
                    )
                )
        actor = actor or self.office_user
        services.meeting_attendance_record(actor=actor, meeting=meeting, entries=entries)
        services.meeting_hold(actor=actor, meeting=meeting)

    def minutes(self, meeting: Meeting, text: str, *, issue: bool, actor: Any = None) -> None:
        actor = actor or self.office_user
        services.meeting_minutes_save(actor=actor, meeting=meeting, minutes=text)
        if issue:
            services.meeting_minutes_issue(actor=actor, meeting=meeting)

    def decide(
        self,
        meeting: Meeting,
        text: str,
        owners: list[Any],
        due: dt.date,
        actor: Any = None,
        links: list[Any] | None = None,
    ) -> Decision:
        links = [obj for obj in (links or []) if link_visible(actor or self.office_user, obj)]
        return services.decision_create(
            actor=actor or self.office_user,
            meeting=meeting,
            text=text,
            owner_units=owners,
            due_date=due,
            links=links,
        )

    def report(self, decision: Decision, unit: Any, text: str, *, done: bool = False) -> None:
        user = self.staff(unit)
        if user is None:
            self.ctx.log(f"meetings: no login for {unit}; progress skipped")
            return
        services.decision_progress_report(actor=user, decision=decision, text=text, completed=done)


def _case_objects(ctx: DemoContext) -> list[Any]:
    """Cases the cases step left, whatever shape it chose (list or dict), if any."""
    found = ctx.objects.get("cases")
    if isinstance(found, dict):
        found = list(found.values())
    return [c for c in (found or []) if hasattr(c, "_meta")][:2]


@demo_step(50)
def meetings(ctx: DemoContext) -> None:
    """Five leading-group meetings (one cancelled, one upcoming), one among member units,
    decisions in every state, overdue ones with supervision notices, monthly task reports."""
    if "leading_group" not in ctx.objects:
        ctx.log("meetings: no leading group from the org step; skipped")
        return
    d = _Demo(ctx)
    if d.office_user is None:
        ctx.log("meetings: the office has no login; skipped")
        return
    u = d.unit
    zhujian, chengguan, shuili = u("住建局", 2), u("城管局", 3), u("水利局", 4)
    nongye, shichang = u("农业农村局", 5), u("市场监管局", 6)
    batiandi, jianshe, dongfeng = u("八田地街道", 8), u("建设街道", 9), u("东风街道", 10)
    xinxing, park, police = u("新兴街道", 11), u("工业园区", 15), u("公安分局", 16)
    grids = ctx.objects.get("grid_by_unit") or {}
    leader = ctx.persons.get("leader") or d.group.leader
    director = ctx.persons.get("director") or d.group.office_director
    meetings: dict[str, Meeting] = {}
    decisions: dict[str, Decision] = {}

    # 1. February: the year's first meeting, convened by the leader. Minutes issued.
    m = services.meeting_schedule(
        actor=d.office_user,
        leading_group=d.group,
        convener=leader,
        title=f"{d.year}年第一次网格化环境监管联席会议（演示）",
        starts_at=_at(d.day(2, 26), 15),
        place="区政府三楼第一会议室",
        agenda=d.agenda(
            ("deployment", "key", f"部署{d.year}年网格化环境监管重点工作", None),
            ("briefing", "hot", "通报上年度环境信访投诉办理情况", None),
            ("assessment", "key", "通报上年度网格化环境监管考核结果", None),
        ),
    )
    d.attend(m, absent={police: "参加市局专项行动部署会"}, delegate={shichang: "王某（演示）"})
    decisions["dust"] = d.decide(
        m, "开展建筑工地扬尘专项整治，落实“六个百分之百”措施并建立台账。", [zhujian], d.day(4, 30)
    )
    decisions["merged"] = d.decide(
        m, "对餐饮油烟和露天烧烤开展联合整治。", [chengguan, shichang], d.day(6, 30)
    )
    decisions["river"] = d.decide(
        m, "完成辖区河道沿线排污口排查，建立“一口一档”。", [batiandi], d.day(12, 20)
    )
    d.minutes(
        m,
        "会议听取了领导小组办公室关于上年度工作情况的汇报，部署了本年度重点工作。\n"
        "会议要求各成员单位按照职责分工抓好落实，定期向领导小组办公室汇报进展。",
        issue=True,
    )
    meetings["first"] = m

    # 2. May: convened by the office director under the leader's recorded delegation.
    delegation = ctx.objects.get("delegation")
    covered = (
        delegation is not None and delegation.valid_from <= d.day(5, 20) <= delegation.valid_to
    )
    convener = director if covered and director is not None else leader
    m = services.meeting_schedule(
        actor=d.office_user,
        leading_group=d.group,
        convener=convener,
        title=f"{d.year}年第二次网格化环境监管联席会议（演示）",
        starts_at=_at(d.day(5, 20), 9, 30),
        place="区生态环境局二楼会议室",
        agenda=d.agenda(
            ("scheduling", "difficult", "调度重点流域水质达标工作", grids.get("水利局")),
            ("coordination", "hot", "协调工业园区异味投诉处置", grids.get("工业园区")),
            ("supervision", "key", "督办第一次会议决定事项落实情况", decisions["dust"]),
        ),
    )
    d.attend(m, absent={}, delegate={nongye: "李某（演示）"})
    decisions["water"] = d.decide(
        m, "制定重点河段水质提升方案并组织实施。", [shuili], d.day(12, 31)
    )
    decisions["odour"] = d.decide(
        m, "查明园区异味来源，督促相关企业完成治理设施升级。", [dongfeng], d.day(8, 31)
    )
    decisions["park"] = d.decide(m, "建立园区企业环境管理“一企一档”。", [park], d.day(12, 15))
    d.minutes(m, "会议调度了流域水质达标工作，协调了园区异味投诉处置。", issue=True)
    meetings["second"] = m

    # 3. July: scheduled, then cancelled (with its reason).
    m = services.meeting_schedule(
        actor=d.office_user,
        leading_group=d.group,
        convener=leader,
        title="汛期环境安全隐患排查专题会（演示）",
        starts_at=_at(d.day(7, 8), 14, 30),
        place="区政府三楼第一会议室",
        agenda=d.agenda(("deployment", "difficult", "部署汛期环境安全隐患排查", None)),
    )
    services.meeting_cancel(
        actor=d.office_user, meeting=m, reason="与市防汛调度会冲突，相关事项并入第三次会议"
    )
    meetings["cancelled"] = m

    # 4. September: minutes issued; the earlier overdue decision is on the agenda.
    m = services.meeting_schedule(
        actor=d.office_user,
        leading_group=d.group,
        convener=ctx.persons.get("deputy") or leader,
        title=f"{d.year}年第三次网格化环境监管联席会议（演示）",
        starts_at=_at(d.day(9, 24), 15),
        place="区政府三楼第一会议室",
        agenda=d.agenda(
            ("supervision", "hot", "督办园区异味治理决定事项", decisions["odour"]),
            ("coordination", "difficult", "协调行政执法与刑事司法衔接案件办理", None),
        ),
    )
    d.attend(m, absent={nongye: "参加省农业农村厅培训"}, delegate={})
    decisions["criminal"] = d.decide(
        m,
        "对涉嫌环境犯罪线索建立联席会商机制，一个月内完成首批线索核查。",
        [police],
        d.day(10, 31),
        links=_case_objects(ctx),
    )
    decisions["outlets"] = d.decide(
        m, "完成辖区雨污混接点位整改。", [jianshe, xinxing], d.day(11, 20)
    )
    d.minutes(m, "会议督办了园区异味治理，协调了行刑衔接案件办理。", issue=True)
    meetings["third"] = m

    # 5. October, M7: three member units meet among themselves about one river.
    convener_person = ctx.persons.get("水利局.staff")
    if convener_person is not None and convener_person.user_id:
        m = services.meeting_schedule(
            actor=convener_person.user,
            leading_group=d.group,
            scope=MeetingScope.MEMBERS,
            convener=convener_person,
            participant_units=[shuili, batiandi, nongye],
            title="大辽河支流联合整治碰头会（成员单位，演示）",
            starts_at=_at(d.day(10, 15), 10),
            place="区水利局会议室",
            agenda=d.agenda(("coordination", "key", "协调支流沿线农业面源污染整治分工", None)),
        )
        d.attend(m, absent={}, delegate={}, actor=convener_person.user)
        decisions["tributary"] = d.decide(
            m,
            "八田地街道牵头完成支流沿线畜禽养殖户排查。",
            [batiandi],
            d.day(12, 10),
            actor=convener_person.user,
        )
        d.minutes(m, "三家单位商定了支流整治分工。", issue=True, actor=convener_person.user)
        meetings["members"] = m

    # 6. November: held, minutes still in draft.
    m = services.meeting_schedule(
        actor=d.office_user,
        leading_group=d.group,
        convener=leader,
        title=f"{d.year}年第四次网格化环境监管联席会议（演示）",
        starts_at=_at(d.day(11, 18), 9),
        place="区政府三楼第一会议室",
        agenda=d.agenda(
            ("scheduling", "key", "调度秋冬季大气污染防治攻坚", None),
            ("assessment", "key", "研究年度考核工作安排", None),
        ),
    )
    d.attend(m, absent={xinxing: "街道主要负责人参加区人大会议"}, delegate={})
    decisions["winter"] = d.decide(
        m, "落实秋冬季散煤治理和禁烧巡查。", [nongye, batiandi], d.day(12, 31)
    )
    services.meeting_minutes_save(
        actor=d.office_user, meeting=m, minutes="（纪要草稿）会议调度了秋冬季大气污染防治攻坚工作。"
    )
    meetings["fourth"] = m

    # 7. December: upcoming.
    upcoming = max(d.day(12, 10), timezone.localdate() + dt.timedelta(days=7))
    meetings["upcoming"] = services.meeting_schedule(
        actor=d.office_user,
        leading_group=d.group,
        convener=leader,
        title=f"{d.year}年第五次网格化环境监管联席会议（演示）",
        starts_at=_at(upcoming, 15),
        place="区政府三楼第一会议室",
        agenda=d.agenda(("briefing", "hot", "通报年度决定事项落实情况", None)),
    )

    # Implementation: every state a decision can be in.
    d.report(decisions["dust"], zhujian, "已检查在建工地36处，整改完毕", done=True)
    services.decision_close(
        actor=d.office_user, decision=decisions["dust"], note="抽查5处，属实（逾期完成）"
    )
    services.decision_withdraw(
        actor=d.office_user, decision=decisions["merged"], reason="该事项已纳入市级专项行动统一组织"
    )
    d.report(decisions["river"], batiandi, "已排查排污口42个，建档31个")
    d.report(decisions["water"], shuili, "水质提升方案已印发，工程全部完工", done=True)
    d.report(decisions["park"], park, "42家企业全部建档", done=True)
    services.decision_close(actor=d.office_user, decision=decisions["park"], note="资料齐全")
    d.report(decisions["outlets"], jianshe, "混接点位12处全部整改", done=True)
    d.report(decisions["winter"], nongye, "已组织禁烧巡查3轮")

    # Overdue decisions get their supervision notice now (the sweep would do the same,
    # once per overdue obligation; it finds these already issued).
    now = timezone.now()
    issued = 0
    for decision in Decision.objects.filter(
        meeting__in=meetings.values(), status=DecisionStatus.OPEN
    ):
        for owner in decision.owners.select_related("obligation", "unit"):
            ob = owner.obligation
            if ob is not None and owner.reported_done_at is None and ob.due_at < now:
                try:
                    if services.decision_supervise(decision=decision, obligation=ob):
                        issued += 1
                except ApplicationError as exc:
                    ctx.log(f"meetings: supervision skipped: {exc.message}")
    # The police answer theirs with a progress report (the notice is then "responded").
    if "criminal" in decisions:
        d.report(
            decisions["criminal"], police, "已核查线索5条，2条移送公安立案侦查，其余3条继续核查"
        )

    _task_reports(ctx, d)
    ctx.objects["meetings"] = meetings
    ctx.objects["decisions"] = decisions
    ctx.log(
        f"meetings: {len(meetings)} meetings, {len(decisions)} decisions, "
        f"{issued} supervision notices"
    )


def _task_reports(ctx: DemoContext, d: _Demo) -> None:
    """Monthly task reports since September: some on time, some late, some missing."""
    from .models import TaskReport

    today = timezone.localdate()
    start = dt.date(today.year, max(1, today.month - 2), 1)
    schedule = services.task_report_schedule_create(
        actor=d.office_user,
        leading_group=d.group,
        title="成员单位环保任务完成情况月报（演示）",
        interval="monthly",
        starts_on=start,
        due_workdays=5,
        now=_at(start + dt.timedelta(days=14), 9),
    )
    month = start
    while True:
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        if month > today:
            break
        services.task_reports_generate(
            schedule=schedule, now=_at(min(month + dt.timedelta(days=14), today), 9)
        )
    services.task_reports_generate(schedule=schedule)
    reports = list(
        TaskReport.objects.filter(schedule=schedule)
        .select_related("unit")
        .order_by("period_start", "unit__code")
    )
    for i, report in enumerate(reports):
        if i % 3 == 2:  # every third one is missing
            continue
        user = d.staff(report.unit)
        if user is None:
            continue
        try:
            services.task_report_submit(
                actor=user,
                report=report,
                content=f"{report.period_start:%Y年%m月}：按计划完成网格巡查和问题整改（演示）。",
            )
        except ApplicationError as exc:
            ctx.log(f"meetings: task report skipped: {exc.message}")
