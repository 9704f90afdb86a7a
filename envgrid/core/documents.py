"""Document numbers (文号) in a configurable format, and the one module every .docx the
system writes goes through: official documents laid out by GB/T 9704-2012
(党政机关公文格式), see :class:`OfficialDocument` and decision 0013.

Layout (GB/T 9704-2012 §5):

- A4 paper (210 mm × 297 mm); 天头 (top margin) 37 mm, 订口 (left margin) 28 mm, type area
  156 mm × 225 mm, so the right margin is 26 mm and the bottom 35 mm.
- 22 lines of 28 characters a page: the body in 3号 (16 pt) 仿宋, at a fixed line pitch of
  28.95 pt on a line grid, characters condensed by 0.25 pt so that 28 fit in a line.
- The title in 2号 (22 pt) 小标宋, centred; first-level headings (一、) in 3号 黑体,
  second-level ones (（一）) in 3号 楷体.
- The 版头: 发文机关标志 in red 小标宋, centred; the 文号 line centred below it, and a red
  separator line as wide as the type area under the 文号.
- For a letter: the 主送机关 line (addressee) under the title, flush left, ending in a
  full-width colon; the 落款: the issuer's name centred over the date, the date (成文日期)
  in Arabic numerals without leading zeros (2026年3月5日, §7.3.5.1), 右空四字, with room
  above for the seal.
- Page numbers in 4号 (14 pt) half-width 宋体 as "— 1 —", 7 mm under the type area:
  odd pages on the right and even pages on the left, each one character in from the edge
  (§7.5).

Every run names its East Asian font (``w:eastAsia``), not only the Latin one; the font
names are those of the standard with named fallbacks in the document's font table
(Word substitutes by them; LibreOffice falls back to an installed CJK font, Noto Serif
CJK SC on the servers). Text passes the export guard of :mod:`envgrid.core.textsafe`
(control characters removed) as every python-docx run does.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import quoteattr

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from .models import DocumentCounter
from .textsafe import clean_text

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@transaction.atomic
def document_number_next(*, kind: str, issuer_key: str, year: int, fmt: str, **extra: str) -> str:
    """Take the next serial for (kind, issuer, year) and format it, e.g.
    fmt="{prefix}〔{year}〕{seq}号" with prefix="站环移" gives 站环移〔2026〕12号."""
    counter, _ = DocumentCounter.objects.select_for_update().get_or_create(
        kind=kind, issuer_key=issuer_key, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return fmt.format(year=year, seq=counter.last, **extra)


def docx_bytes(document: Any) -> bytes:
    if isinstance(document, OfficialDocument):
        document = document.finish()
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def docx_response(document: Any, filename: str) -> HttpResponse:
    buf = io.BytesIO(docx_bytes(document))
    response = HttpResponse(buf.getvalue(), content_type=DOCX_MIME)
    if not filename.endswith(".docx"):
        filename += ".docx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- GB/T 9704-2012 layout -------------------------------------------------------------

PAGE_WIDTH_MM = 210
PAGE_HEIGHT_MM = 297
MARGIN_TOP_MM = 37  # 天头
MARGIN_LEFT_MM = 28  # 订口
TYPE_AREA_MM = (156, 225)  # 版心 width × height
MARGIN_RIGHT_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - TYPE_AREA_MM[0]  # 26
MARGIN_BOTTOM_MM = PAGE_HEIGHT_MM - MARGIN_TOP_MM - TYPE_AREA_MM[1]  # 35
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
LINE_PITCH_PT = 28.95  # 225 mm / 22 lines, rounded down so that 22 lines fit
CHAR_CONDENSE_PT = 0.25  # 16 pt − 0.25 pt = 15.75 pt a character: 28 in 156 mm

SIZE_TITLE = 22.0  # 2号
SIZE_BODY = 16.0  # 3号
SIZE_PAGE_NUMBER = 14.0  # 4号
SIZE_SMALL = 12.0  # 小4号: tables and attachments lists
RED = RGBColor(0xFF, 0x00, 0x00)

# Font chains: the standard's font first, then the names it falls back to. The first name
# is written on every run (w:ascii/w:hAnsi/w:eastAsia); the chain goes into the font
# table (w:altName), where Word looks when the first is not installed.
TITLE_FONTS = ("方正小标宋简体", "FZXiaoBiaoSong-B05S", "SimSun", "Noto Serif CJK SC")
BODY_FONTS = ("仿宋_GB2312", "FangSong", "Noto Serif CJK SC")
HEADING_FONTS = ("黑体", "SimHei", "Noto Sans CJK SC")
KAI_FONTS = ("楷体_GB2312", "KaiTi", "Noto Serif CJK SC")
NUMBER_FONTS = ("宋体", "SimSun", "Noto Serif CJK SC")
FONT_CHAINS = (TITLE_FONTS, BODY_FONTS, HEADING_FONTS, KAI_FONTS, NUMBER_FONTS)

_CN_DIGITS = "〇一二三四五六七八九"


def document_date(day: dt.date | dt.datetime) -> str:
    """成文日期 as GB/T 9704-2012 §7.3.5.1 writes it: Arabic numerals, the year in full,
    month and day without leading zeros (2026年3月5日)."""
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    return f"{day.year}年{day.month}月{day.day}日"


def fontconfig_conf() -> str:
    """A fontconfig file that makes the named fallbacks real where documents are rendered
    on Linux (LibreOffice headless, a viewer): each standard font name resolves to the
    next installed one of its chain, the serif ones to Noto Serif CJK SC, 黑体 to Noto Sans
    CJK SC, the title's 小标宋 in bold. Saved to a file and pointed to with
    FONTCONFIG_FILE (the PDF tests do so for LibreOffice)."""
    rules = []
    for chain in FONT_CHAINS:
        for name in chain[:-1]:
            bold = (
                '<edit name="weight" mode="assign"><const>bold</const></edit>'
                if chain is TITLE_FONTS
                else ""
            )
            prefer = "".join(f"<string>{n}</string>" for n in chain[chain.index(name) + 1 :])
            rules.append(
                '<match target="pattern"><test name="family" qual="any">'
                f"<string>{name}</string></test>"
                f'<edit name="family" mode="prepend" binding="strong">{prefer}</edit>'
                f"{bold}</match>"
            )
    return (
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        + "".join(rules)
        + "</fontconfig>\n"
    )


def set_run_font(run: Any, fonts: Sequence[str], size: float | None = None, **fmt: Any) -> Any:
    """Name the font of a run for Latin and East Asian text (w:eastAsia), its size and
    bold/colour."""
    name = fonts[0]
    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:  # pragma: no cover - font.name always creates it
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)
    if size is not None:
        run.font.size = Pt(size)
    if fmt.get("bold") is not None:
        run.font.bold = fmt["bold"]
    if fmt.get("color") is not None:
        run.font.color.rgb = fmt["color"]
    return run


def _font_table(document: Any) -> None:
    """Declare the fonts with their fallback (w:altName) and GB2312 charset in
    word/fontTable.xml, so that Word substitutes a Chinese font of the same kind."""
    for part in document.part.package.iter_parts():
        if str(part.partname) == "/word/fontTable.xml":
            blob = part.blob.decode("utf-8")
            entries: list[str] = []
            for chain in FONT_CHAINS:
                for i, name in enumerate(chain[:-1]):
                    if f'w:name="{name}"' in blob or any(f'w:name="{name}"' in e for e in entries):
                        continue
                    family = "modern" if chain is HEADING_FONTS else "roman"
                    entries.append(
                        f"<w:font w:name={quoteattr(name)}>"
                        f"<w:altName w:val={quoteattr(chain[i + 1])}/>"
                        f'<w:charset w:val="86"/><w:family w:val="{family}"/>'
                        '<w:pitch w:val="variable"/></w:font>'
                    )
            part._blob = blob.replace("</w:fonts>", "".join(entries) + "</w:fonts>").encode()
            return


def _paragraph_border(paragraph: Any, side: str, *, color: str = "FF0000", size: int = 12) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        ppr.append(bdr)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size))  # eighths of a point
    edge.set(qn("w:space"), "4")
    edge.set(qn("w:color"), color)
    bdr.append(edge)


def _field(paragraph: Any, instruction: str, fonts: Sequence[str], size: float) -> None:
    """A Word field (PAGE) in a run of its own."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), ("end", None)):
        run = set_run_font(paragraph.add_run(), fonts, size)
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._element.append(el)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
            run._element.append(el)
        if kind == "separate":
            set_run_font(paragraph.add_run("1"), fonts, size)


