"""Synthetic demo, case-transfer part (order 40): cases and transfers in every state —
registered, investigating, transferred and pending, accepted, returned, withdrawn, handled,
fed back on time and late, closed, withdrawn — each route (jurisdiction, detention,
discipline, criminal with a copy to the procuratorate, a proposal to the government),
overdue items for the T6 register, one open jurisdiction dispute and one designated.

Every case, name and file is invented (合成数据). Scenarios that happened "weeks ago" are
recorded with the clock set back, so their histories, deadlines and overdue items are
what the services computed then.

Builds on ctx from org (10), grids (20) and entities (30) when their keys are there
(ctx.persons["K.staff"], ctx.persons["office"], ctx.objects["grid_by_unit"],
ctx.objects["entities"]); a scenario whose units or people are missing is skipped.

What later steps can rely on: ctx.objects["cases"] — Case by scenario key;
ctx.objects["transfers"] — Transfer by scenario key; ctx.objects["disputes"].
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.core.files.base import ContentFile
from django.utils import timezone

from envgrid.core.demo import DemoContext, demo_step
from envgrid.core.errors import ApplicationError

from . import services as S
from .models import Case

_REAL_NOW = timezone.now


def _png(seed: int) -> bytes:
    """A tiny valid PNG, different per seed (so each photo has its own SHA-256)."""
    w = h = 8
    raw = b"".join(
        b"\x00" + bytes((seed * 37 + x * 13 + y * 7) % 256 for x in range(w * 3)) for y in range(h)
    )

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _pdf(text: str) -> bytes:
    body = f"BT /F1 12 Tf 40 780 Td ({text}) Tj ET".encode("ascii", "replace")
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>endobj\n"
        + f"4 0 obj<</Length {len(body)}>>stream\n".encode()
        + body
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


@contextmanager
def _clock(moment: dt.datetime) -> Iterator[None]:
    """Record a scenario as of `moment` (every service reads timezone.now())."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


