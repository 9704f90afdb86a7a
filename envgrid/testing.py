"""Test data builders shared by every app's tests (synthetic names only)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.contrib.auth import get_user_model

from envgrid.org.models import LeadingGroup, Person, PersonRole, Unit, UnitKind

_seq = itertools.count(1)


def make_user(
    username: str | None = None, *, superuser: bool = False, password: str = "pw-Test-12345"
) -> Any:
    User = get_user_model()
    username = username or f"user{next(_seq)}"
    if superuser:
        return User.objects.create_superuser(
            username=username, password=password, email=f"{username}@example.invalid"
        )
    return User.objects.create_user(
        username=username, password=password, email=f"{username}@example.invalid"
    )


def make_unit(
    name: str | None = None, *, kind: str = UnitKind.BUREAU, code: str | None = None, **kw: Any
) -> Unit:
    n = next(_seq)
    return Unit.objects.create(
        code=code or f"U{n:04d}",
        name=name or f"测试单位{n}",
        short_name=kw.pop("short_name", ""),
        kind=kind,
        **kw,
    )


def make_person(
    unit: Unit,
    name: str | None = None,
    *,
    role: str = PersonRole.UNIT,
    login: bool = True,
    cert: tuple[dt.date, dt.date] | None = None,
    training: bool = True,
    **kw: Any,
) -> Person:
    n = next(_seq)
    user = make_user(f"p{n}") if login else None
    data: dict[str, Any] = {
        "name": name or f"测试人员{n}",
        "unit": unit,
        "role": role,
        "user": user,
    }
    if cert is not None:
        data.update(cert_number=f"辽执{n:06d}", cert_valid_from=cert[0], cert_valid_to=cert[1])
    data.update(kw)
    person = Person.objects.create(**data)
    if cert is not None and training:
        add_training(person, cert)
    return person


def add_training(person: Person, period: tuple[dt.date, dt.date]) -> None:
    """Synthetic proficiency records (E5) for a certified test officer: a 36-hour course and
    a 4-hour passed assessment on 1 January of every year of `period`, so the officer meets
    the default minimum (40 hours and an assessment in the last 12 months) on any day in it."""
    from envgrid.org.models import TrainingKind, TrainingRecord, TrainingResult

    for year in range(period[0].year, period[1].year + 1):
        day = dt.date(year, 1, 1)
        for kind, course, hours in (
            (TrainingKind.TRAINING, "执法业务培训（测试）", 36),
            (TrainingKind.ASSESSMENT, "执法业务考核（测试）", 4),
        ):
            TrainingRecord.objects.create(
                person=person,
                kind=kind,
                course=course,
                hours=hours,
                held_on=day,
                result=TrainingResult.PASSED,
            )


class World:
    """A small leading group: office (with director), leader, two deputies, member units
    with one staff person each. Attribute access keeps tests readable."""

    def __init__(self, n_members: int = 3) -> None:
        self.office_unit = make_unit("区生态环境局（领导小组办公室）", code=f"OFF{next(_seq)}")
        self.government = make_unit("区人民政府", kind=UnitKind.GOVERNMENT)
        self.leader = make_person(self.government, "组长甲", role=PersonRole.LEADER)
        self.deputy = make_person(self.government, "副组长乙", role=PersonRole.LEADER)
        self.director = make_person(self.office_unit, "办公室主任丙", role=PersonRole.OFFICE)
        self.office_staff = make_person(self.office_unit, "办公室科员丁", role=PersonRole.OFFICE)
        self.members = [make_unit(f"成员单位{i}") for i in range(1, n_members + 1)]
        self.member_staff = [make_person(u, f"{u.name}工作人员") for u in self.members]
        self.outsider_unit = make_unit("外区单位")
        self.outsider = make_person(self.outsider_unit, "外区人员")
        self.group = LeadingGroup.objects.create(
            name="测试区网格化环境监管工作领导小组",
            leader=self.leader,
            office_unit=self.office_unit,
            office_director=self.director,
            doc_prefix="测环",
        )
        self.group.deputies.set([self.deputy])
        self.group.member_units.set([self.office_unit, self.government, *self.members])
        self.admin = make_user(superuser=True)


def browser_login(page: Any, username: str, password: str = "pw-Test-12345") -> None:
    """Log in through the real login form (browser tests)."""
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    # Wait for the navigation the click starts, not the login page's own load state
    # (that race made browser tests flaky under load).
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def official_layout_problems(content: bytes) -> list[str]:
    """What in a generated .docx breaks the GB/T 9704 layout of core.documents: not A4,
    margins off by more than 1 mm, a run without an East Asian font, no page number."""
    import io

    import docx
    from docx.oxml.ns import qn
    from docx.shared import Mm

    d = docx.Document(io.BytesIO(content))
    problems: list[str] = []
    for section in d.sections:
        for name, value, want in (
            ("page width", section.page_width, Mm(210)),
            ("page height", section.page_height, Mm(297)),
            ("top margin", section.top_margin, Mm(37)),
            ("left margin", section.left_margin, Mm(28)),
            ("right margin", section.right_margin, Mm(26)),
            ("bottom margin", section.bottom_margin, Mm(35)),
        ):
            if value is None or abs(value - want) > Mm(1):
                problems.append(f"{name} {value} (want {want})")
        if "PAGE" not in section.footer._element.xml:
            problems.append("no page number in the footer")
    for r in d.element.body.iter(qn("w:r")):
        fonts = r.find(qn("w:rPr") + "/" + qn("w:rFonts"))
        if fonts is None or not fonts.get(qn("w:eastAsia")):
            problems.append(
                "run without w:eastAsia: " + "".join(t.text or "" for t in r.iter(qn("w:t")))
            )
    return problems