def _page_number(footer: Any, align: Any, *, left: bool) -> None:
    """ "— 1 —" in 4号 half-width 宋体, one character in from the edge (§7.5)."""
    p = footer.paragraphs[0]
    p.alignment = align
    fmt = p.paragraph_format
    fmt.line_spacing = 1.0
    fmt.space_before = fmt.space_after = Pt(0)
    if left:
        fmt.left_indent = Pt(SIZE_PAGE_NUMBER)
    else:
        fmt.right_indent = Pt(SIZE_PAGE_NUMBER)
    set_run_font(p.add_run("— "), NUMBER_FONTS, SIZE_PAGE_NUMBER)
    _field(p, "PAGE", NUMBER_FONTS, SIZE_PAGE_NUMBER)
    set_run_font(p.add_run(" —"), NUMBER_FONTS, SIZE_PAGE_NUMBER)


def apply_gbt9704(document: Any) -> Any:
    """A4 page, the standard's margins and type area, the 22 × 28 grid, default fonts and
    page numbers, on every section of ``document``."""
    styles = document.styles
    normal = styles["Normal"]
    normal.font.size = Pt(SIZE_BODY)
    normal.font.name = BODY_FONTS[0]
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONTS[0])
    # 28 characters of 3号 in the 156 mm line: 442.2 pt / 28 = 15.79 pt a character, so
    # the characters are condensed by 0.25 pt (w:spacing in twentieths of a point).
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(-round(CHAR_CONDENSE_PT * 20)))
    normal.element.get_or_add_rPr().append(spacing)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(LINE_PITCH_PT)
    pf.space_before = pf.space_after = Pt(0)
    pf.widow_control = False
    document.settings.odd_and_even_pages_header_footer = True
    for section in document.sections:
        section.page_width = Mm(PAGE_WIDTH_MM)
        section.page_height = Mm(PAGE_HEIGHT_MM)
        section.top_margin = Mm(MARGIN_TOP_MM)
        section.bottom_margin = Mm(MARGIN_BOTTOM_MM)
        section.left_margin = Mm(MARGIN_LEFT_MM)
        section.right_margin = Mm(MARGIN_RIGHT_MM)
        section.gutter = Mm(0)
        section.header_distance = Mm(15)
        # The page number's line sits 7 mm under the type area (§7.5): 35 − 7 − ~5 mm.
        section.footer_distance = Mm(23)
        grid = section._sectPr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            section._sectPr.append(grid)
        # 22 lines a page on a line grid of 28.95 pt. (Word's "linesAndChars" grid would
        # also fix 28 characters a line, but LibreOffice lays it out as one character per
        # two cells; the 28 characters come from the condensed spacing of the Normal style.)
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))
        if qn("w:charSpace") in grid.attrib:
            del grid.attrib[qn("w:charSpace")]
        _page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT, left=False)
        _page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, left=True)
    _font_table(document)
    return document


