"""Synthetic demo, grid part (order 20): the real outline of 站前区 (level 2), eight
synthetic level-3 grids (seven sub-district offices and the industrial park) and about
sixty synthetic level-4 community grids, a named roster with a few deliberate gaps, one
major boundary adjustment and one change of grid head, so every page has history.

What later demo steps can rely on:

ctx.objects["grids"] — Grid by code; ctx.objects["district_grid"] — the level-2 root;
ctx.objects["grid_by_unit"] — the lowest grid owned by each unit key of ctx.units
    (sub-district / park keys → their level-3 grid; "社区:<name>" → the community grid);
ctx.objects["community_grids"] — the level-4 grids, in code order;
ctx.units["社区:<name>"] — the community residents' committees that own level-4 grids;
ctx.persons["grid:<code>.head"/".staff1"/...] — the roster people created here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.utils.translation import gettext_noop

from envgrid.core.demo import DemoContext, demo_step
from envgrid.org.models import PersonRole, UnitKind
from envgrid.org.services import person_create, unit_create

from .geo import to_geojson
from .models import Grid, GridRole
from .services import grid_assign, grid_import_geojson, grid_update
from .synthetic import voronoi_split, zhanqian_outline

DISTRICT_CODE = "210802"
# (unit key of the org demo, grid name, number of communities)
LEVEL3 = [
    ("八田地街道", "八田地街道", 8),
    ("建设街道", "建设街道", 8),
    ("东风街道", "东风街道", 7),
    ("新兴街道", "新兴街道", 7),
    ("跃进街道", "跃进街道", 8),
    ("胜利街道", "胜利街道", 7),
    ("纬华街道", "纬华街道", 8),
    ("工业园区", "站前工业园区", 7),
]
_COMMUNITY_WORDS = (
    "和平 光明 新华 红旗 友谊 幸福 向阳 育才 民主 团结 繁荣 永安 兴隆 长青 春和 金桥 惠民 "
    "文化 青年 东升 西山 南湖 北苑 中心 站东 站西 花园 滨河 锦绣 福康 安居 康宁 祥和 丰收 "
    "振兴 朝阳 明珠 翠园 绿洲 晨光 启明 新城 盛景 华苑 佳园 清泉 松涛 海韵 紫荆 丹桂 "
    "金源 银河 宏达 鑫苑 瑞丰 泰和 恒安 嘉禾 德润 怡景 芳草 碧水 秀峰 凤鸣 龙泉"
).split()
_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
_GIVEN = "安宁春晓冬梅秋菊夏荷立新志远思源若水嘉怡子涵浩然雨桐欣悦承泽景行"

DUTIES = {
    2: gettext_noop(
        "统筹全区网格化环境监管工作；组织二级网格联席会议；督办重点案件；"
        "组织年度考核；重大调整及时上报并公开。"
    ),
    3: gettext_noop(
        "负责辖区环境监管网格的日常运行；组织联合执法；受理和移送案件；"
        "按时报送信息；指导社区网格开展巡查。"
    ),
    4: gettext_noop(
        "开展日常巡查，发现环境问题及时上报；登记辖区监管对象；"
        "配合上级网格联合执法；收集群众反映的环境问题。"
    ),
}
STAFF_DUTIES = gettext_noop("负责本网格日常巡查、问题发现与上报、监管对象信息更新。")
SUPERVISOR_DUTIES = gettext_noop("负责本网格监管对象的现场检查和执法衔接。")


class _Names:
    def __init__(self, rng: Any) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self) -> str:
        while True:
            name = self.rng.choice(_SURNAMES) + "".join(
                self.rng.sample(_GIVEN, self.rng.choice((1, 2)))
            )
            if name not in self.used:
                self.used.add(name)
                return name


def _ensure_unit(ctx: DemoContext, key: str, admin: Any, **kw: Any) -> Any:
    """Use the org step's unit when it is there; create it otherwise (so this step also
    runs alone)."""
    if key not in ctx.units:
        ctx.units[key] = unit_create(actor=admin, short_name=key.split(":")[-1], **kw)
    return ctx.units[key]


def _feature(code: str, name: str, level: int, parent: str | None, owner: Any, geom: Any) -> dict:
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "name": name,
            "level": level,
            "parent": parent,
            "owner": owner.code,
        },
        "geometry": to_geojson(geom),
    }


@demo_step(20)
def grids(ctx: DemoContext) -> None:
    """The grid tree inside the real 站前区 outline, its roster and a little history."""
    from django.contrib.auth import get_user_model

    admin = ctx.users.get("admin") or get_user_model().objects.filter(is_superuser=True).first()
    rng = np.random.default_rng(ctx.seed)
    names = _Names(ctx.rng)
    phones = iter(range(1, 10_000))

    government = _ensure_unit(
        ctx, "区政府", admin, code="ZQ-ZF", name="区人民政府", kind=UnitKind.GOVERNMENT
    )
    bureau = _ensure_unit(
        ctx, "生态环境局", admin, code="ZQ-SHJ", name="区生态环境局", kind=UnitKind.BUREAU
    )
    outline = zhanqian_outline()
    features = [_feature(DISTRICT_CODE, "站前区", 2, None, government, outline)]
    street_cells = voronoi_split(outline, len(LEVEL3), rng)
    if len(street_cells) != len(LEVEL3):  # a concave outline can swallow a seed: retry
        street_cells = voronoi_split(outline, len(LEVEL3), np.random.default_rng(ctx.seed + 1))
    words = iter(_COMMUNITY_WORDS)
    community_units: dict[str, Any] = {}
    for i, ((key, gname, n_comm), cell) in enumerate(zip(LEVEL3, street_cells, strict=False), 1):
        kind = UnitKind.PARK if key == "工业园区" else UnitKind.SUBDISTRICT
        owner = _ensure_unit(ctx, key, admin, code=f"ZQ-L3-{i}", name=f"{gname}办事处", kind=kind)
        code3 = f"{DISTRICT_CODE}{i:03d}"
        features.append(_feature(code3, gname, 3, DISTRICT_CODE, owner, cell))
        for j, sub in enumerate(voronoi_split(cell, n_comm, rng), 1):
            word = next(words)
            cname = f"{word}社区" if kind == UnitKind.SUBDISTRICT else f"园区{word}片区"
            ukey = f"社区:{cname}"
            unit = _ensure_unit(
                ctx,
                ukey,
                admin,
                code=f"ZQ-SQ-{i}{j:02d}",
                name=f"{cname}居民委员会" if kind == UnitKind.SUBDISTRICT else f"{cname}管理办公室",
                kind=UnitKind.COMMUNITY,
                parent=owner,
            )
            community_units[f"{code3}{j:03d}"] = ukey
            features.append(_feature(f"{code3}{j:03d}", cname, 4, code3, unit, sub))

    grid_import_geojson(
        actor=admin,
        data={"type": "FeatureCollection", "features": features},
        leading_group=ctx.objects.get("leading_group"),
    )
    by_code = {g.code: g for g in Grid.objects.select_related("owner_unit")}
    ctx.objects["grids"] = by_code
    ctx.objects["district_grid"] = by_code[DISTRICT_CODE]
    communities = sorted((g for g in by_code.values() if g.level == 4), key=lambda g: g.code)
    ctx.objects["community_grids"] = communities
    grid_by_unit: dict[str, Grid] = {}
    for i, (key, _n, _c) in enumerate(LEVEL3, 1):
        grid_by_unit[key] = by_code[f"{DISTRICT_CODE}{i:03d}"]
    for code, ukey in community_units.items():
        if code in by_code:
            grid_by_unit[ukey] = by_code[code]
    ctx.objects["grid_by_unit"] = grid_by_unit

    def person(key: str, unit: Any, title: str, role: str = PersonRole.GRID) -> Any:
        if key not in ctx.persons:
            ctx.persons[key] = person_create(
                actor=admin,
                name=names(),
                unit=unit,
                title=title,
                role=role,
                phone=f"0417-0009{next(phones):03d}",
            )
        return ctx.persons[key]

    supervisors = [
        ctx.persons.get("生态环境局.officer1")
        or person("sup:1", bureau, "监管员", PersonRole.UNIT),
        ctx.persons.get("生态环境局.officer2")
        or person("sup:2", bureau, "监管员", PersonRole.UNIT),
    ] + [person(f"sup:{k}", bureau, "环境监管员", PersonRole.UNIT) for k in range(3, 9)]

    # Deliberate gaps (G2 shows them): no grid head in three communities, too few staff
    # in two, no supervisor in one, and one sub-district without written duties.
    no_head = {communities[k].code for k in (3, 17, 41) if k < len(communities)}
    short_staff = {communities[k].code for k in (8, 29) if k < len(communities)}
    no_supervisor = {communities[k].code for k in (22,) if k < len(communities)}
    no_duties = {f"{DISTRICT_CODE}007"}

    for g in sorted(by_code.values(), key=lambda g: g.code):
        unit = g.owner_unit
        key = f"grid:{g.code}"
        if g.code not in no_duties:
            grid_update(actor=admin, grid=g, duties=str(DUTIES.get(g.level, DUTIES[4])))
        if g.level == 2:
            leader = ctx.persons.get("leader") or person(f"{key}.leader", unit, "区长")
            head = ctx.persons.get("deputy") or person(f"{key}.head", unit, "副区长")
            staff = [ctx.persons.get("office") or person(f"{key}.staff1", bureau, "网格员")]
            staff.append(ctx.persons.get("office2") or person(f"{key}.staff2", bureau, "网格员"))
        elif g.level == 3:
            ukey = next(k for k, v in grid_by_unit.items() if v.pk == g.pk)
            leader = ctx.persons.get(f"{ukey}.head") or person(f"{key}.leader", unit, "主任")
            head = person(f"{key}.head", unit, "副主任、网格长")
            staff = [
                ctx.persons.get(f"{ukey}.grid{i}") or person(f"{key}.staff{i}", unit, "网格员")
                for i in (1, 2)
            ]
        else:
            leader = person(f"{key}.leader", unit, "社区党委书记、主任", PersonRole.UNIT)
            head = person(f"{key}.head", unit, "网格长")
            n_staff = 1 if g.code in short_staff else 2
            staff = [person(f"{key}.staff{i}", unit, "网格员") for i in range(1, n_staff + 1)]
        grid_assign(actor=admin, grid=g, role=GridRole.LEADER, person=leader)
        if g.code not in no_head:
            grid_assign(actor=admin, grid=g, role=GridRole.HEAD, person=head)
        for p in staff:
            grid_assign(actor=admin, grid=g, role=GridRole.STAFF, person=p, duties=STAFF_DUTIES)
        if g.code not in no_supervisor:
            grid_assign(
                actor=admin,
                grid=g,
                role=GridRole.SUPERVISOR,
                person=supervisors[int(g.pk) % len(supervisors)],
                duties=SUPERVISOR_DUTIES,
            )

    _history_examples(ctx, admin, communities, names)
    ctx.log(
        f"grids: {len(by_code)} grids (1 district, {len(street_cells)} level 3, "
        f"{len(communities)} communities), roster with deliberate gaps"
    )


def _history_examples(ctx: DemoContext, admin: Any, communities: list[Grid], names: Any) -> None:
    """One major boundary adjustment between two neighbouring communities and one change
    of grid head, so the history pages have something to show."""
    from shapely.geometry import shape

    from .models import Grid as GridModel

    pair = None
    for a in communities:
        ga = shape(a.boundary)
        for b in communities:
            if b.parent_id == a.parent_id and b.code > a.code:
                gb = shape(b.boundary)
                shared = ga.intersection(gb)
                if shared.length > 0.004:
                    pair = (a, b, ga, gb, shared)
                    break
        if pair:
            break
    if pair is not None:
        a, b, ga, gb, shared = pair
        centre = shared.interpolate(0.5, normalized=True)
        disc = centre.buffer(0.0015)
        new_a = ga.union(gb.intersection(disc))
        new_b = gb.difference(disc)
        if new_a.geom_type in ("Polygon", "MultiPolygon") and new_b.geom_type in (
            "Polygon",
            "MultiPolygon",
        ):
            fc = {
                "type": "FeatureCollection",
                "features": [
                    _feature(
                        a.code, a.name, 4, a.parent.code if a.parent else None, a.owner_unit, new_a
                    ),
                    _feature(
                        b.code, b.name, 4, b.parent.code if b.parent else None, b.owner_unit, new_b
                    ),
                ],
            }
            grid_import_geojson(
                actor=admin,
                data=fc,
                major=True,
                summary=f"{b.name}与{a.name}交界处小区划归{a.name}管理（演示）",
            )
    target = communities[5] if len(communities) > 5 else None
    if target is not None:
        target = GridModel.objects.get(pk=target.pk)
        newcomer = person_create(
            actor=admin,
            name=names(),
            unit=target.owner_unit,
            title="网格长",
            role=PersonRole.GRID,
            phone="0417-00099999",
        )
        grid_assign(actor=admin, grid=target, role=GridRole.HEAD, person=newcomer)
