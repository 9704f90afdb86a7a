"""Parsing emission data files (.xlsx or CSV) into checked rows with per-row errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from envgrid.core.safeparse import ParseFailed, parse_xlsx, run_isolated

from .models import EmissionMeasure

# Column → accepted header spellings (Chinese first, English for exchanged files).
COLUMNS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "uscc"),
    "entity": ("监管对象", "监管对象名称", "单位名称", "entity"),
    "pollutant": ("污染物", "pollutant"),
    "measure": ("指标类型", "measure"),
    "value": ("数值", "排放量", "value"),
    "unit_label": ("计量单位", "单位", "unit"),
    "limit": ("限值", "排放限值", "limit"),
    "period_start": ("期间起", "开始日期", "period_start"),
    "period_end": ("期间止", "结束日期", "period_end"),
    "outlet": ("排放口", "outlet"),
}
REQUIRED = ("pollutant", "measure", "value", "unit_label", "period_start", "period_end")
TEMPLATE_HEADERS = [
    "统一社会信用代码",
    "监管对象",
    "污染物",
    "指标类型",
    "数值",
    "计量单位",
    "限值",
    "期间起",
    "期间止",
    "排放口",
]
_MEASURES = {
    "浓度": EmissionMeasure.CONCENTRATION,
    "concentration": EmissionMeasure.CONCENTRATION,
    "总量": EmissionMeasure.TOTAL,
    "排放总量": EmissionMeasure.TOTAL,
    "total": EmissionMeasure.TOTAL,
}
MAX_ROWS = 20000


@dataclass
class EmissionRow:
    entity: Any
    pollutant: str
    measure: str
    value: Decimal
    unit_label: str
    limit: Decimal | None
    period_start: dt.date
    period_end: dt.date
    outlet: str


def _xlsx_table(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    ws = wb.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _csv_table(text: str) -> list[list[Any]]:
    table = []
    for row in csv.reader(io.StringIO(text)):
        table.append(row)
        if len(table) > MAX_ROWS + 1:
            break
    return table


def _read_table(file_name: str, content: bytes) -> list[list[Any]]:
    """The file's rows, parsed in a child process with memory, time and used-range
    limits (envgrid.core.safeparse): a workbook bomb raises ParseRefused."""
    name = file_name.lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        try:
            return parse_xlsx(_xlsx_table, content)
        except ParseFailed as exc:  # a broken or disguised file must answer 400, not 500
            raise ValueError(_("无法读取 .xlsx 文件：%(e)s") % {"e": exc.kind}) from exc
    if name.endswith(".csv") or name.endswith(".txt"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError(_("CSV 文件编码无法识别（请使用 UTF-8）。"))
        try:
            return run_isolated(_csv_table, text)
        except ParseFailed as exc:
            raise ValueError(_("无法读取 CSV 文件：%(e)s") % {"e": exc.message}) from exc
    raise ValueError(_("仅支持 .xlsx 或 .csv 文件。"))


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = _text(v).replace("/", "-").replace(".", "-")
    return dt.date.fromisoformat(s)


def _decimal(v: Any) -> Decimal:
    s = _text(v).replace(",", "")
    d = Decimal(s)
    if not d.is_finite() or abs(d) >= Decimal("1e11"):
        raise InvalidOperation
    return d.quantize(Decimal("0.0001"))


def parse_emission_file(file_name: str, content: bytes) -> tuple[list[EmissionRow], list[dict]]:
    """All rows, or the list of errors as {row, column, message} (row numbers as in the
    file, header = 1). Entities are found by credit code, else by exact name."""
    from envgrid.entities.models import SupervisedEntity

    try:
        table = _read_table(file_name, content)
    except ValueError as exc:
        return [], [{"row": 0, "column": "", "message": str(exc)}]
    table = [r for r in table if any(_text(c) for c in r)]
    if not table:
        return [], [{"row": 0, "column": "", "message": _("文件为空。")}]
    header = [_text(h) for h in table[0]]
    index: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for i, h in enumerate(header):
            if h in names or h.lower() in names:
                index[key] = i
                break
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in index]
    if "uscc" not in index and "entity" not in index:
        missing.append(_("统一社会信用代码或监管对象"))
    if missing:
        return [], [
            {
                "row": 1,
                "column": "",
                "message": _("缺少列：%(cols)s") % {"cols": "、".join(missing)},
            }
        ]
    if len(table) - 1 > MAX_ROWS:
        return [], [
            {"row": 0, "column": "", "message": _("单次最多导入 %(n)s 行。") % {"n": MAX_ROWS}}
        ]

    body = table[1:]
    codes = {
        _text(r[index["uscc"]]).upper() for r in body if "uscc" in index and len(r) > index["uscc"]
    }
    entity_names = {
        _text(r[index["entity"]]) for r in body if "entity" in index and len(r) > index["entity"]
    }
    by_code = {e.uscc.upper(): e for e in SupervisedEntity.objects.filter(uscc__in=codes - {""})}
    by_name: dict[str, list[Any]] = {}
    for e in SupervisedEntity.objects.filter(name__in=entity_names - {""}):
        by_name.setdefault(e.name, []).append(e)

    rows: list[EmissionRow] = []
    errors: list[dict] = []
    for n, raw in enumerate(body, start=2):

        def cell(key: str, raw: list[Any] = raw) -> Any:
            i = index.get(key)
            return raw[i] if i is not None and i < len(raw) else None

        row_errors: list[dict] = []

        def err(column: str, message: str, n: int = n, row_errors: list = row_errors) -> None:
            row_errors.append({"row": n, "column": column, "message": message})

        entity = None
        code = _text(cell("uscc")).upper()
        name = _text(cell("entity"))
        if code:
            entity = by_code.get(code)
            if entity is None:
                err(
                    COLUMNS["uscc"][0], _("未找到统一社会信用代码为 %(c)s 的监管对象") % {"c": code}
                )
        elif name:
            found = by_name.get(name, [])
            if len(found) == 1:
                entity = found[0]
            elif not found:
                err(COLUMNS["entity"][0], _("未找到名为“%(n)s”的监管对象") % {"n": name})
            else:
                err(
                    COLUMNS["entity"][0],
                    _("名称“%(n)s”对应多个监管对象，请填写信用代码") % {"n": name},
                )
        else:
            err(COLUMNS["uscc"][0], _("须填写统一社会信用代码或监管对象名称"))

        pollutant = _text(cell("pollutant"))
        if not pollutant:
            err(COLUMNS["pollutant"][0], _("必填"))
        elif len(pollutant) > 100:
            err(COLUMNS["pollutant"][0], _("过长"))
        measure = _MEASURES.get(_text(cell("measure")).lower())
        if measure is None:
            err(COLUMNS["measure"][0], _("应为“浓度”或“总量”"))
        value = limit = None
        try:
            value = _decimal(cell("value"))
            if value < 0:
                err(COLUMNS["value"][0], _("不能为负数"))
        except (InvalidOperation, ValueError):
            err(COLUMNS["value"][0], _("不是有效数字：%(v)s") % {"v": _text(cell("value"))})
        if _text(cell("limit")):
            try:
                limit = _decimal(cell("limit"))
                if limit < 0:
                    err(COLUMNS["limit"][0], _("不能为负数"))
            except (InvalidOperation, ValueError):
                err(COLUMNS["limit"][0], _("不是有效数字：%(v)s") % {"v": _text(cell("limit"))})
        unit_label = _text(cell("unit_label"))
        if not unit_label:
            err(COLUMNS["unit_label"][0], _("必填"))
        start = end = None
        try:
            start = _date(cell("period_start"))
        except (ValueError, TypeError):
            err(COLUMNS["period_start"][0], _("日期格式应为 YYYY-MM-DD"))
        try:
            end = _date(cell("period_end"))
        except (ValueError, TypeError):
            err(COLUMNS["period_end"][0], _("日期格式应为 YYYY-MM-DD"))
        if start and end and end < start:
            err(COLUMNS["period_end"][0], _("期间止早于期间起"))
        if row_errors:
            errors.extend(row_errors)
            continue
        assert entity is not None and measure is not None and value is not None
        assert start is not None and end is not None
        rows.append(
            EmissionRow(
                entity=entity,
                pollutant=pollutant,
                measure=measure,
                value=value,
                unit_label=unit_label[:30],
                limit=limit,
                period_start=start,
                period_end=end,
                outlet=_text(cell("outlet"))[:100],
            )
        )
    return rows, errors
