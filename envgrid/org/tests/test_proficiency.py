"""E5 业务熟练: training and assessment records of enforcement officers, kept through the
API, the person page and the admin site; the unit list shows officers below the minimum."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from envgrid.core.demo import DemoContext
from envgrid.core.models import AuditEvent
from envgrid.org import demo
from envgrid.org.models import TrainingRecord
from envgrid.org.proficiency import enforcement_officers, gaps_for, proficiency_gap
from envgrid.testing import make_person

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
CERT = (dt.date(2025, 1, 1), dt.date(2027, 12, 31))
API = "/api/org/training-records/"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def officers(world, frozen):
    unit = world.members[0]
    ready = make_person(unit, "达标执法员", cert=CERT)
    novice = make_person(unit, "新任执法员", cert=CERT, training=False)
    TrainingRecord.objects.create(
        person=novice,
        kind="training",
        course="执法入门",
        hours=16,
        held_on=dt.date(2026, 3, 1),
        result="passed",
    )
    return ready, novice


def test_E5_gap_counts_passed_hours_in_the_last_twelve_months(officers):
    ready, novice = officers
    today = dt.date(2026, 6, 15)
    assert proficiency_gap(ready, today) is None
    gap = proficiency_gap(novice, today)
    assert gap is not None
    assert (gap.hours, gap.hours_short, gap.assessment_missing) == (16, 24, True)
    assert gap.since == dt.date(2025, 6, 16)
    bulk = gaps_for(enforcement_officers(type(novice).objects.all(), today), today)
    assert set(bulk) == {novice.pk}
    assert bulk[novice.pk].describe() == gap.describe()


def test_E5_unit_list_shows_officers_below_the_minimum_as_a_gap(client, world, officers):
    _ready, _novice = officers
    client.force_login(world.office_staff.user)
    page = client.get("/org/units/").content.decode()
    assert "新任执法员 未达最低要求" in page
    assert "达标执法员 未达最低要求" not in page
    r = client.get("/org/units/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    header = next(row for row in rows if row and "业务熟练未达标的执法人员" in row)
    col = header.index("业务熟练未达标的执法人员")
    member_row = next(row for row in rows if row and row[1] == world.members[0].name)
    assert member_row[col].startswith("新任执法员（")
    assert "差24学时" in member_row[col]


def test_E5_api_records_a_course_audited_and_closing_the_gap(api, world, officers):
    _ready, novice = officers
    api.force_authenticate(world.member_staff[0].user)  # the officer's own unit
    r = api.post(
        API,
        {
            "person": novice.pk,
            "kind": "assessment",
            "course": "年度执法业务考核",
            "hours": "24",
            "held_on": "2026-06-10",
            "result": "passed",
        },
    )
    assert r.status_code == 201, r.json()
    assert r.json()["result_display"] == "合格"
    record = TrainingRecord.objects.get(pk=r.json()["id"])
    assert AuditEvent.objects.filter(
        action="training_record.create", object_id=str(record.pk)
    ).exists()
    assert proficiency_gap(novice, dt.date(2026, 6, 15)) is None
    listed = api.get(API, {"person": novice.pk}).json()
    assert {row["course"] for row in listed["results"]} == {"执法入门", "年度执法业务考核"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": "-1"}, "hours"),
        ({"held_on": "2026-06-16"}, "held_on"),
        ({"kind": "seminar"}, "kind"),
        ({"course": ""}, "course"),
    ],
)
def test_E5_api_refuses_a_bad_record_and_writes_nothing(api, world, officers, change, field):
    _ready, novice = officers
    api.force_authenticate(world.office_staff.user)
    before = (TrainingRecord.objects.count(), AuditEvent.objects.count())
    body = {
        "person": novice.pk,
        "kind": "training",
        "course": "培训",
        "hours": "8",
        "held_on": "2026-06-01",
        "result": "passed",
        **change,
    }
    r = api.post(API, body)
    assert r.status_code == 400
    assert field in str(r.json())
    assert (TrainingRecord.objects.count(), AuditEvent.objects.count()) == before


def test_E5_api_training_records_are_scoped_and_written_only_by_the_unit_or_office(
    api, world, officers
):
    _ready, novice = officers
    body = {
        "person": novice.pk,
        "kind": "training",
        "course": "培训",
        "hours": "8",
        "held_on": "2026-06-01",
        "result": "passed",
    }
    # The group leader sees the person but does not keep training records.
    api.force_authenticate(world.leader.user)
    assert api.post(API, body).status_code == 403
    # Another member unit may not even name the person.
    api.force_authenticate(world.member_staff[1].user)
    assert api.post(API, body).status_code == 400
    # A unit outside the group sees nothing at all.
    api.force_authenticate(world.outsider.user)
    assert api.get(API).json()["count"] == 0
    assert api.post(API, body).status_code == 400  # the person is not an id it may name
    assert TrainingRecord.objects.filter(person=novice).count() == 1


def test_E5_api_void_keeps_the_record_and_stops_it_counting(api, world, officers):
    ready, _novice = officers
    record = TrainingRecord.objects.filter(
        person=ready, held_on__year=2026, kind="assessment"
    ).get()
    api.force_authenticate(world.office_staff.user)
    assert api.post(f"{API}{record.pk}/void/", {"reason": ""}).status_code == 400
    r = api.post(f"{API}{record.pk}/void/", {"reason": "考核成绩录入错误"})
    assert r.status_code == 200
    assert r.json()["void_reason"] == "考核成绩录入错误"
    assert TrainingRecord.objects.filter(pk=record.pk).exists()
    gap = proficiency_gap(ready, dt.date(2026, 6, 15))
    assert gap is not None
    assert gap.assessment_missing
    assert api.post(f"{API}{record.pk}/void/", {"reason": "再次"}).status_code == 409
    assert AuditEvent.objects.filter(action="training_record.void").count() == 1


def test_E5_person_page_shows_the_gap_and_records_training(client, world, officers):
    _ready, novice = officers
    client.force_login(world.office_staff.user)
    page = client.get(f"/org/persons/{novice.pk}/").content.decode()
    assert "业务熟练程度未达最低要求" in page and "差24学时" in page
    r = client.post(
        f"/org/persons/{novice.pk}/training/",
        {
            "kind": "assessment",
            "course": "专项执法业务考核",
            "hours": "24",
            "held_on": "2026-06-12",
            "result": "passed",
        },
    )
    assert r.status_code == 302
    page = client.get(f"/org/persons/{novice.pk}/").content.decode()
    assert "专项执法业务考核" in page
    assert "业务熟练程度达到最低要求" in page
    r = client.get(f"/org/training/?unit={novice.unit_id}&format=xlsx")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert any(row and row[3] == "专项执法业务考核" for row in rows)


def test_E5_admin_records_training_audited_and_cannot_delete(client, world, officers):
    _ready, novice = officers
    client.force_login(world.admin)
    r = client.post(
        "/admin/org/trainingrecord/add/",
        {
            "person": novice.pk,
            "kind": "training",
            "course": "危废执法专题培训",
            "hours": "24",
            "held_on": "2026-05-20",
            "result": "passed",
            "note": "",
            "void_reason": "",
        },
    )
    assert r.status_code == 302, r.content.decode()[:1500]
    record = TrainingRecord.objects.get(course="危废执法专题培训")
    assert AuditEvent.objects.filter(
        action="admin.org.trainingrecord.create", object_id=str(record.pk)
    ).exists()
    r = client.get(f"/admin/org/trainingrecord/{record.pk}/delete/")
    assert r.status_code == 403
    assert TrainingRecord.objects.filter(pk=record.pk).exists()


def test_E5_demo_has_exactly_one_certified_officer_below_the_minimum():
    ctx = DemoContext(log=lambda m: None)
    demo.calendar_placeholder_year(ctx)
    demo.organisations(ctx)
    today = timezone.localdate()
    officers = enforcement_officers(type(ctx.persons["leader"]).objects.all(), today)
    gaps = gaps_for(officers, today)
    assert [g.person for g in gaps.values()] == [ctx.persons["住建局.officer1"]]
    assert all(r.note == "合成数据" for r in TrainingRecord.objects.all())
