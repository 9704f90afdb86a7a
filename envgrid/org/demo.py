"""Synthetic demo district, organisation part: units, people, the leading group, logins.

Everything here is invented (合成数据): names are drawn at random from common characters,
phone numbers use the unassigned 0417-000x range, certificate numbers carry the prefix
"演示". No real person's data.

What later demo steps can rely on (all keys are stable):

ctx.units — Unit by its short name (== Unit.short_name):
    "生态环境局" (office unit of the leading group), "区政府", "住建局", "城管局", "水利局",
    "农业农村局", "市场监管局", "自然资源局", "八田地街道", "建设街道", "东风街道",
    "新兴街道", "跃进街道", "胜利街道", "纬华街道", "工业园区", "公安分局" (police),
    "纪委监委" (discipline inspection), "法院" (judicial), "检察院" (procuratorate).
    All twenty are member units of the group.
ctx.persons — Person by key:
    "leader" (组长, 区政府), "deputy" and "deputy2" (副组长: 区政府 deputy head and the
    生态环境局 director), "director" (领导小组办公室主任), "office" and "office2" (office staff);
    per unit key K: "K.head" (principal administrative leader, no login), "K.staff"
    (unit staff with a login; information officer of the unit except 纬华街道, left as a
    visible gap); for enforcement units "K.officer1", "K.officer2" (certificate holders;
    "城管局.officer2" and "水利局.officer1" have expired certificates, "住建局.officer2" has
    none, "农业农村局.officer1" expires within 30 days; every certificate holder has passed
    training and an assessment in the last 12 months except "住建局.officer1", who has
    12 hours and no assessment: below the E5 proficiency minimum); for sub-districts and the park
    "K.grid1", "K.grid2" (grid staff; "八田地街道.grid1" has the login "grid").
ctx.users — User by username (all share DEMO_PASSWORD): "admin" (administrator),
    "director", "office", "leader", "deputy", "unit" (住建局 staff), "grid" (八田地街道 grid
    staff), and one staff login per other unit (see UNITS: "chengguan", "batiandi", ...).
ctx.objects["leading_group"] — the district's LeadingGroup (its parent: the city group);
ctx.objects["city_group"] — a synthetic city-level LeadingGroup above the district's, with
    its own office (（演示）市生态环境局) and members; logins "city_leader", "city_director"
    (its office) and "city_staff" (a city member unit), in ctx.persons under the same keys;
ctx.objects["city_units"] — its units by short name (市政府, 市生态环境局, 市住建局);
ctx.objects["delegation"] — the leader's delegation to the office director to convene meetings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.translation import gettext_noop

from envgrid.core.demo import DemoContext, demo_step

from .models import Person, PersonRole, UnitKind
from .services import (
    delegation_create,
    leading_group_create,
    person_create,
    training_record_create,
    unit_create,
    unit_update,
)

DEMO_PASSWORD = "envgrid-demo-2026"  # noqa: S105 — published in the README, demo only
# The site banner (config.settings) uses this msgid; it is listed here so the org catalogue
# carries its English translation.
SYNTHETIC_NOTE = gettext_noop("演示数据均为合成数据，不涉及真实人员")

# (key, full name, kind, staff username, code, doc prefix, has enforcement officers)
UNITS: list[tuple[str, str, str, str, str, str, bool]] = [
    ("生态环境局", "区生态环境局", UnitKind.BUREAU, "", "ZQ-SHJ", "站环", True),
    ("区政府", "区人民政府", UnitKind.GOVERNMENT, "zhengfu", "ZQ-ZF", "站政", False),
    ("住建局", "区住房和城乡建设局", UnitKind.BUREAU, "unit", "ZQ-ZJJ", "站建", True),
    ("城管局", "区城市管理综合执法局", UnitKind.BUREAU, "chengguan", "ZQ-CGJ", "站城管", True),
    ("水利局", "区水利局", UnitKind.BUREAU, "shuili", "ZQ-SLJ", "站水", True),
    ("农业农村局", "区农业农村局", UnitKind.BUREAU, "nongye", "ZQ-NYJ", "站农", True),
    ("市场监管局", "区市场监督管理局", UnitKind.BUREAU, "shichang", "ZQ-SCJ", "站市监", True),
    ("自然资源局", "区自然资源局", UnitKind.BUREAU, "ziran", "ZQ-ZRJ", "站自然", True),
    ("八田地街道", "八田地街道办事处", UnitKind.SUBDISTRICT, "batiandi", "ZQ-BTD", "八街", False),
    ("建设街道", "建设街道办事处", UnitKind.SUBDISTRICT, "jianshe", "ZQ-JS", "建街", False),
    ("东风街道", "东风街道办事处", UnitKind.SUBDISTRICT, "dongfeng", "ZQ-DF", "东街", False),
    ("新兴街道", "新兴街道办事处", UnitKind.SUBDISTRICT, "xinxing", "ZQ-XX", "新街", False),
    ("跃进街道", "跃进街道办事处", UnitKind.SUBDISTRICT, "yuejin", "ZQ-YJ", "跃街", False),
    ("胜利街道", "胜利街道办事处", UnitKind.SUBDISTRICT, "shengli", "ZQ-SL", "胜街", False),
    ("纬华街道", "纬华街道办事处", UnitKind.SUBDISTRICT, "weihua", "ZQ-WH", "纬街", False),
    ("工业园区", "站前工业园区管理委员会", UnitKind.PARK, "yuanqu", "ZQ-YQ", "站园", False),
    ("公安分局", "区公安分局", UnitKind.POLICE, "gongan", "ZQ-GA", "站公", True),
    ("纪委监委", "区纪委监委", UnitKind.DISCIPLINE, "jiwei", "ZQ-JW", "站纪", False),
    ("法院", "区人民法院", UnitKind.JUDICIAL, "fayuan", "ZQ-FY", "站法", False),
    ("检察院", "区人民检察院", UnitKind.PROCURATORATE, "jianchayuan", "ZQ-JCY", "站检", False),
]

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰建国志红文斌宁凯鹏飞雪梅海波晨阳"


class _Names:
    """Synthetic two- or three-character names, never repeated within one demo."""

    def __init__(self, ctx: DemoContext) -> None:
        self.rng = ctx.rng
        self.used: set[str] = set()

    def __call__(self) -> str:
        while True:
            given = "".join(self.rng.sample(_GIVEN, self.rng.choice((1, 2, 2))))
            name = self.rng.choice(_SURNAMES) + given
            if name not in self.used:
                self.used.add(name)
                return name


def _phone(n: int) -> str:
    return f"0417-000{n:04d}"


def _training(admin: Any, officer: Person, *, below_minimum: bool) -> None:
    """Synthetic proficiency records (E5): a course and an assessment in the last year."""
    today = timezone.localdate()
    if below_minimum:
        records = [("training", "环境执法基础知识培训（演示）", 12, 200)]
    else:
        records = [
            ("training", "生态环境执法业务培训（演示）", 32, 90),
            ("assessment", "年度执法业务考核（演示）", 8, 60),
        ]
    for kind, course, hours, days_ago in records:
        training_record_create(
            actor=admin,
            person=officer,
            kind=kind,
            course=course,
            hours=hours,
            held_on=today - dt.timedelta(days=days_ago),
            result="passed",
            note="合成数据",
        )


@demo_step(5)
def calendar_placeholder_year(ctx: DemoContext) -> None:
    """Deadlines near the year's end run into next year. When the packaged State Council
    calendar does not know it yet, the demo records a placeholder year (weekdays work,
    no holidays), marked as such, so the demo can compute deadlines; an administrator
    replaces it with the real notice (Django admin → 工作日历年度, or /api/calendar/years/)."""
    from envgrid.core.calendar import WorkCalendar
    from envgrid.core.models import CalendarYear

    next_year = timezone.localdate().year + 1
    if next_year in WorkCalendar().known_years():
        return
    year = CalendarYear.objects.create(
        year=next_year,
        notice_ref="（演示占位，非国务院通知）",
        official=False,
        note="合成演示数据：仅按周一至周五工作计算，未含法定节假日与调休；"
        "正式使用前请管理员按国务院办公厅通知录入。",
    )
    ctx.objects["calendar_placeholder_year"] = year
    ctx.log(f"calendar: placeholder year {next_year} (no State Council notice in the package)")


def _user(ctx: DemoContext, username: str, *, superuser: bool = False) -> Any:
    # Hash the shared password once: one PBKDF2 run per login would dominate the demo's time.
    hashed = ctx.objects.get("_demo_password_hash")
    if hashed is None:
        hashed = ctx.objects["_demo_password_hash"] = make_password(DEMO_PASSWORD)
    user = get_user_model().objects.create(
        username=username,
        email=f"{username}@demo.invalid",
        password=hashed,
        is_staff=superuser,
        is_superuser=superuser,
    )
    ctx.users[username] = user
    return user


@demo_step(10)
def organisations(ctx: DemoContext) -> None:
    """The leading group, its twenty member units, their people and one login per role."""
    admin = _user(ctx, "admin", superuser=True)
    names = _Names(ctx)
    today = timezone.localdate()
    serial = iter(range(1, 10_000))

    def person(
        key: str, unit_key: str, *, title: str, role: str = PersonRole.UNIT, **kw: Any
    ) -> Person:
        n = next(serial)
        p = person_create(
            actor=admin,
            name=names(),
            unit=ctx.units[unit_key],
            title=title,
            role=role,
            phone=_phone(n),
            **kw,
        )
        ctx.persons[key] = p
        return p

    def certificate(n: int, valid_from: dt.date, valid_to: dt.date) -> dict[str, Any]:
        return {
            "cert_number": f"演示执{n:06d}",
            "cert_valid_from": valid_from,
            "cert_valid_to": valid_to,
        }

    for key, name, kind, _username, code, prefix, _officers in UNITS:
        ctx.units[key] = unit_create(
            actor=admin, code=code, name=name, short_name=key, kind=kind, doc_prefix=prefix
        )

    # The group's leadership: the district head leads; a deputy district head and the
    # ecology bureau's director are deputies; the bureau runs the office.
    person("leader", "区政府", title="区长", role=PersonRole.LEADER, user=_user(ctx, "leader"))
    person("deputy", "区政府", title="副区长", role=PersonRole.LEADER, user=_user(ctx, "deputy"))
    person("deputy2", "生态环境局", title="局长", role=PersonRole.LEADER)
    person(
        "director",
        "生态环境局",
        title="副局长、领导小组办公室主任",
        role=PersonRole.OFFICE,
        user=_user(ctx, "director"),
    )
    person(
        "office",
        "生态环境局",
        title="领导小组办公室科员",
        role=PersonRole.OFFICE,
        user=_user(ctx, "office"),
    )
    person("office2", "生态环境局", title="领导小组办公室科员", role=PersonRole.OFFICE)

    # Certificates that E5 checks must catch: two expired, one missing, one expiring soon.
    valid = (today - dt.timedelta(days=400), today + dt.timedelta(days=3 * 365))
    special: dict[str, tuple[dt.date, dt.date] | None] = {
        "城管局.officer2": (today - dt.timedelta(days=700), today - dt.timedelta(days=35)),
        "水利局.officer1": (today - dt.timedelta(days=1500), today - dt.timedelta(days=400)),
        "住建局.officer2": None,
        "农业农村局.officer1": (valid[0], today + dt.timedelta(days=20)),
    }
    for key, _name, kind, username, _code, _prefix, officers in UNITS:
        person(f"{key}.head", key, title="主要负责人")
        if username:
            staff = person(f"{key}.staff", key, title="综合科科员", user=_user(ctx, username))
            if key != "纬华街道":  # left empty on purpose: the UI shows it as a gap (I2)
                ctx.units[key] = unit_update(
                    actor=admin, unit=ctx.units[key], information_officer=staff
                )
        if officers:
            for i in (1, 2):
                okey = f"{key}.officer{i}"
                period = special.get(okey, valid)
                cert = certificate(next(serial), *period) if period is not None else {}
                officer = person(okey, key, title="执法人员", **cert)
                if cert:
                    _training(admin, officer, below_minimum=okey == "住建局.officer1")
        if kind in (UnitKind.SUBDISTRICT, UnitKind.PARK):
            for i in (1, 2):
                grid_user = _user(ctx, "grid") if key == "八田地街道" and i == 1 else None
                person(f"{key}.grid{i}", key, title="网格员", role=PersonRole.GRID, user=grid_user)
    ctx.units["生态环境局"] = unit_update(
        actor=admin, unit=ctx.units["生态环境局"], information_officer=ctx.persons["office"]
    )

    # Several leading groups (synthetic, marked 演示): a city-level group above the
    # district's, with its own office, leader and member units. Its office and leaders
    # see the district's records; the district sees nothing of the city's own.
    city = {}
    for key, name, kind, code, prefix in (
        ("市政府", "（演示）市人民政府", UnitKind.GOVERNMENT, "CITY-GOV", "市政"),
        ("市生态环境局", "（演示）市生态环境局", UnitKind.BUREAU, "CITY-EEB", "市环"),
        ("市住建局", "（演示）市住房和城乡建设局", UnitKind.BUREAU, "CITY-HUD", "市建"),
    ):
        city[key] = unit_create(
            actor=admin, code=code, name=name, short_name=key, kind=kind, doc_prefix=prefix
        )
    city_people = {}
    for key, unit_key, title, role in (
        ("city_leader", "市政府", "副市长（演示）", PersonRole.LEADER),
        ("city_director", "市生态环境局", "市领导小组办公室主任（演示）", PersonRole.OFFICE),
        ("city_staff", "市住建局", "市住建局工作人员（演示）", PersonRole.UNIT),
    ):
        city_people[key] = person_create(
            actor=admin,
            name=names(),
            unit=city[unit_key],
            title=title,
            role=role,
            phone=_phone(next(serial)),
            user=_user(ctx, key),
        )
        ctx.persons[key] = city_people[key]
    city_group = leading_group_create(
        actor=admin,
        name="（演示）市网格化环境监管工作领导小组",
        leader=city_people["city_leader"],
        office_unit=city["市生态环境局"],
        office_director=city_people["city_director"],
        doc_prefix="市网格",
        member_units=list(city.values()),
    )
    ctx.objects["city_group"] = city_group
    ctx.objects["city_units"] = city

    group = leading_group_create(
        actor=admin,
        parent=city_group,
        name="站前区网格化环境监管工作领导小组",
        leader=ctx.persons["leader"],
        office_unit=ctx.units["生态环境局"],
        office_director=ctx.persons["director"],
        doc_prefix="站网格",
        deputies=[ctx.persons["deputy"], ctx.persons["deputy2"]],
        member_units=list(ctx.units.values()),
    )
    ctx.objects["leading_group"] = group
    ctx.objects["delegation"] = delegation_create(
        actor=admin,
        leading_group=group,
        grantor=ctx.persons["leader"],
        grantee=ctx.persons["director"],
        purpose="召集领导小组联席会议（演示）",
        valid_from=today.replace(month=1, day=1),
        valid_to=today.replace(month=12, day=31),
        document_ref="站网格〔演示〕1号",
    )
    ctx.log(
        f"org: {len(ctx.units)} units, {len(ctx.persons)} people, "
        f"{len(ctx.users)} logins (password {DEMO_PASSWORD})"
    )