class _Demo:
    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        now = timezone.localtime(_REAL_NOW())
        # Office hours: 09:30 today, or yesterday when that is not yet an hour ago.
        base = now.replace(hour=9, minute=30, second=0, microsecond=0)
        self.today = base if base <= now - dt.timedelta(hours=3) else base - dt.timedelta(days=1)
        self.cases: dict[str, Case] = {}
        self.transfers: dict[str, Any] = {}
        self.disputes: dict[str, Any] = {}
        self.seed = 0

    def ago(self, days: int, hours: float = 0) -> dt.datetime:
        return self.today - dt.timedelta(days=days) + dt.timedelta(hours=hours)

    def user(self, key: str) -> Any:
        person = self.ctx.persons.get(key)
        return getattr(person, "user", None) if person is not None else None

    def unit(self, key: str) -> Any:
        return self.ctx.units.get(key)

    def point(self, unit_key: str, k: int = 0) -> tuple[float, float, Any] | None:
        """A place inside the unit's grid: a supervised entity there if any, else a point
        inside one of its community grids."""
        grid = (self.ctx.objects.get("grid_by_unit") or {}).get(unit_key)
        if grid is None:
            return None
        inside = [
            e
            for e in self.ctx.objects.get("entities") or []
            if e.grid_id is not None and e.grid is not None and e.grid.path.startswith(grid.path)
        ]
        if inside:
            e = inside[k % len(inside)]
            return e.lon, e.lat, e
        from shapely.geometry import shape

        from envgrid.grids.models import Grid

        subs = list(Grid.objects.filter(path__startswith=grid.path).order_by("path"))
        target = subs[k % len(subs)]
        p = shape(target.boundary).representative_point()
        return p.x, p.y, None

    def evidence(self, n: int = 2) -> list[ContentFile]:
        files = []
        for i in range(n):
            self.seed += 1
            if i == 1:
                files.append(
                    ContentFile(
                        _pdf(f"synthetic record {self.seed}"),
                        name=f"现场检查笔录（演示）{self.seed}.pdf",
                    )
                )
            else:
                files.append(ContentFile(_png(self.seed), name=f"现场照片（演示）{self.seed}.png"))
        return files

    def case(
        self, key: str, who: str, where: str, at: dt.datetime, *, k: int = 0, **kw: Any
    ) -> Case | None:
        user = self.user(who)
        place = self.point(where, k)
        if user is None or place is None:
            self.ctx.log(f"cases: scenario {key} skipped (no {who} or no grid for {where})")
            return None
        lon, lat, entity = place
        data: dict[str, Any] = {
            "title": "企业涉嫌违法排放污染物（演示）",
            "source": "patrol",
            "address": getattr(entity, "address", "") or f"{where}辖区（演示地址）",
            "description": "网格巡查中发现排放口附近有明显异味，现场拍照取证。（合成数据）",
            "entity": entity,
            "entity_name": "" if entity is not None else "某某加工厂（演示）",
            "responsible_person": "演示责任人" + str(len(self.cases) + 1),
            "facts": "经现场检查，该单位未经处理直接排放生产废水，排放口水样明显浑浊并有刺激性气味。（合成数据）",
            "discovered_at": at - dt.timedelta(hours=1),
            "evidence_files": self.evidence(),
        }
        data.update(kw)
        with _clock(at):
            case = S.case_create(actor=user, lon=lon, lat=lat, **data)
        self.cases[key] = case
        return case

    def run(self, key: str, at: dt.datetime, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            with _clock(at):
                return fn(*args, **kw)
        except ApplicationError as exc:
            self.ctx.log(f"cases: scenario {key}: {exc.message}")
            return None


@demo_step(40)
def cases(ctx: DemoContext) -> None:
    """Cases, transfers and disputes in every state, some overdue (see module doc)."""
    d = _Demo(ctx)
    ago, u = d.ago, d.unit
    btd, js, df = "八田地街道.staff", "建设街道.staff", "东风街道.staff"
    office = "office"  # 生态环境局 (office of the leading group): district-wide by function
    police, jiwei, zhengfu = u("公安分局"), u("纪委监委"), u("区政府")
    procuratorate = u("检察院")

    # 1. Fresh, just registered; and one being investigated.
    d.case(
        "registered",
        btd,
        "八田地街道",
        ago(0, -1),
        title="河道旁疑似倾倒建筑垃圾（演示）",
        evidence_files=[],
    )
    c = d.case(
        "investigating",
        js,
        "建设街道",
        ago(5),
        title="餐饮单位油烟直排（演示）",
        source="petition",
        reported_at=ago(5, -2),
    )
    if c:
        d.run("investigating", ago(4), S.case_open, actor=d.user(js), case=c, note="立案调查")

    # 2. Full jurisdiction cycle, fed back on time (office → 八田地街道).
    c = d.case("fed_back", office, "八田地街道", ago(40), source="inspection")
    if c and u("八田地街道"):
        t = d.run(
            "fed_back",
            ago(39),
            S.transfer_create,
            actor=d.user(office),
            case=c,
            transfer_type="jurisdiction",
            receiver_unit=u("八田地街道"),
            reason="违法行为发生地位于八田地街道网格，属其管辖。",
        )
        if t:
            d.transfers["fed_back"] = t
            d.run("fed_back", ago(38), S.transfer_accept, actor=d.user(btd), transfer=t)
            d.run(
                "fed_back",
                ago(30),
                S.transfer_complete,
                actor=d.user(btd),
                transfer=t,
                result="已责令停止违法行为，处罚款人民币五万元（演示）。",
            )
            d.run(
                "fed_back",
                ago(25),
                S.transfer_feedback,
                actor=d.user(btd),
                transfer=t,
                text="已查处完毕：责令改正并处罚款五万元，企业已完成整改（演示）。",
            )

    # 3. Accepted and handled, feedback overdue (office → 东风街道).
    c = d.case(
        "feedback_overdue", office, "东风街道", ago(60), source="hotline", reported_at=ago(60, -3)
    )
    if c and u("东风街道"):
        t = d.run(
            "feedback_overdue",
            ago(59),
            S.transfer_create,
            actor=d.user(office),
            case=c,
            transfer_type="jurisdiction",
            receiver_unit=u("东风街道"),
        )
        if t:
            d.transfers["feedback_overdue"] = t
            d.run("feedback_overdue", ago(57), S.transfer_accept, actor=d.user(df), transfer=t)
            d.run(
                "feedback_overdue",
                ago(45),
                S.transfer_complete,
                actor=d.user(df),
                transfer=t,
                result="已责令整改，整改完成（演示）。",
            )

    # 4. Accepted, being handled (office → 建设街道).
    c = d.case("accepted", office, "建设街道", ago(8), k=1)
    if c and u("建设街道"):
        t = d.run(
            "accepted",
            ago(7),
            S.transfer_create,
            actor=d.user(office),
            case=c,
            transfer_type="jurisdiction",
            receiver_unit=u("建设街道"),
        )
        if t:
            d.transfers["accepted"] = t
            d.run("accepted", ago(6), S.transfer_accept, actor=d.user(js), transfer=t)

    # 5. T1 overdue: 八田地街道 found a case in 建设街道's area and has not transferred it.
    d.case("t1_overdue", btd, "建设街道", ago(12), k=2, title="跨界排放异味气体（演示）")

    # 6. Sent and not decided in time (八田地街道 → 东风街道).
    c = d.case("decide_overdue", btd, "东风街道", ago(20), k=1)
    if c and u("东风街道"):
        t = d.run(
            "decide_overdue",
            ago(19),
            S.transfer_create,
            actor=d.user(btd),
            case=c,
            transfer_type="jurisdiction",
            receiver_unit=u("东风街道"),
        )
        if t:
            d.transfers["decide_overdue"] = t

    # 7. Sent today, pending (东风街道 → 建设街道).
    c = d.case("sent", df, "建设街道", ago(1), k=3)
    if c and u("建设街道"):
        t = d.run(
            "sent",
            ago(0, -2),
            S.transfer_create,
            actor=d.user(df),
            case=c,
            transfer_type="jurisdiction",
            receiver_unit=u("建设街道"),
        )
        if t:
            d.transfers["sent"] = t

    # 8. Returned, then an open dispute (建设街道 → 八田地街道, returned, 区政府 to designate).
    c = d.case(
        "returned_disputed", js, "八田地街道", ago(9), k=3, title="两街道交界处污水外溢（演示）"
    )
    if c and u("八田地街道"):
        t = d.run(
            "returned",
            ago(8),
            S.transfer_create,
            actor=d.user(js),
            case=c,
            transfer_type="jurisdiction",
            receiver_unit=u("八田地街道"),
        )
        if t:
            d.transfers["returned"] = t
            d.run(
                "returned",
                ago(7),
                S.transfer_return,
                actor=d.user(btd),
                transfer=t,
                explanation="经现场核实，排污口位于建设街道一侧，污染行为发生地不在本街道网格。",
            )
            dispute = d.run(
                "returned",
                ago(6),
                S.dispute_raise,
                actor=d.user(js),
                case=c,
                parties=[u("八田地街道")],
                transfer=t,
                reason="双方对污染行为发生地存在争议，报请共同的上一级网格单位指定管辖。",
            )
            if dispute:
                d.disputes["open"] = dispute

    # 9. Two units opened cases on one matter; designated by 区政府 (the common parent grid).
    a = d.case(
        "designated_first",
        btd,
        "八田地街道",
        ago(30),
        k=4,
        discovered_at=ago(30, -1.5),
        title="沿河企业异味扰民（演示，八田地街道发现）",
    )
    b = (
        d.case(
            "designated_second",
            js,
            "建设街道",
            ago(30, 1),
            k=4,
            discovered_at=ago(30, 0.5),
            title="沿河企业异味扰民（演示，建设街道发现）",
            same_matter_as=a,
        )
        if a
        else None
    )
    if a and b:
        dispute = d.run(
            "designated",
            ago(29),
            S.dispute_raise,
            actor=d.user(js),
            case=b,
            parties=[u("八田地街道")],
            reason="同一污染事项双方均已立案。",
        )
        if dispute:
            d.disputes["designated"] = dispute
            d.run(
                "designated",
                ago(27),
                S.dispute_designate,
                actor=d.user("区政府.staff"),
                dispute=dispute,
                unit=u("八田地街道"),
                reason="八田地街道最先发现（发现时间早于建设街道），指定由八田地街道管辖。",
            )

    # 10. Criminal route: decided, transferred to the police with a copy to the procuratorate.
    c = d.case(
        "criminal",
        office,
        "工业园区",
        ago(20),
        suspected_crime=True,
        title="企业利用暗管排放含重金属废水（演示）",
    )
    if c and police and procuratorate:
        d.run("criminal", ago(19), S.case_open, actor=d.user(office), case=c)
        d.run(
            "criminal",
            ago(19, 1),
            S.case_criminal_decide,
            actor=d.user(office),
            case=c,
            decision="transfer",
            note="经负责人批准移送。",
        )
        t = d.run(
            "criminal",
            ago(19, 5),
            S.transfer_create,
            actor=d.user(office),
            case=c,
            transfer_type="criminal",
            receiver_unit=police,
            copy_to_unit=procuratorate,
            reason="涉嫌污染环境罪。",
        )
        if t:
            d.transfers["criminal"] = t
            d.run(
                "criminal",
                ago(17),
                S.transfer_accept,
                actor=d.user("公安分局.staff"),
                transfer=t,
                note="已立案侦查（演示）。",
            )

    # 11. Flagged as a suspected crime, decision overdue (3 working days).
    d.case(
        "criminal_undecided",
        btd,
        "八田地街道",
        ago(10),
        k=5,
        suspected_crime=True,
        title="危险废物非法倾倒（演示）",
    )

    # 12. Detention route, pending; discipline route, accepted.
    c = d.case(
        "detention",
        js,
        "建设街道",
        ago(3),
        k=5,
        detention_needed=True,
        title="拒不改正、逃避监管（演示）",
    )
    if c and police:
        d.run("detention", ago(2), S.case_open, actor=d.user(js), case=c)
        t = d.run(
            "detention",
            ago(1),
            S.transfer_create,
            actor=d.user(js),
            case=c,
            transfer_type="detention",
            receiver_unit=police,
        )
        if t:
            d.transfers["detention"] = t
    c = d.case(
        "discipline",
        df,
        "东风街道",
        ago(15),
        k=2,
        discipline_breach=True,
        title="监管人员失职线索（演示）",
    )
    if c and jiwei:
        d.run("discipline", ago(14), S.case_open, actor=d.user(df), case=c)
        t = d.run(
            "discipline",
            ago(13),
            S.transfer_create,
            actor=d.user(df),
            case=c,
            transfer_type="discipline",
            receiver_unit=jiwei,
        )
        if t:
            d.transfers["discipline"] = t
            d.run(
                "discipline", ago(11), S.transfer_accept, actor=d.user("纪委监委.staff"), transfer=t
            )

    # 13. A handling proposal to the government after investigating.
    c = d.case("government", office, "工业园区", ago(12), k=1, title="企业超标排放拒不整改（演示）")
    if c and zhengfu:
        d.run("government", ago(11), S.case_open, actor=d.user(office), case=c)
        t = d.run(
            "government",
            ago(3),
            S.transfer_create,
            actor=d.user(office),
            case=c,
            transfer_type="government_proposal",
            receiver_unit=zhengfu,
            proposal="建议依法责令该企业停产整顿。",
        )
        if t:
            d.transfers["government"] = t

    # 14. Closed with an administrative penalty; withdrawn; a transfer withdrawn.
    c = d.case("closed", df, "东风街道", ago(50), k=3)
    if c:
        d.run("closed", ago(49), S.case_open, actor=d.user(df), case=c)
        d.run(
            "closed",
            ago(35),
            S.case_complete,
            actor=d.user(df),
            case=c,
            result="罚款三万元，责令改正（演示）。",
        )
        d.run(
            "closed",
            ago(34),
            S.case_close,
            actor=d.user(df),
            case=c,
            outcome="administrative_penalty",
            note="处罚决定已执行完毕。",
        )
    c = d.case("withdrawn", df, "东风街道", ago(6), k=4)
    if c:
        d.run(
            "withdrawn",
            ago(6, 1),
            S.case_withdraw,
            actor=d.user(df),
            case=c,
            reason="重复登记（与另一案件为同一线索）。",
        )
    c = d.case("transfer_withdrawn", btd, "八田地街道", ago(4), k=6)
    if c and u("建设街道"):
        t = d.run(
            "transfer_withdrawn",
            ago(4, 1),
            S.transfer_create,
            actor=d.user(btd),
            case=c,
            transfer_type="jurisdiction",
            receiver_unit=u("建设街道"),
        )
        if t:
            d.transfers["withdrawn"] = t
            d.run(
                "transfer_withdrawn",
                ago(4, 3),
                S.transfer_withdraw,
                actor=d.user(btd),
                transfer=t,
                reason="地址录入有误，经核实属本街道管辖。",
            )

    # The periodic sweep marks what fell due (and flags the cases) as `make run` would.
    from envgrid.obligations.services import sweep

    result = sweep()
    ctx.objects["cases"] = d.cases
    ctx.objects["transfers"] = d.transfers
    ctx.objects["disputes"] = d.disputes
    ctx.log(
        f"cases: {len(d.cases)} cases, {len(d.transfers)} transfers, "
        f"{len(d.disputes)} disputes, {result.marked} obligations overdue"
    )
