"""Synthetic demo, entity part (order 30): about 500 supervised entities at random
points inside the district, with valid synthetic unified social credit codes. Every
name, address and code is invented; a fifth of the points were "entered" in GCJ-02 to
show the conversion.

What later demo steps can rely on: ctx.objects["entities"] — the entities, in creation
order; ctx.objects["key_entities"] — those in the category 重点排污单位.
"""

from __future__ import annotations

import numpy as np

from envgrid.core.demo import DemoContext, demo_step
from envgrid.grids.coords import gcj02_to_wgs84, wgs84_to_gcj02
from envgrid.grids.selectors import grid_resolve_many
from envgrid.grids.synthetic import random_points_inside, zhanqian_outline

from .models import EntityCategory, EntityStatus
from .services import import_write
from .uscc import uscc_generate

N_ENTITIES = 500
_PREFIX = "恒 宏 鑫 盛 华 瑞 泰 博 远 辰 海 港 辽 营 渤 滨 兴 隆 昌 达".split()
_MIDDLE = "源 通 创 嘉 威 信 德 丰 锦 誉 联 诚 科 力 金 石 城 阳 安 汇".split()
_INDUSTRIES = [
    ("化工", "化学原料和化学制品制造业"),
    ("机械", "通用设备制造业"),
    ("金属制品", "金属制品业"),
    ("建材", "非金属矿物制品业"),
    ("食品", "农副食品加工业"),
    ("印刷", "印刷和记录媒介复制业"),
    ("汽修", "机动车维修"),
    ("餐饮", "餐饮业"),
    ("物流", "道路货物运输"),
    ("医疗", "卫生"),
    ("建筑", "房屋建筑业"),
    ("热力", "热力生产和供应"),
]
_ROADS = "站前 渤海 新华 东风 建设 跃进 胜利 纬华 盼盼 金牛山 八田 清华 民主 和平".split()
_CATEGORIES = [
    (EntityCategory.KEY_DISCHARGER, 0.12),
    (EntityCategory.GENERAL, 0.48),
    (EntityCategory.REGISTERED, 0.30),
    (EntityCategory.SITE, 0.10),
]
_STATUSES = [
    (EntityStatus.OPERATING, 0.86),
    (EntityStatus.SUSPENDED, 0.09),
    (EntityStatus.CLOSED, 0.05),
]


def _pick(rng, weighted):
    r = rng.random()
    acc = 0.0
    for value, w in weighted:
        acc += w
        if r < acc:
            return value
    return weighted[-1][0]


@demo_step(30)
def entities(ctx: DemoContext) -> None:
    admin = ctx.users.get("admin")
    rng = ctx.rng
    outline = zhanqian_outline()
    pts = random_points_inside(outline, N_ENTITIES, np.random.default_rng(ctx.seed + 30), 0.0005)
    grid_ids = grid_resolve_many(pts[:, 0], pts[:, 1])
    used_names: set[str] = set()
    rows = []
    for i, ((lon, lat), gid) in enumerate(zip(pts.tolist(), grid_ids.tolist(), strict=True)):
        if gid < 0:
            continue
        short, industry = rng.choice(_INDUSTRIES)
        category = _pick(rng, _CATEGORIES)
        while True:
            core = rng.choice(_PREFIX) + rng.choice(_MIDDLE)
            name = (
                f"营口{core}{short}工地项目部"
                if category == EntityCategory.SITE
                else f"营口{core}{short}有限公司"
            )
            if name not in used_names:
                used_names.add(name)
                break
        row = {
            "name": name,
            "uscc": uscc_generate(rng),
            "address": f"站前区{rng.choice(_ROADS)}路{rng.randint(1, 400)}号（合成）",
            "lon": lon,
            "lat": lat,
            "input_crs": "wgs84",
            "input_lon": lon,
            "input_lat": lat,
            "category": category,
            "industry": industry,
            "status": _pick(rng, _STATUSES),
            "grid_id": gid,
        }
        if i % 5 == 0:  # entered from a phone map in GCJ-02, converted on the way in
            glon, glat = wgs84_to_gcj02(lon, lat)
            wlon, wlat = gcj02_to_wgs84(glon, glat)
            row.update(input_crs="gcj02", input_lon=glon, input_lat=glat, lon=wlon, lat=wlat)
        rows.append(row)
    created = import_write(actor=admin, rows=rows)
    ctx.objects["entities"] = created
    ctx.objects["key_entities"] = [
        e for e in created if e.category == EntityCategory.KEY_DISCHARGER
    ]
    ctx.log(f"entities: {len(created)} synthetic supervised entities")
