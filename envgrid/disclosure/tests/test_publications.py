"""Disclosure (I4): each disclosed item reaches the public only through draft → reviewed
→ published (dated); withdrawing keeps the record and its reason."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from envgrid.core.errors import ApplicationError
from envgrid.core.models import AuditEvent
from envgrid.disclosure import services
from envgrid.disclosure.models import (
    EmissionRecord,
    Hazard,
    Publication,
    PublicationKind,
    PublicationStatus,
)
from envgrid.disclosure.petitions import petition_acknowledge, petition_reply
from envgrid.testing import make_person

from .conftest import WEST_POINT

pytestmark = pytest.mark.django_db


def publish(pub, w):
    services.publication_review(actor=w.director.user, publication=pub)
    return services.publication_publish(actor=w.director.user, publication=pub)


def roster(district):
    from envgrid.grids.models import GridAssignment

    w = district.world
    now = timezone.now()
    people = {}
    for role, name, pub_phone in (
        ("leader", "西部主任甲", "0417-0000001"),
        ("head", "网格长乙", "0417-0000002"),
        ("staff", "网格员丙", ""),
        ("staff", "网格员丁", ""),
        ("supervisor", "监管员戊", "0417-0000005"),
    ):
        person = make_person(
            w.members[0], name, login=False, phone="13800000000", public_phone=pub_phone
        )
        GridAssignment.objects.create(
            grid=district.west, role=role, person=person, started_at=now, duties=f"{name}的职责"
        )
        people[name] = person
    return people


def test_I4_plan_published_with_document_only_after_review(client, district):
    w = district.world
    pdf = SimpleUploadedFile(
        "方案.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "application/pdf"
    )
    pub = services.publication_create(
        actor=w.office_staff.user,
        kind=PublicationKind.PLAN,
        title="测试区网格化环境监管体系建设方案",
        summary="方案全文见附件。",
        unit=w.office_unit,
        document=pdf,
    )
    assert client.get("/disclosure/plan/").content.decode().count("建设方案") == 0
    assert client.get(f"/disclosure/p/{pub.pk}/").status_code == 404
    assert client.get(f"/disclosure/p/{pub.pk}/document/").status_code == 404
    # The author cannot review their own draft; a unit cannot review at all.
    with pytest.raises(ApplicationError) as exc:
        services.publication_review(actor=w.office_staff.user, publication=pub)
    assert exc.value.code == "review_by_author"
    with pytest.raises(ApplicationError):
        services.publication_review(actor=w.member_staff[0].user, publication=pub)
    services.publication_review(actor=w.director.user, publication=pub)
    assert client.get(f"/disclosure/p/{pub.pk}/").status_code == 404  # reviewed ≠ published
    pub = services.publication_publish(actor=w.director.user, publication=pub)
    assert pub.published_at is not None
    page = client.get("/disclosure/plan/").content.decode()
    assert "测试区网格化环境监管体系建设方案" in page
    assert timezone.localtime(pub.published_at).strftime("%Y-%m-%d") in page
    doc = client.get(f"/disclosure/p/{pub.pk}/document/")
    assert doc.status_code == 200 and b"".join(doc.streaming_content).startswith(b"%PDF")


def test_I4_plan_document_checked_by_content(district):
    w = district.world
    fake = SimpleUploadedFile("方案.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")
    with pytest.raises(ApplicationError) as exc:
        services.publication_create(
            actor=w.office_staff.user,
            kind=PublicationKind.PLAN,
            title="方案",
            unit=w.office_unit,
            document=fake,
        )
    assert exc.value.status == 415
    assert Publication.objects.count() == 0


def test_I4_division_map_with_construction_status(client, district):
    w = district.world
    roster(district)
    pub = services.publication_draft_division(actor=w.office_staff.user, unit=w.office_unit)
    assert client.get("/disclosure/data/grids.geojson").json()["features"] == []
    publish(pub, w)
    data = client.get("/disclosure/data/grids.geojson").json()
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert set(by_code) == {"ZQ", "ZQ-W", "ZQ-E"}
    assert by_code["ZQ-W"]["construction"] == "complete"
    assert by_code["ZQ-E"]["construction"] == "building"
    assert "缺网格长" in by_code["ZQ-E"]["gaps"]
    assert data["features"][1]["geometry"]["type"] == "Polygon"
    page = client.get("/disclosure/map/").content.decode()
    assert 'id="grid-map"' in page and "东部街道" in page and "建设中" in page


def test_I4_duties_and_people_name_role_public_phone_only(client, district):
    w = district.world
    people = roster(district)
    pub = services.publication_draft_duties(actor=w.office_staff.user, unit=w.office_unit)
    assert "网格长乙" not in client.get("/disclosure/duties/").content.decode()
    publish(pub, w)
    page = client.get("/disclosure/duties/").content.decode()
    assert "网格长乙" in page and "0417-0000002" in page and "辖区大气、水、噪声污染巡查" in page
    assert "网格长" in page and "监管员" in page
    assert "13800000000" not in page  # internal phone never shown
    assert "13800000000" not in json.dumps(pub.payload, ensure_ascii=False)
    # Later changes are not public until a new version is published, which supersedes.
    people["网格长乙"].name = "网格长新"
    people["网格长乙"].save()
    assert "网格长新" not in client.get("/disclosure/duties/").content.decode()
    pub2 = services.publication_draft_duties(actor=w.office_staff.user, unit=w.office_unit)
    publish(pub2, w)
    assert "网格长新" in client.get("/disclosure/duties/").content.decode()
    pub.refresh_from_db()
    assert pub.status == PublicationStatus.WITHDRAWN and pub2.title in pub.withdraw_reason


def test_I4_hazards_register_published_with_place_type_level_measures_status(client, district):
    w = district.world
    h = services.hazard_create(
        actor=w.member_staff[0].user,
        data={
            "place": "西部化工仓库",
            "lon": WEST_POINT[0],
            "lat": WEST_POINT[1],
            "kind": "chemical",
            "level": "serious",
            "measures": "设置围堰，每日巡查。",
            "status": "rectifying",
            "responsible_unit": w.members[0],
            "found_on": timezone.localdate(),
        },
    )
    assert h.grid == district.west
    pub = services.publication_draft_hazard(actor=w.member_staff[0].user, hazard=h)
    assert client.get("/disclosure/data/hazards.geojson").json()["features"] == []
    publish(pub, w)
    feats = client.get("/disclosure/data/hazards.geojson").json()["features"]
    assert len(feats) == 1
    props = feats[0]["properties"]
    assert props["place"] == "西部化工仓库" and props["kind_label"] == "危险化学品"
    assert props["level_label"] == "较大" and props["status_label"] == "整改中"
    assert feats[0]["geometry"]["coordinates"] == [WEST_POINT[0], WEST_POINT[1]]
    page = client.get("/disclosure/hazards/").content.decode()
    assert "设置围堰" in page and "整改中" in page
    # Status changes are published as a new version, replacing the old one.
    services.hazard_update(actor=w.member_staff[0].user, hazard=h, data={"status": "rectified"})
    publish(services.publication_draft_hazard(actor=w.member_staff[0].user, hazard=h), w)
    feats = client.get("/disclosure/data/hazards.geojson").json()["features"]
    assert [f["properties"]["status_label"] for f in feats] == ["已整改"]


def test_I4_hazard_bad_input_writes_nothing(district):
    w = district.world
    with pytest.raises(ApplicationError):
        services.hazard_create(
            actor=w.member_staff[0].user,
            data={
                "place": "x",
                "lon": 1,
                "lat": 1,
                "kind": "bogus",
                "level": "major",
                "measures": "m",
                "status": "identified",
                "responsible_unit": w.members[0],
                "found_on": timezone.localdate(),
            },
        )
    assert Hazard.objects.count() == 0


def _csv(rows):
    head = "统一社会信用代码,监管对象,污染物,指标类型,数值,计量单位,限值,期间起,期间止,排放口\n"
    return (head + "\n".join(rows) + "\n").encode("utf-8")


@pytest.fixture
def entities(district):
    from envgrid.entities.models import SupervisedEntity

    a = SupervisedEntity.objects.create(
        name="甲化工有限公司", uscc="91210800MA0TEST01X", lon=122.22, lat=40.66, grid=district.west
    )
    b = SupervisedEntity.objects.create(name="乙热电厂", lon=122.28, lat=40.66, grid=district.east)
    return a, b


def test_I4_emissions_imported_published_with_exceedance(client, district, entities):
    w = district.world
    content = _csv(
        [
            "91210800MA0TEST01X,,二氧化硫,浓度,120.5,mg/m³,100,2025-01-01,2025-01-31,DA001",
            ",乙热电厂,氮氧化物,总量,12.3,t,20,2025-01-01,2025-03-31,",
        ]
    )
    batch = services.emission_import(
        actor=w.office_staff.user,
        unit=w.office_unit,
        title="2025年一季度",
        file_name="q1.csv",
        content=content,
    )
    assert batch.row_count == 2 and batch.exceedance_count == 1
    assert client.get("/disclosure/data/emissions.json").json() == []  # not yet published
    pub = services.publication_draft_emissions(actor=w.office_staff.user, batch=batch)
    publish(pub, w)
    rows = client.get("/disclosure/data/emissions.json").json()
    so2 = next(r for r in rows if r["pollutant"] == "二氧化硫")
    assert so2["exceeded"] is True and so2["value"] == 120.5 and so2["limit"] == 100.0
    assert so2["period_start"] == "2025-01-01" and so2["entity"] == "甲化工有限公司"
    csv_text = client.get("/disclosure/data/emissions.csv").content.decode("utf-8-sig")
    assert "二氧化硫" in csv_text and "氮氧化物" in csv_text
    page = client.get("/disclosure/emissions/?exceeded=1").content.decode()
    assert "二氧化硫" in page and "氮氧化物" not in page


def test_I4_emissions_import_xlsx(district, entities):
    from openpyxl import Workbook

    from envgrid.disclosure.importers import TEMPLATE_HEADERS

    wb = Workbook()
    ws = wb.active
    ws.append(TEMPLATE_HEADERS)
    ws.append(
        ["91210800MA0TEST01X", "", "COD", "浓度", 45, "mg/L", 50, "2025-02-01", "2025-02-28", ""]
    )
    buf = io.BytesIO()
    wb.save(buf)
    batch = services.emission_import(
        actor=district.world.office_staff.user,
        unit=district.world.office_unit,
        title="二月",
        file_name="feb.xlsx",
        content=buf.getvalue(),
    )
    assert batch.row_count == 1 and batch.exceedance_count == 0


def test_I4_emissions_import_any_bad_row_writes_nothing_and_names_each_row(district, entities):
    content = _csv(
        [
            "91210800MA0TEST01X,,二氧化硫,浓度,120.5,mg/m³,100,2025-01-01,2025-01-31,",
            "91210800MA0NOSUCH0,,二氧化硫,浓度,1,mg/m³,100,2025-01-01,2025-01-31,",
            ",乙热电厂,氮氧化物,体积,abc,t,20,2025-03-31,2025-01-01,",
        ]
    )
    with pytest.raises(ApplicationError) as exc:
        services.emission_import(
            actor=district.world.office_staff.user,
            unit=district.world.office_unit,
            title="坏",
            file_name="bad.csv",
            content=content,
        )
    errors = exc.value.fields["rows"]
    assert {e["row"] for e in errors} == {3, 4}
    row4 = {e["column"] for e in errors if e["row"] == 4}
    assert {"指标类型", "数值", "期间止"} <= row4
    assert EmissionRecord.objects.count() == 0


def test_I4_emissions_import_page_shows_row_errors_4xx(client, district, entities):
    from .conftest import login

    login(client, district.world.office_staff)
    f = SimpleUploadedFile("bad.csv", _csv([",无此单位,COD,浓度,1,mg/L,,2025-01-01,2025-01-31,"]))
    r = client.post("/disclosure/manage/emissions/", {"title": "坏", "file": f})
    assert r.status_code == 400
    assert "无此单位" in r.content.decode()
    assert EmissionRecord.objects.count() == 0


def test_I4_petition_handling_disclosed_anonymised(client, district, submit):
    w = district.world
    p = submit(contact_name="王某某", contact_phone="13912345678")
    petition_acknowledge(actor=w.member_staff[0].user, petition=p)
    petition_reply(actor=w.member_staff[0].user, petition=p, reply="王某某您好：已责令整改。")
    pub = services.publication_draft_petition(
        actor=w.member_staff[0].user,
        petition=p,
        summary="经查，王某某反映属实（电话13912345678），已责令企业整改并复查合格。",
    )
    assert "王某某" not in pub.payload["summary"] and "13912345678" not in pub.payload["summary"]
    publish(pub, w)
    page = client.get("/disclosure/petitions/").content.decode()
    assert "已责令企业整改并复查合格" in page and "西部街道" in page
    assert "王某某" not in page and "13912345678" not in page


def test_I4_major_adjustment_becomes_disclosure_draft_then_history(client, district):
    from envgrid.disclosure.hooks import adjustments_sync, on_major_adjustment
    from envgrid.grids.models import GridHistory, MajorAdjustment

    w = district.world
    hist = GridHistory.objects.create(
        grid=district.west, kind="division", summary="西部街道划出两个社区", at=timezone.now()
    )
    adj = MajorAdjustment.objects.create(
        grid=district.west,
        history=hist,
        kind="division",
        summary="西部街道划出两个社区",
        before={"communities": 5, "phone": "13900000000"},
        after={"communities": 3},
        made_at=timezone.now(),
    )
    on_major_adjustment(adj)  # what the grids listener calls inside its transaction
    adjustments_sync()  # and the polling path does not duplicate it
    pubs = Publication.objects.filter(kind=PublicationKind.ADJUSTMENT)
    assert pubs.count() == 1
    pub = pubs.get()
    assert pub.status == PublicationStatus.DRAFT and pub.unit == w.office_unit
    assert "13900000000" not in json.dumps(pub.payload, ensure_ascii=False)
    adj.refresh_from_db()
    assert adj.disclosure_ref == str(pub.pk) and adj.disclosed_at is None
    assert "划出两个社区" not in client.get("/disclosure/adjustments/").content.decode()
    publish(pub, w)
    adj.refresh_from_db()
    assert adj.disclosed_at is not None
    assert "划出两个社区" in client.get("/disclosure/adjustments/").content.decode()


def test_I4_withdraw_keeps_record_and_reason_and_hides_it(client, district):
    w = district.world
    pub = services.publication_create(
        actor=w.office_staff.user, kind=PublicationKind.PLAN, title="旧方案", unit=w.office_unit
    )
    publish(pub, w)
    assert client.get(f"/disclosure/p/{pub.pk}/").status_code == 200
    with pytest.raises(ApplicationError) as exc:
        services.publication_withdraw(actor=w.director.user, publication=pub, reason="")
    assert exc.value.code == "required"
    services.publication_withdraw(actor=w.director.user, publication=pub, reason="方案已修订")
    pub.refresh_from_db()
    assert pub.status == PublicationStatus.WITHDRAWN and pub.withdraw_reason == "方案已修订"
    assert pub.published_at is not None  # the publication date stays on record
    assert [e.to_status for e in pub.events.all()] == [
        "draft",
        "reviewed",
        "published",
        "withdrawn",
    ]
    assert AuditEvent.objects.filter(action="publication.withdrawn", object_id=str(pub.pk)).exists()
    assert client.get(f"/disclosure/p/{pub.pk}/").status_code == 404
    assert "旧方案" not in client.get("/disclosure/plan/").content.decode()
    with pytest.raises(ApplicationError):
        services.publication_publish(actor=w.director.user, publication=pub)


def test_I4_manage_page_scoped_and_exports_xlsx(client, district):
    from .conftest import login

    w = district.world
    own = services.publication_create(
        actor=w.member_staff[0].user,
        kind=PublicationKind.PLAN,
        title="成员一草稿",
        unit=w.members[0],
    )
    services.publication_create(
        actor=w.member_staff[1].user,
        kind=PublicationKind.PLAN,
        title="成员二草稿",
        unit=w.members[1],
    )
    login(client, w.member_staff[0])
    page = client.get("/disclosure/manage/").content.decode()
    assert "成员一草稿" in page and "成员二草稿" not in page
    other = Publication.objects.get(title="成员二草稿")
    assert client.get(f"/disclosure/manage/{other.pk}/").status_code == 404
    r = client.post(f"/disclosure/manage/{own.pk}/", {"action": "review"})
    assert r.status_code == 403
    own.refresh_from_db()
    assert own.status == PublicationStatus.DRAFT
    x = client.get("/disclosure/manage/?format=xlsx")
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxml")
    client.logout()
    login(client, w.director)
    page = client.get("/disclosure/manage/").content.decode()
    assert "成员一草稿" in page and "成员二草稿" in page


def test_I4_G5_major_adjustment_through_grids_service_makes_a_draft(client, district):
    """The real path: a grid change marked major (grids.services) creates the
    MajorAdjustment, and the disclosure listener turns it into a draft in the same
    transaction; the public sees it only once the office publishes it."""
    from envgrid.grids.models import MajorAdjustment
    from envgrid.grids.services import grid_assign

    w = district.world
    person = make_person(w.members[0], "新任网格长", login=False, public_phone="0417-0000077")
    grid_assign(
        actor=w.admin,
        grid=district.west,
        role="head",
        person=person,
        major=True,
        summary="西部街道网格长调整",
    )
    adj = MajorAdjustment.objects.get(grid=district.west)
    pub = Publication.objects.get(kind=PublicationKind.ADJUSTMENT)
    assert adj.disclosure_ref == str(pub.pk) and pub.status == PublicationStatus.DRAFT
    assert "西部街道网格长调整" not in client.get("/disclosure/adjustments/").content.decode()
    publish(pub, w)
    assert "西部街道网格长调整" in client.get("/disclosure/adjustments/").content.decode()