def new_document() -> Any:
    """An empty python-docx Document laid out by GB/T 9704 — the only place the system
    calls ``Document()``."""
    return apply_gbt9704(Document())


def ensure_east_asian_fonts(document: Any) -> Any:
    """Every run of the body, the tables, headers and footers names an East Asian font
    (w:eastAsia); runs that do not get the body font."""
    roots = [document.element.body]
    for section in document.sections:
        for hf in (
            section.header,
            section.footer,
            section.even_page_header,
            section.even_page_footer,
            section.first_page_header,
            section.first_page_footer,
        ):
            roots.append(hf._element)
    for root in roots:
        for r in root.iter(qn("w:r")):
            rpr = r.find(qn("w:rPr"))
            if rpr is None:
                rpr = OxmlElement("w:rPr")
                r.insert(0, rpr)
            rfonts = rpr.find(qn("w:rFonts"))
            if rfonts is None:
                rfonts = OxmlElement("w:rFonts")
                rpr.insert(0, rfonts)
            if not rfonts.get(qn("w:eastAsia")):
                for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
                    if not rfonts.get(qn(attr)):
                        rfonts.set(qn(attr), BODY_FONTS[0])
    return document


class OfficialDocument:
    """One official document (公文) in the GB/T 9704-2012 layout.

    >>> d = OfficialDocument(issuer="站前区生态环境局", number="站环移〔2026〕1号",
    ...                      title="案件移送函", addressee="区住房和城乡建设局")
    >>> d.paragraph("……")
    >>> d.signature("站前区生态环境局", date)
    >>> docx_response(d, "移送函")

    ``issuer`` is the 发文机关标志 (red, centred; "文件"/"纪要" may be part of it);
    without it the document has no 版头 (a registration form, a report sheet).
    """

    def __init__(
        self,
        *,
        title: str,
        issuer: str = "",
        number: str = "",
        addressee: str = "",
        subtitle: str = "",
    ) -> None:
        self.document = new_document()
        # Core properties bypass the run guard: clean the title here.
        self.document.core_properties.title = clean_text(title)[:255]
        if issuer:
            self._masthead(issuer, number)
        elif number:
            self.paragraph(number, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
        self._title(title, space_lines=2 if issuer else 0)
        if subtitle:
            self.paragraph(subtitle, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, fonts=KAI_FONTS)
        if addressee:
            self.blank()
            self.paragraph(f"{addressee}：", indent=False)

    # 版头 ------------------------------------------------------------------------------
    def _masthead(self, issuer: str, number: str) -> None:
        # The mark fits one line of the type area: at most 36 pt, smaller for long names.
        width_pt = TYPE_AREA_MM[0] / 25.4 * 72
        size = max(SIZE_TITLE, min(36.0, round(width_pt / max(len(issuer), 1) - 1, 1)))
        p = self.document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.AT_LEAST
        fmt.line_spacing = Pt(size * 1.2)
        set_run_font(p.add_run(issuer), TITLE_FONTS, size, color=RED)
        self.blank()
        p = self.paragraph(number or " ", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
        # The red separator line, 4 mm under the 文号, as wide as the type area.
        _paragraph_border(p, "bottom", size=12)

    def _title(self, title: str, *, space_lines: int) -> None:
        for _ in range(space_lines):
            self.blank()
        p = self.document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(LINE_PITCH_PT * 1.25)
        set_run_font(p.add_run(title), TITLE_FONTS, SIZE_TITLE)

    # 主体 ------------------------------------------------------------------------------
    def blank(self) -> Any:
        return self.document.add_paragraph()

    def paragraph(
        self,
        text: str = "",
        *,
        indent: bool = True,
        align: Any = None,
        fonts: Sequence[str] = BODY_FONTS,
        size: float = SIZE_BODY,
        bold: bool | None = None,
        label: str = "",
    ) -> Any:
        """A body paragraph, first line indented two characters; ``label`` is a bold lead
        ("违法事实：")."""
        p = self.document.add_paragraph()
        if align is not None:
            p.alignment = align
        else:
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        if size != SIZE_BODY:
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            p.paragraph_format.line_spacing = Pt(max(size * 1.5, size + 4))
        if label:
            set_run_font(p.add_run(label), HEADING_FONTS, size)
        set_run_font(p.add_run(text), fonts, size, bold=bold)
        return p

    def paragraphs(self, text: str, **kwargs: Any) -> None:
        for line in (text or "").splitlines():
            if line.strip():
                self.paragraph(line.strip(), **kwargs)

    def heading(self, text: str, level: int = 1) -> Any:
        """一、 in 黑体 (level 1), （一） in 楷体 (level 2), both 3号, indented two characters."""
        fonts = HEADING_FONTS if level == 1 else KAI_FONTS
        p = self.document.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(SIZE_BODY * 2)
        p.paragraph_format.keep_with_next = True
        set_run_font(p.add_run(text), fonts, SIZE_BODY)
        return p

    def fields(self, rows: Iterable[tuple[str, Any]]) -> None:
        """Label：value lines (会议时间：…)."""
        for label, value in rows:
            self.paragraph(str(value if value is not None else ""), label=f"{label}：")

    def table(
        self,
        headers: Sequence[str] | None,
        rows: Iterable[Sequence[Any]],
        *,
        size: float = 12,
        widths_mm: Sequence[float] | None = None,
    ) -> Any:
        """A bordered table in 小4号 仿宋 with a 黑体 header row, single-spaced (off the
        line grid), as wide as the type area. A label/value table without headers gets a
        narrow label column unless ``widths_mm`` says otherwise."""
        rows = [list(r) for r in rows]
        ncols = len(headers) if headers else (len(rows[0]) if rows else 1)
        table = self.document.add_table(rows=0, cols=ncols)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        all_rows: list[tuple[Sequence[Any], bool]] = []
        if headers:
            all_rows.append((headers, True))
        all_rows += [(r, False) for r in rows]
        for values, is_header in all_rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, values, strict=True):
                p = cell.paragraphs[0]
                fmt = p.paragraph_format
                fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
                fmt.first_line_indent = Pt(0)
                fmt.space_before = fmt.space_after = Pt(2)
                snap = OxmlElement("w:snapToGrid")
                snap.set(qn("w:val"), "0")
                ppr = p._p.get_or_add_pPr()
                ppr.append(snap)
                # The paragraph mark in the cell's size too, so empty cells are not taller.
                mark = OxmlElement("w:rPr")
                mark_size = OxmlElement("w:sz")
                mark_size.set(qn("w:val"), str(round(size * 2)))
                mark.append(mark_size)
                ppr.append(mark)
                if is_header:
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                set_run_font(
                    p.add_run(str(value if value is not None else "")),
                    HEADING_FONTS if is_header else BODY_FONTS,
                    size,
                )
        if widths_mm is None and not headers and ncols == 2:
            widths_mm = (40, TYPE_AREA_MM[0] - 40)
        if widths_mm:
            table.autofit = False
            for column, width in zip(table.columns, widths_mm, strict=False):
                column.width = Mm(width)
                for cell in column.cells:
                    cell.width = Mm(width)
        return table

    # 落款 ------------------------------------------------------------------------------
    def signature(
        self, signer: str, date: dt.date | dt.datetime | None, *, seal: bool = True
    ) -> None:
        """发文机关署名 centred over the 成文日期, the date 右空四字; with ``seal`` two blank
        lines above for the seal (印章端正、居中下压署名和成文日期)."""
        self.blank()
        if seal:
            self.blank()
        day = document_date(date) if date else ""
        date_indent = SIZE_BODY * 4
        # Centre the signer over the date: both right-aligned, the shorter one indented by
        # half the difference in characters.
        diff = (len(day) - len(signer)) / 2
        lines = [(signer, date_indent + max(diff, 0) * SIZE_BODY)]
        if day:
            lines.append((day, date_indent))
        for text, indent in lines:
            p = self.paragraph(text, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
            p.paragraph_format.right_indent = Pt(max(indent, 0))

    def note(self, text: str) -> Any:
        """A line after the 落款 (附注, 经办人, 联系电话), indented two characters."""
        return self.paragraph(text, indent=True)

    def imprint(self, rows: Iterable[str]) -> None:
        """版记 (抄送 …) in 4号 仿宋 between two separator lines (§7.4)."""
        rows = [r for r in rows if r]
        if not rows:
            return
        self.blank()
        for i, text in enumerate(rows):
            p = self.paragraph(text, indent=False, size=14)
            p.paragraph_format.left_indent = Pt(14)
            if i == 0:
                _paragraph_border(p, "top", color="000000", size=8)
            if i == len(rows) - 1:
                _paragraph_border(p, "bottom", color="000000", size=8)

    # 输出 ------------------------------------------------------------------------------
    def finish(self) -> Any:
        return ensure_east_asian_fonts(self.document)

    def to_bytes(self) -> bytes:
        return docx_bytes(self)

    def save(self, target: Any) -> None:
        """Save like a python-docx Document (a path or a file object)."""
        self.finish().save(target)
