"""Issue 20, part 5: every .docx the system writes is an official document by GB/T 9704
(A4, the standard's margins and type area, title and body fonts, 发文机关标志, 文号, page
numbers, addressee and 落款 for letters) — checked on the .docx itself and, converted to
PDF by LibreOffice headless, on what a reader sees: A4 pages, embedded CJK fonts, the
title and the 文号 in the text. Page 1 of each document is rendered to
test-artifacts/documents/ for review."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
import time_machine
from docx.oxml.ns import qn
from docx.shared import Mm

from envgrid.cases import services as CS
from envgrid.cases.tests.conftest import at, complete_case, tree  # noqa: F401 - fixture
from envgrid.core.documents import (
    BODY_FONTS,
    TITLE_FONTS,
    OfficialDocument,
    document_date,
    docx_bytes,
    fontconfig_conf,
)
from envgrid.meetings import services as MS
from envgrid.meetings.documents import minutes_document
from envgrid.meetings.tests.factories import decide, hold, schedule

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "documents"
TOOLS = {
    "soffice": shutil.which("soffice") or shutil.which("libreoffice"),
    **{t: shutil.which(t) for t in ("pdfinfo", "pdffonts", "pdftotext", "pdftoppm")},
}
needs_pdf = pytest.mark.skipif(
    not all(TOOLS.values()),
    reason="LibreOffice (soffice, Debian libreoffice-writer-nogui) and poppler-utils "
    "(pdfinfo, pdffonts, pdftotext, pdftoppm) are needed to convert and inspect the PDF",
)
TWIP = 635
EMU_TOLERANCE = Mm(1)  # the standard allows ±1 mm on 天头 and 订口


# ---------------------------------------------------------------------- builders


def _transfer_letter(tree):  # noqa: F811 - the fixture's value
    from envgrid.cases.documents import transfer_letter

    with time_machine.travel(at(2026, 3, 5, 10, 0), tick=False):
        case = complete_case(tree.ca_staff, point=tree.p_ca, suspected_crime=True)
        t = CS.transfer_create(
            actor=tree.ca_staff.user,
            case=case,
            transfer_type="criminal",
            receiver_unit=tree.police,
            copy_to_unit=tree.procuratorate,
            reason="涉嫌污染环境罪",
        )
    return t, transfer_letter(t)


def _minutes(world):
    with time_machine.travel(at(2026, 3, 10, 10, 0), tick=False):
        m = hold(world, schedule(world))
        decide(world, m)
        MS.meeting_minutes_save(
            actor=world.office_staff.user,
            meeting=m,
            minutes="会议听取了各成员单位网格化环境监管工作情况汇报。\n"
            "会议议定：各街道办事处于三月底前完成辖区散乱污企业排查，建立台账。",
        )
        m = MS.meeting_minutes_issue(actor=world.office_staff.user, meeting=m)
    return m, minutes_document(m)


def _open(document) -> docx.document.Document:
    return docx.Document(io.BytesIO(docx_bytes(document)))


# ---------------------------------------------------------------------- the .docx


def _assert_gbt9704_page(d) -> None:
    for section in d.sections:
        # Word stores lengths in twips (1/20 pt = 635 EMU): A4 to the twip.
        assert abs(section.page_width - Mm(210)) < TWIP
        assert abs(section.page_height - Mm(297)) < TWIP
        assert abs(section.top_margin - Mm(37)) <= EMU_TOLERANCE
        assert abs(section.left_margin - Mm(28)) <= EMU_TOLERANCE
        # Type area 156 mm × 225 mm.
        width = section.page_width - section.left_margin - section.right_margin
        height = section.page_height - section.top_margin - section.bottom_margin
        assert abs(width - Mm(156)) <= EMU_TOLERANCE
        assert abs(height - Mm(225)) <= EMU_TOLERANCE
        grid = section._sectPr.find(qn("w:docGrid"))
        assert grid.get(qn("w:type")) == "lines"
        # 22 lines: 225 mm / line pitch (twentieths of a point).
        assert int(225 / 25.4 * 72 * 20 / int(grid.get(qn("w:linePitch")))) == 22


def _chars_per_line(d) -> int:
    """How many 3号 characters of the Normal style fit in the 156 mm line."""
    rpr = d.styles["Normal"].element.rPr
    condense = int(rpr.find(qn("w:spacing")).get(qn("w:val"))) / 20
    size = d.styles["Normal"].font.size.pt
    return int((156 / 25.4 * 72) // (size + condense))


def _runs_without_east_asian_font(d) -> list[str]:
    roots = [d.element.body]
    for s in d.sections:
        roots += [s.footer._element, s.even_page_footer._element]
    missing = []
    for root in roots:
        for r in root.iter(qn("w:r")):
            fonts = r.find(qn("w:rPr") + "/" + qn("w:rFonts"))
            if fonts is None or not fonts.get(qn("w:eastAsia")):
                missing.append("".join(t.text or "" for t in r.iter(qn("w:t"))))
    return missing


def test_transfer_letter_docx_is_a4_with_the_standard_margins_and_fonts(tree):  # noqa: F811
    t, letter = _transfer_letter(tree)
    d = _open(letter)
    _assert_gbt9704_page(d)
    assert _runs_without_east_asian_font(d) == []
    assert _chars_per_line(d) == 28
    paragraphs = d.paragraphs
    # 版头: the issuer's mark in red 小标宋, the 文号 with the red separator under it.
    mark = paragraphs[0].runs[0]
    assert mark.text == tree.ca.name
    assert str(mark.font.color.rgb) == "FF0000"
    assert mark._element.rPr.rFonts.get(qn("w:eastAsia")) == TITLE_FONTS[0]
    number = next(p for p in paragraphs if p.text == t.number)
    border = number._p.pPr.find(qn("w:pBdr") + "/" + qn("w:bottom"))
    assert border.get(qn("w:color")) == "FF0000"
    # Title 2号 (22 pt) 小标宋; body 3号 (16 pt) 仿宋; addressee line flush left.
    title = next(p for p in paragraphs if p.text == "案件移送函")
    assert title.runs[0].font.size.pt == 22
    assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == TITLE_FONTS[0]
    addressee = next(p for p in paragraphs if p.text == f"{tree.police.name}：")
    assert addressee.runs[0].font.size.pt == 16
    assert addressee.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == BODY_FONTS[0]
    # 落款: issuer and the date in Arabic numerals without leading zeros.
    texts = [p.text for p in paragraphs]
    assert "2026年3月5日" in texts
    assert texts.index("2026年3月5日") == texts.index(tree.ca.name, 1) + 1
    # Page numbers "— 1 —": odd pages right, even pages left.
    assert d.settings.odd_and_even_pages_header_footer
    odd, even = d.sections[0].footer.paragraphs[0], d.sections[0].even_page_footer.paragraphs[0]
    assert odd.text.startswith("— ") and odd.text.endswith(" —")
    assert odd.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
    assert even.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.LEFT
    assert "PAGE" in odd._p.xml


def test_every_document_kind_goes_through_the_one_document_module():
    """No app builds a python-docx ``Document()`` of its own: they all start from
    envgrid.core.documents (new_document / OfficialDocument)."""
    root = Path(__file__).resolve().parents[2]
    module = root / "core" / "documents.py"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts
        and path != module
        # A new document is Document() without a file to open; reading one is fine.
        and re.search(r"\bDocument\(\s*\)", path.read_text())
    ]
    assert offenders == []


def test_control_characters_are_still_removed_from_official_documents():
    doc = OfficialDocument(
        issuer="站前区生态环境局", number="站环函〔2026〕1号", title="坏\x01标题"
    )
    doc.paragraph("正文\x0b第二行\x1f")
    text = "\n".join(p.text for p in _open(doc).paragraphs)
    assert "坏标题" in text
    assert "正文\n第二行" in text
    assert "\x01" not in text


def test_document_date_is_arabic_without_leading_zeros():
    import datetime as dt

    assert document_date(dt.date(2026, 3, 5)) == "2026年3月5日"
    assert document_date(dt.date(2026, 12, 31)) == "2026年12月31日"


# ---------------------------------------------------------------------- the PDF


def _tool(name: str, *args: str, **kwargs) -> str:
    """Run one of the fixed tools (absolute path found on PATH) on our own temporary
    files; its standard output."""
    executable = TOOLS[name]
    assert executable is not None
    done = subprocess.run(  # noqa: S603 - fixed tools, our own files
        [executable, *args], check=True, capture_output=True, text=True, timeout=180, **kwargs
    )
    return done.stdout


def _to_pdf(tmp_path: Path, name: str, content: bytes) -> Path:
    src = tmp_path / f"{name}.docx"
    src.write_bytes(content)
    profile = tmp_path / "lo-profile"  # a profile of its own: no clash with a running soffice
    # The named fallbacks (仿宋_GB2312 → … → Noto Serif CJK SC) through fontconfig.
    conf = tmp_path / "fonts.conf"
    conf.write_text(fontconfig_conf(), encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    _tool(
        "soffice",
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(tmp_path),
        str(src),
        env=env,
    )
    pdf = tmp_path / f"{name}.pdf"
    assert pdf.exists()
    return pdf


def _check_pdf(pdf: Path, *texts: str) -> str:
    info = _tool("pdfinfo", str(pdf))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size is not None, info
    assert abs(float(size.group(1)) - 595.28) <= 1
    assert abs(float(size.group(2)) - 841.89) <= 1
    fonts = _tool("pdffonts", str(pdf))
    rows = fonts.splitlines()[2:]
    assert rows, fonts
    # Columns: name type encoding emb sub uni object ID — every font embedded.
    assert all(row.split()[-5] == "yes" for row in rows), fonts
    assert any("NotoSerifCJK" in row.split()[0] for row in rows), fonts
    flat = re.sub(r"\s+", "", _tool("pdftotext", "-layout", str(pdf), "-"))
    for expected in texts:
        assert re.sub(r"\s+", "", expected) in flat, expected
    return fonts


def _render_page_one(pdf: Path, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / name
    _tool(
        "pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)
    )
    return prefix.with_suffix(".png")


@pytest.mark.docs_pdf
@needs_pdf
def test_transfer_letter_pdf_is_a4_with_embedded_cjk_fonts(tree, tmp_path):  # noqa: F811
    t, letter = _transfer_letter(tree)
    pdf = _to_pdf(tmp_path, "transfer-letter", docx_bytes(letter))
    _check_pdf(pdf, "案件移送函", t.number, f"{tree.police.name}：", "2026年3月5日", "— 1 —")
    assert _render_page_one(pdf, "transfer-letter").exists()


@pytest.mark.docs_pdf
@needs_pdf
def test_meeting_minutes_pdf_is_a4_with_embedded_cjk_fonts(world, tmp_path):
    m, minutes = _minutes(world)
    pdf = _to_pdf(tmp_path, "meeting-minutes", docx_bytes(minutes))
    _check_pdf(pdf, m.title, m.minutes_number, "联席会议纪要", "限期完成辖区内散乱污企业整治")
    assert _render_page_one(pdf, "meeting-minutes").exists()


@pytest.mark.docs_pdf
@needs_pdf
def test_registration_form_and_plan_document_pdfs_are_a4_with_embedded_cjk_fonts(
    tree,  # noqa: F811
    tmp_path,
):
    """The other kinds without a red mark (the 移送登记表, a form) and with one (the
    demo's plan document)."""
    from envgrid.cases.documents import transfer_form
    from envgrid.disclosure.demo import _plan_docx

    t, _letter = _transfer_letter(tree)
    form = _to_pdf(tmp_path, "transfer-form", docx_bytes(transfer_form(t)))
    _check_pdf(form, "案件移送登记表", t.number, "涉嫌污染环境罪")
    _render_page_one(form, "transfer-form")
    plan = _to_pdf(tmp_path, "plan", _plan_docx().read())
    _check_pdf(plan, "站前区人民政府办公室", "营站政办发〔2016〕6号", "一、总体要求")
    _render_page_one(plan, "plan")


@pytest.mark.docs_pdf
@needs_pdf
def test_pages_hold_22_lines_of_28_characters_and_number_odd_right_even_left(tmp_path):
    import datetime as dt

    doc = OfficialDocument(
        issuer="站前区生态环境局",
        number="站环函〔2026〕3号",
        title="关于开展散乱污企业排查的通知",
        addressee="各街道办事处",
    )
    sentence = "为贯彻落实网格化环境监管体系建设方案现就开展辖区散乱污企业排查工作通知如下"
    for _ in range(30):
        doc.paragraph(sentence)  # 38 characters: a full line of 28 after the 2-character indent
    doc.signature("站前区生态环境局", dt.date(2026, 3, 5))
    pdf = _to_pdf(tmp_path, "notice", docx_bytes(doc))
    _check_pdf(pdf, "关于开展散乱污企业排查的通知", "站环函〔2026〕3号", "2026年3月5日")
    page2 = _tool("pdftotext", "-f", "2", "-l", "2", "-layout", str(pdf), "-").splitlines()
    body = [ln.strip() for ln in page2 if ln.strip() and "—" not in ln]
    assert len(body) == 22
    # A whole line is the indent and the first 26 characters: 28 a line.
    assert sentence[:26] in body
    numbers = {
        page: next(
            ln
            for ln in _tool(
                "pdftotext", "-f", page, "-l", page, "-layout", str(pdf), "-"
            ).splitlines()
            if "—" in ln
        )
        for page in ("1", "2")
    }
    indent = {page: len(ln) - len(ln.lstrip()) for page, ln in numbers.items()}
    # Odd page on the right, even page at the left edge (one character in).
    assert indent["1"] > 20, numbers
    assert indent["2"] < 3, numbers
    _render_page_one(pdf, "notice")
