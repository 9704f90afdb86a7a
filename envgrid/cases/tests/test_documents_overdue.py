"""Documents (.docx letter and form, .xlsx register) and T6: the overdue register with
unit and person, the sweep flagging cases, and the timeliness counts for assessment."""

from __future__ import annotations

import io

import pytest
import time_machine
from docx import Document
from openpyxl import load_workbook

from envgrid.cases import services as S
from envgrid.cases.models import Case, Transfer
from envgrid.cases.selectors import overdue_register, transfer_timeliness
from envgrid.obligations.services import sweep
from envgrid.testing import official_layout_problems

from .conftest import at, complete_case

pytestmark = pytest.mark.django_db


def _docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_T3_transfer_letter_and_registration_form_open_and_carry_the_number(tree, api):
    tree.ca.doc_prefix = "甲环"
    tree.ca.save()
    case = complete_case(tree.ca_staff, point=tree.p_ca, suspected_crime=True)
    t = S.transfer_create(
        actor=tree.ca_staff.user,
        case=case,
        transfer_type="criminal",
        receiver_unit=tree.police,
        copy_to_unit=tree.procuratorate,
        reason="涉嫌污染环境罪",
    )
    api.force_authenticate(tree.ca_staff.user)
    letter = api.get(f"/api/transfers/{t.pk}/letter/")
    assert letter.status_code == 200
    text = _docx_text(letter.content)
    assert t.number in text and t.number.startswith("甲环移〔")
    assert "区公安分局" in text and "抄送：区人民检察院" in text
    assert t.evidence.get().sha256 in text
    form = api.get(f"/api/transfers/{t.pk}/registration-form/")
    ftext = _docx_text(form.content)
    assert "案件移送登记表" in ftext and t.number in ftext and "张某（合成）" in ftext
    assert official_layout_problems(letter.content) == []
    assert official_layout_problems(form.content) == []
    # The copied-to procuratorate may read the letter too; others may not.
    api.force_authenticate(tree.procuratorate_staff.user)
    assert api.get(f"/api/transfers/{t.pk}/letter/").status_code == 200
    api.force_authenticate(tree.cb_staff.user)
    assert api.get(f"/api/transfers/{t.pk}/letter/").status_code == 404


def test_T3_register_xlsx_lists_number_date_sender_handler(tree, api):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    t = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    api.force_authenticate(tree.ca_staff.user)
    resp = api.get("/api/transfers/register/")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    header = [c.value for c in ws[1]]
    row = [c.value for c in ws[2]]
    assert header[:6] == ["移送编号", "移送日期", "移送类型", "移送单位", "移送经办人", "接收单位"]
    assert row[0] == t.number and row[3] == tree.ca.name and row[4] == tree.ca_staff.name
    assert row[5] == tree.cc.name


def _late_world(tree):
    """社区甲 finds a case in 社区丙's grid on Mon 1 Sep 2025 and transfers it late;
    社区丙 accepts late, completes, and feeds back late."""
    with time_machine.travel(at(2025, 9, 1, 9, 0), tick=False):
        case = complete_case(tree.ca_staff, point=tree.p_cc)
    with time_machine.travel(at(2025, 9, 8, 9, 0), tick=False):  # T1 due Thu 4 Sep: late
        sweep()
        t = S.transfer_create(
            actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
        )
    with time_machine.travel(at(2025, 9, 19, 9, 0), tick=False):  # decide due Mon 15 Sep: late
        sweep()
        S.transfer_accept(actor=tree.cc_staff.user, transfer=t)
    with time_machine.travel(at(2025, 9, 22, 9, 0), tick=False):
        S.transfer_complete(actor=tree.cc_staff.user, transfer=t, result="处罚")
    return case, t


def test_T6_overdue_register_lists_late_transfers_with_unit_and_person(tree):
    _case, t = _late_world(tree)
    with time_machine.travel(at(2025, 10, 20, 9, 0), tick=False):  # feedback due 17 Oct
        sweep()
        t.refresh_from_db()
        assert t.overdue  # flagged by the sweep's handler
        assert Case.objects.get(origin_transfer=t).overdue
        rows = overdue_register(user=tree.world.office_staff.user)
        by_cat = {r.category: r for r in rows}
        assert set(by_cat) == {"made", "handled", "feedback"}
        assert by_cat["made"].unit == tree.ca and by_cat["made"].person == tree.ca_staff
        assert by_cat["made"].still_open is False and by_cat["made"].days_late > 3
        assert by_cat["handled"].unit == tree.cc
        assert by_cat["feedback"].still_open and by_cat["feedback"].person == tree.cc_staff
        # Filterable: by category, unit, state.
        assert [
            r.category
            for r in overdue_register(user=tree.world.office_staff.user, category="feedback")
        ] == ["feedback"]
        assert {
            r.category for r in overdue_register(user=tree.world.office_staff.user, unit=tree.ca)
        } == {"made"}
        assert {
            r.category for r in overdue_register(user=tree.world.office_staff.user, state="open")
        } == {"feedback"}
        # A unit sees its own items only.
        assert {r.category for r in overdue_register(user=tree.ca_staff.user)} == {"made"}
        S.transfer_feedback(actor=tree.cc_staff.user, transfer=t, text="已处罚")
        t.refresh_from_db()
        assert not t.overdue


def test_T6_overdue_register_export_via_api(tree, api):
    _late_world(tree)
    api.force_authenticate(tree.world.office_staff.user)
    with time_machine.travel(at(2025, 10, 20, 9, 0), tick=False):
        data = api.get("/api/transfer-overdue/?category=made").json()
        assert (
            len(data) == 1
            and data[0]["unit_name"] == tree.ca.name
            and data[0]["person_name"] == tree.ca_staff.name
        )
        x = api.get("/api/transfer-overdue/?export=xlsx")
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws.max_row == 4  # header + made + handled + feedback


def test_T6_timeliness_counts_for_assessment(tree, api):
    _late_world(tree)
    # A second, on-time transfer by 社区乙.
    with time_machine.travel(at(2025, 9, 1, 9, 0), tick=False):
        case2 = complete_case(tree.cb_staff, point=tree.p_cc)
        t2 = S.transfer_create(
            actor=tree.cb_staff.user,
            case=case2,
            transfer_type="jurisdiction",
            receiver_unit=tree.cc,
        )
        S.transfer_accept(actor=tree.cc_staff.user, transfer=t2)
    with time_machine.travel(at(2025, 10, 20, 9, 0), tick=False):
        counts = transfer_timeliness(year=2025, units=[tree.ca, tree.cb, tree.cc, tree.s1])
        assert counts[tree.ca.pk]["made"] == {"on_time": 0, "late": 1, "pending": 0}
        assert counts[tree.cb.pk]["made"] == {"on_time": 1, "late": 0, "pending": 0}
        assert (
            counts[tree.cc.pk]["handled"]["late"] == 1
            and counts[tree.cc.pk]["handled"]["on_time"] >= 1
        )
        assert counts[tree.cc.pk]["feedback"] == {"on_time": 0, "late": 1, "pending": 0}
        assert counts[tree.s1.pk]["made"] == {"on_time": 0, "late": 0, "pending": 0}
        api.force_authenticate(tree.world.office_staff.user)
        data = api.get("/api/transfer-timeliness/?year=2025").json()
        assert data[str(tree.ca.pk)]["made"]["late"] == 1
        api.force_authenticate(tree.ca_staff.user)
        assert api.get("/api/transfer-timeliness/?year=2025").status_code == 403
    assert Transfer.objects.count() == 2
