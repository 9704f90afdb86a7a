"""I3 due rules read as sentences a person writes (issue 20, small wrong): a fixed date is
"次年1月15日前", never "2026年度开始 + 379 自然日"; a working-day rule is "2026年3月期满后
5 个工作日内"; both in Chinese and English, on the page, in the API and in the export."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from envgrid.reporting.models import ReportDue, ReportType
from envgrid.reporting.periods import Period, due_spec, fixed_date_text
from envgrid.reporting.services import dues_generate, schedule_create

from .test_reporting import office

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def test_I3_due_spec_texts_are_sentences_in_chinese_and_english():
    year = Period("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    month = Period("2026-03", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    fixed = dict(due_workdays=None, due_month=1, due_day=14, due_year_offset=1)
    workdays = dict(due_workdays=5, due_month=None, due_day=None, due_year_offset=0)
    with translation.override("zh-hans"):
        assert due_spec(year, **fixed).text == "次年1月14日前"
        assert due_spec(month, **workdays).text == "2026年3月期满后 5 个工作日内"
        assert fixed_date_text(dt.date(2026, 3, 31), 2026) == "当年3月31日前"
        assert fixed_date_text(dt.date(2028, 1, 14), 2026) == "2年后1月14日前"
    with translation.override("en"):
        assert due_spec(year, **fixed).text == "by 1/14 of the following year"
        assert due_spec(month, **workdays).text.startswith("within 5 working days after")


def test_I3_fixed_date_due_reads_as_a_date_rule_on_the_page_api_and_export(world, client, api):
    schedule_create(
        actor=office(world),
        leading_group=world.group,
        name="年度工作总结",
        report_type=ReportType.WORK_SUMMARY,
        frequency="yearly",
        due_month=1,
        due_day=14,
        due_year_offset=1,
        valid_from=dt.date(2026, 1, 1),
        units=[world.members[0]],
    )
    with time_machine.travel(at(2026, 3, 1, 9, 0), tick=False):
        dues_generate()
    ob = ReportDue.objects.get(unit=world.members[0]).obligation
    assert ob.due_at == at(2027, 1, 14, 23, 59, 59)
    client.force_login(world.member_staff[0].user)
    page = client.get(reverse("obligations:detail", args=[ob.pk])).content.decode()
    assert "次年1月14日前" in page
    assert "自然日" not in page and "年度开始 +" not in page
    api.force_authenticate(world.member_staff[0].user)
    body = api.get(f"/api/obligations/{ob.pk}/").json()
    assert body["rule_text"] == "次年1月14日前"
    assert body["kind_label"] == "按期报送信息"
    client.force_login(world.office_staff.user)
    r = client.get(reverse("obligations:list") + "?format=xlsx")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    head = rows[0]
    row = next(r for r in rows[1:] if r[0] == ob.title)
    assert row[head.index("时限")] == "次年1月14日前"
    assert row[head.index("事项类型")] == "按期报送信息"
