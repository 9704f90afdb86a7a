"""Writes for supervised entities (G4): create, move, re-derive the grid, import .xlsx.

The grid of an entity is derived from its point, never typed in: it is re-derived when
the entity moves and when a boundary changes (a listener registered with grids), and
every change of grid is kept in the grids' history (G5) and the audit log.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from envgrid.core import rules
from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.pinyin import initials
from envgrid.core.safeparse import ParseFailed, check_upload_size, parse_xlsx
from envgrid.grids.coords import CRS_CHOICES, UnknownCRS, normalize_crs, to_wgs84
from envgrid.grids.models import Grid, HistoryKind
from envgrid.grids.policies import grid_policy
from envgrid.grids.selectors import grid_resolve_many
from envgrid.grids.services import history_record, history_record_many
from envgrid.org.selectors import actor_for

from .models import (
    EntityCategory,
    EntityImportJob,
    EntityStatus,
    ImportJobStatus,
    SupervisedEntity,
)
from .policies import entity_policy
from .uscc import uscc_normalize, uscc_problem
from .xlsx import xlsx_rows_list

log = logging.getLogger(__name__)

# Column headers of the import template (Chinese as users see them) → field names.
COLUMNS: list[tuple[str, str, bool]] = [
    ("名称", "name", True),
    ("统一社会信用代码", "uscc", False),
    ("地址", "address", False),
    ("经度", "lon", True),
    ("纬度", "lat", True),
    ("坐标系", "crs", False),
    ("类别", "category", False),
    ("行业", "industry", False),
    ("状态", "status", False),
]
_HEADER_ALIASES = {h: f for h, f, _r in COLUMNS} | {f: f for _h, f, _r in COLUMNS}
PROGRESS_EVERY = 50


def _choice(value: Any, choices: type, field: str, errors: dict[str, str], default: str) -> str:
    text = str(value or "").strip()
    if not text:
        return default
    for v, label in choices.choices:  # type: ignore[attr-defined]
        if text in (v, str(label)):
            return v
    errors[field] = _("未知的取值：%s") % text
    return default


def clean_entity_data(
    data: dict[str, Any], *, default_crs: str = "wgs84", partial: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """Shape and single-row rules for one entity; returns (clean values, errors by field).
    Coordinates are converted to WGS84 here (SPEC G3)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if not partial or "name" in data:
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = _("名称必填")
        elif len(name) > 200:
            errors["name"] = _("名称超过 200 字")
        out["name"] = name
    if not partial or "uscc" in data:
        code = uscc_normalize(str(data.get("uscc") or ""))
        if code:
            problem = uscc_problem(code)
            if problem:
                errors["uscc"] = _("统一社会信用代码无效：%s") % problem
        out["uscc"] = code
    for key, limit in (("address", 300), ("industry", 100)):
        if not partial or key in data:
            text = str(data.get(key) or "").strip()
            if len(text) > limit:
                errors[key] = _("超过 %d 字") % limit
            out[key] = text
    if not partial or "category" in data:
        out["category"] = _choice(
            data.get("category"), EntityCategory, "category", errors, EntityCategory.GENERAL
        )
    if not partial or "status" in data:
        out["status"] = _choice(
            data.get("status"), EntityStatus, "status", errors, EntityStatus.OPERATING
        )
    if not partial or "lon" in data or "lat" in data:
        raw_crs = data.get("crs") or default_crs
        try:
            crs = normalize_crs(raw_crs)
        except UnknownCRS:
            errors["crs"] = _("未知的坐标系：%(v)s（可选 %(c)s）") % {
                "v": raw_crs,
                "c": "、".join(CRS_CHOICES),
            }
            crs = None
        lon_lat = []
        for key in ("lon", "lat"):
            raw = data.get(key)
            try:
                lon_lat.append(float(str(raw).strip()))
            except (TypeError, ValueError):
                errors[key] = _("%s须为数字") % ("经度" if key == "lon" else "纬度")
        if len(lon_lat) == 2 and crs is not None:
            try:
                wlon, wlat = to_wgs84(lon_lat[0], lon_lat[1], crs)
            except ValueError:
                errors["lon"] = _("坐标超出范围（经度 ±180，纬度 ±90）")
            else:
                out.update(
                    lon=wlon, lat=wlat, input_crs=crs, input_lon=lon_lat[0], input_lat=lon_lat[1]
                )
    return out, errors


def _grid_history_for_move(
    entity: SupervisedEntity, old_grid_id: int | None, new_grid_id: int | None, actor: Any, why: str
) -> None:
    grids = Grid.objects.in_bulk([g for g in (old_grid_id, new_grid_id) if g])
    old, new = grids.get(old_grid_id or 0), grids.get(new_grid_id or 0)
    brief = {"id": entity.pk, "name": entity.name, "lon": entity.lon, "lat": entity.lat}
    if old is not None:
        history_record(
            grid=old,
            kind=HistoryKind.ENTITY_OUT,
            summary=_("%(e)s 划出至 %(to)s（%(why)s）")
            % {"e": entity.name, "to": new.name if new else _("网格外"), "why": why},
            actor=actor,
            before={"entity": brief, "grid": old.code},
            after={"entity": brief, "grid": new.code if new else None},
            entity_id=entity.pk,
        )
    if new is not None:
        history_record(
            grid=new,
            kind=HistoryKind.ENTITY_IN,
            summary=_("%(e)s 由 %(frm)s 划入（%(why)s）")
            % {"e": entity.name, "frm": old.name if old else _("新登记"), "why": why},
            actor=actor,
            before={"entity": brief, "grid": old.code if old else None},
            after={"entity": brief, "grid": new.code},
            entity_id=entity.pk,
        )


def _resolve_one(lon: float, lat: float) -> int | None:
    gid = int(grid_resolve_many([lon], [lat])[0])
    return gid if gid >= 0 else None


def _refuse(errors: dict[str, str]) -> None:
    if errors:
        raise ApplicationError(
            "；".join(errors.values()),
            code="invalid",
            fields={k: [v] for k, v in errors.items()},
        )


def _check_uscc_unique(code: str, exclude_pk: int | None = None) -> None:
    if not code:
        return
    qs = SupervisedEntity.objects.filter(uscc=code)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ApplicationError(
            _("统一社会信用代码 %s 已登记。") % code,
            code="uscc_exists",
            fields={"uscc": [_("已存在")]},
            status=409,
        )


def _check_grid_in_scope(actor: Any, grid_id: int | None) -> None:
    acting = actor_for(actor)
    if acting.is_admin or acting.is_office:
        return
    if grid_id is None or not grid_policy.scope(actor).filter(pk=grid_id).exists():
        raise PermissionDeniedError(
            _("该位置不在本单位负责的网格内。"), fields={"lon": [_("超出管理范围")]}
        )


@transaction.atomic
def entity_create(*, actor: Any, crs: str = "wgs84", **data: Any) -> SupervisedEntity:
    if not entity_policy.can_create(actor):
        raise PermissionDeniedError(_("无权登记监管对象。"))
    clean, errors = clean_entity_data({**data, "crs": data.get("crs") or crs})
    _refuse(errors)
    _check_uscc_unique(clean["uscc"])
    grid_id = _resolve_one(clean["lon"], clean["lat"])
    if grid_id is None:
        raise ApplicationError(
            _("该坐标不在任何网格内，请核对坐标和坐标系。"),
            code="point_outside",
            fields={"lon": [_("不在任何网格内")]},
        )
    _check_grid_in_scope(actor, grid_id)
    entity = SupervisedEntity.objects.create(**clean, grid_id=grid_id)
    audit_record(actor=actor, action="entity.create", obj=entity, after=snapshot(entity))
    _grid_history_for_move(entity, None, grid_id, actor, _("登记"))
    return entity


@transaction.atomic
def entity_update(
    *, actor: Any, entity: SupervisedEntity, crs: str = "wgs84", **data: Any
) -> SupervisedEntity:
    """Edit; a new point (in `crs`) re-derives the grid."""
    entity_policy.require_change(actor, entity, _("无权修改该监管对象。"))
    if ("lon" in data) != ("lat" in data):
        raise ApplicationError(
            _("经度和纬度须同时提供。"), code="invalid", fields={"lat": [_("必填")]}
        )
    clean, errors = clean_entity_data({**data, "crs": data.get("crs") or crs}, partial=True)
    _refuse(errors)
    entity = SupervisedEntity.objects.select_for_update().get(pk=entity.pk)
    if "uscc" in clean:
        _check_uscc_unique(clean["uscc"], entity.pk)
    before = snapshot(entity)
    old_grid = entity.grid_id
    for key, value in clean.items():
        setattr(entity, key, value)
    moved = "lon" in clean
    if moved:
        new_grid = _resolve_one(entity.lon, entity.lat)
        if new_grid is None:
            raise ApplicationError(
                _("该坐标不在任何网格内，请核对坐标和坐标系。"),
                code="point_outside",
                fields={"lon": [_("不在任何网格内")]},
            )
        _check_grid_in_scope(actor, new_grid)
        entity.grid_id = new_grid
    entity.save()
    after = snapshot(entity)
    if after != before:
        audit_record(actor=actor, action="entity.update", obj=entity, before=before, after=after)
    if entity.grid_id != old_grid:
        _grid_history_for_move(entity, old_grid, entity.grid_id, actor, _("位置变更"))
    return entity


@transaction.atomic
def entities_rederive(*, actor: Any, entities: Iterable[SupervisedEntity], why: str) -> int:
    """Re-derive the grid of these entities from their points; returns how many moved."""
    items = list(entities)
    if not items:
        return 0
    ids = grid_resolve_many([e.lon for e in items], [e.lat for e in items])
    moved = 0
    for entity, gid in zip(items, ids.tolist(), strict=True):
        new = gid if gid >= 0 else None
        if new == entity.grid_id:
            continue
        old = entity.grid_id
        before = snapshot(entity, ["grid"])
        SupervisedEntity.objects.filter(pk=entity.pk).update(grid_id=new, updated_at=timezone.now())
        entity.grid_id = new
        audit_record(
            actor=actor, action="entity.regrid", obj=entity, before=before, after={"grid": new}
        )
        _grid_history_for_move(entity, old, new, actor, why)
        moved += 1
    return moved


def on_boundaries_changed(grid_ids: list[int], actor: Any) -> None:
    """Grids listener: entities in the changed grids, or inside their new bounding boxes,
    are re-derived (G4: moving a boundary re-resolves)."""
    from django.db.models import Q

    boxes = Grid.objects.filter(pk__in=grid_ids).values_list(
        "min_lon", "min_lat", "max_lon", "max_lat"
    )
    q = Q(grid_id__in=grid_ids)
    for x0, y0, x1, y1 in boxes:
        q |= Q(lon__gte=x0, lon__lte=x1, lat__gte=y0, lat__lte=y1)
    entities_rederive(
        actor=actor, entities=SupervisedEntity.objects.filter(q), why=_("网格边界调整")
    )


# ---------------------------------------------------------------------- .xlsx import
def import_template_bytes() -> bytes:
    """The downloadable template: the columns, one example row, and the allowed values."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "监管对象"
    ws.append([h for h, _f, _r in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.append(
        [
            "（示例）某某化工有限公司",
            "91350100M000100Y43",
            "站前区示例路 1 号",
            122.2495,
            40.6988,
            "wgs84",
            str(EntityCategory.KEY_DISCHARGER.label),
            "化学原料和化学制品制造业",
            str(EntityStatus.OPERATING.label),
        ]
    )
    for i, width in enumerate((30, 22, 30, 12, 12, 10, 16, 26, 8), start=1):
        ws.column_dimensions[chr(64 + i)].width = width
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "是否必填", "说明"])
    explain = {
        "name": "企业或场所名称",
        "uscc": "18 位，按 GB 32100-2015 校验",
        "address": "",
        "lon": "数字",
        "lat": "数字",
        "crs": "wgs84（默认）、gcj02（高德/腾讯）、bd09（百度）",
        "category": "、".join(str(label) for _v, label in EntityCategory.choices),
        "industry": "",
        "status": "、".join(str(label) for _v, label in EntityStatus.choices),
    }
    for header, field, required in COLUMNS:
        notes.append([header, "是" if required else "否", explain[field]])
    notes.append(["", "", "删除示例行后再导入；任何一行有错，整个文件都不会导入。"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


def read_rows(content: bytes) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """(row number, values by field) for every non-empty row after the header."""
    # Parsed in a child process with memory, time and used-range limits (a workbook
    # bomb is refused with ParseRefused, which the caller turns into a failed job).
    try:
        rows = iter(parse_xlsx(xlsx_rows_list, content))
    except ParseFailed:
        return [], [RowError(0, "file", _("无法读取文件：请上传 .xlsx 格式的 Excel 文件"))]
    header = next(rows, None)
    if header is None:
        return [], [RowError(1, "file", _("文件为空"))]
    fields = [_HEADER_ALIASES.get(str(h).strip()) if h is not None else None for h in header]
    missing = [h for h, f, required in COLUMNS if required and f not in fields]
    if missing:
        return [], [RowError(1, "file", _("缺少必填列：%s") % "、".join(missing))]
    out = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        out.append((number, {f: v for f, v in zip(fields, values, strict=False) if f is not None}))
    return out, []


ProgressFn = Callable[[int, int], None]


def validate_import(
    content: bytes,
    *,
    actor: Any,
    default_crs: str = "wgs84",
    progress: ProgressFn | None = None,
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Every row checked; returns the clean rows (with their grid) and every bad row with
    its row number and reason."""
    rows, errors = read_rows(content)
    if errors:
        return [], errors
    total = len(rows)
    if progress:
        progress(0, total)
    clean_rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    existing = set(SupervisedEntity.objects.exclude(uscc="").values_list("uscc", flat=True))
    for i, (number, values) in enumerate(rows, start=1):
        clean, errs = clean_entity_data(values, default_crs=default_crs)
        code = clean.get("uscc", "")
        if code and "uscc" not in errs:
            if code in seen:
                errs["uscc"] = _("统一社会信用代码与第 %d 行重复") % seen[code]
            elif code in existing:
                errs["uscc"] = _("统一社会信用代码 %s 已登记") % code
            else:
                seen[code] = number
        for field, message in errs.items():
            errors.append(RowError(number, field, message))
        if not errs:
            clean["_row"] = number
            clean_rows.append(clean)
        if progress and (i % PROGRESS_EVERY == 0 or i == total):
            progress(i, total)
    if clean_rows:
        ids = grid_resolve_many([r["lon"] for r in clean_rows], [r["lat"] for r in clean_rows])
        scope_ids: set[int] | None = None
        # No actor: the operator's shell (management command), which is not scoped.
        acting = actor_for(actor) if actor is not None else None
        if acting is not None and not (acting.is_admin or acting.is_office):
            scope_ids = set(grid_policy.scope(actor).values_list("pk", flat=True))
        for row, gid in zip(clean_rows, ids.tolist(), strict=True):
            if gid < 0:
                errors.append(
                    RowError(row["_row"], "lon", _("坐标不在任何网格内，请核对坐标和坐标系"))
                )
            elif scope_ids is not None and gid not in scope_ids:
                errors.append(RowError(row["_row"], "lon", _("位置不在本单位负责的网格内")))
            row["grid_id"] = gid
    errors.sort(key=lambda e: (e.row, e.field))
    return clean_rows, errors


IMPORT_BATCH = 1000


def _entities_insert(batch: list[SupervisedEntity]) -> None:
    """INSERT one batch of new entities, their ids set on them. On PostgreSQL by COPY,
    the ids taken from the table's sequence first (the history rows and the audit entry
    name them): `bulk_create`'s parameters were quoted value by value on the client, and
    that INSERT was 25 % of an import's write (docs/performance.md figure 5)."""
    for e in batch:
        e.name_initials = initials(e.name)
    if connection.vendor != "postgresql":
        SupervisedEntity.objects.bulk_create(batch)
        return
    meta = SupervisedEntity._meta
    now = timezone.now()  # what auto_now(_add) would have set
    fields = list(meta.concrete_fields)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(batch)],
        )
        ids = sorted(r[0] for r in cur.fetchall())
        for e, pk in zip(batch, ids, strict=True):
            e.pk = pk
            e.created_at = e.updated_at = now
            e._state.adding = False
            e._state.db = connection.alias
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        attnames = [f.attname for f in fields]
        with cur.copy(
            f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
        ) as cp:
            for e in batch:
                cp.write_row([getattr(e, a) for a in attnames])


def _snapshots(batch: list[SupervisedEntity]) -> list[dict[str, Any]]:
    """`snapshot(e)` of every entity of a batch, built without its JSON round trip per
    entity (that was ~20 % of an import's write): the values here are plain strings,
    numbers, None and the timestamps, whose JSON form is computed once per value. Any
    other kind of value falls back to `snapshot`."""
    fields = [(f.name, f.attname) for f in SupervisedEntity._meta.concrete_fields]
    encode = DjangoJSONEncoder().default
    stamps: dict[dt.datetime, str] = {}
    out = []
    for e in batch:
        data: dict[str, Any] = {}
        for name, attname in fields:
            value = getattr(e, attname)
            kind = type(value)
            if value is None or kind is int or kind is float or kind is bool or kind is str:
                data[name] = value
            elif isinstance(value, str):  # a TextChoices member: JSON keeps its value
                data[name] = str.__str__(value)
            elif kind is dt.datetime:
                if value not in stamps:
                    stamps[value] = encode(value)
                data[name] = stamps[value]
            else:
                return [snapshot(x) for x in batch]
        out.append(data)
    return out


@transaction.atomic
def import_write(
    *, actor: Any, rows: list[dict[str, Any]], progress: Callable[[int], None] | None = None
) -> list[SupervisedEntity]:
    """Write validated rows in batches: the entities, their grid history (each enters its
    grid), and one audit entry naming every entity of the batch with its values; all in
    one transaction, so a failure in any batch leaves nothing. (Row by row this cost
    ~10 ms a row on PostgreSQL: 100,000 rows took ~17 minutes; the benchmark in
    bench/fig_import.py measures it.)"""
    created: list[SupervisedEntity] = []
    # Only what the history needs: loading every boundary cost 30 % of the write.
    grids = Grid.objects.only("id", "code", "name").in_bulk(
        {r["grid_id"] for r in rows if r.get("grid_id")}
    )
    summary = _("%(e)s 由 %(frm)s 划入（%(why)s）")
    frm, why = _("新登记"), _("批量导入")
    for start in range(0, len(rows), IMPORT_BATCH):
        batch = [
            SupervisedEntity(**{k: v for k, v in row.items() if not k.startswith("_")})
            for row in rows[start : start + IMPORT_BATCH]
        ]
        _entities_insert(batch)
        history = []
        for e in batch:
            grid = grids.get(e.grid_id or 0)
            if grid is None:
                continue
            brief = {"id": e.pk, "name": e.name, "lon": e.lon, "lat": e.lat}
            history.append(
                {
                    "grid": grid,
                    "kind": HistoryKind.ENTITY_IN,
                    "summary": summary % {"e": e.name, "frm": frm, "why": why},
                    "before": {"entity": brief, "grid": None},
                    "after": {"entity": brief, "grid": grid.code},
                    "entity_id": e.pk,
                }
            )
        history_record_many(history, actor=actor)
        audit_record(
            actor=actor,
            action="entity.import",
            object_type=SupervisedEntity._meta.label_lower,
            object_id=str(batch[0].pk) if len(batch) == 1 else f"{batch[0].pk}…{batch[-1].pk}",
            object_repr=_("批量导入 %(n)d 个监管对象") % {"n": len(batch)},
            after={"entities": _snapshots(batch)},
        )
        created.extend(batch)
        if progress is not None:
            progress(len(created))
    return created


def import_job_create(
    *, actor: Any, filename: str, content: bytes, default_crs: str = "wgs84"
) -> EntityImportJob:
    if not entity_policy.can_create(actor):
        raise PermissionDeniedError(_("无权导入监管对象。"))
    try:
        crs = normalize_crs(default_crs)
    except UnknownCRS:
        raise ApplicationError(
            _("未知的坐标系：%s") % default_crs, code="crs_unknown", fields={"crs": [_("无效")]}
        ) from None
    if not filename.lower().endswith(".xlsx"):
        raise ApplicationError(
            _("请上传 .xlsx 格式的 Excel 文件。"),
            code="file_type",
            fields={"file": [_("格式错误")]},
        )
    check_upload_size(content)
    job = EntityImportJob.objects.create(
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        filename=filename[:255],
        content=content,
        default_crs=crs,
    )
    audit_record(
        actor=actor,
        action="entity.import_job",
        obj=job,
        after={"filename": job.filename, "bytes": len(content), "crs": crs},
    )
    return job


class _Superseded(Exception):
    """This attempt lost the job (the reaper gave it to another attempt, or its owner
    cancelled it): roll back."""


_RUNNING = (ImportJobStatus.VALIDATING, ImportJobStatus.WRITING)


def _job_claim(job_id: int) -> tuple[EntityImportJob, int] | None:
    """Take the job for one attempt: pending, or running with a stale heartbeat (its
    worker died and the queue delivered it again). A job already finished, or running
    with a live heartbeat in another worker, is left alone (None)."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=rules.get("core.job_stale_seconds"))
    with transaction.atomic():
        job = (
            EntityImportJob.objects.select_for_update(of=("self",))
            .select_related("created_by")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.finished:
            return None
        if job.running and job.heartbeat_at and job.heartbeat_at >= stale:
            return None
        job.attempts += 1
        job.status = ImportJobStatus.VALIDATING
        job.started_at = job.heartbeat_at = now
        job.processed_rows = job.written_rows = 0
        job.save(
            update_fields=[
                "attempts",
                "status",
                "started_at",
                "heartbeat_at",
                "processed_rows",
                "written_rows",
            ]
        )
    return job, job.attempts


class _Heartbeat:
    """Beat the job's heartbeat (and the rows written so far) from a thread with its own
    database connection while the worker runs the job: the write is one transaction, so
    its own connection could not show progress before the commit. A killed worker stops
    beating, and the reaper finds the job stale."""

    def __init__(self, job_id: int, attempt: int) -> None:
        self.job_id, self.attempt = job_id, attempt
        self.written = 0
        self._stop = threading.Event()
        self.interval = max(0.5, rules.get("core.job_stale_seconds") / 5)
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"beat-{job_id}")

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    EntityImportJob.objects.filter(
                        pk=self.job_id, attempts=self.attempt, status__in=_RUNNING
                    ).update(heartbeat_at=timezone.now(), written_rows=self.written)
                except Exception:  # SQLite locked by the write: beat again next time
                    log.debug("heartbeat of import job %s skipped", self.job_id, exc_info=True)
        finally:
            connection.close()


def import_job_run(job_id: int) -> EntityImportJob | None:
    """One attempt at a job (what the task runs): validate (progress saved as it goes,
    so the page can poll it), then write every row and mark the job done in ONE
    transaction, or nothing if any row is bad or the worker dies: a re-run starts clean.
    None when the job is not this attempt's to run (finished, or alive elsewhere)."""
    claimed = _job_claim(job_id)
    if claimed is None:
        return None
    job, attempt = claimed
    if getattr(settings, "ENVGRID_IMPORT_INLINE", False) or settings.ENVGRID_TASKS_IMMEDIATE:
        return _job_attempt(job, attempt, None)
    with _Heartbeat(job.pk, attempt) as beat:
        return _job_attempt(job, attempt, beat)


def _job_attempt(job: EntityImportJob, attempt: int, beat: _Heartbeat | None) -> EntityImportJob:
    actor = job.created_by
    mine = EntityImportJob.objects.filter(pk=job.pk, attempts=attempt)

    def progress(done: int, total: int) -> None:
        # Only while this attempt still owns a running job: a cancel (or a reaper that
        # handed the job on) stops the validation at its next batch.
        if not mine.filter(status__in=_RUNNING).update(
            processed_rows=done, total_rows=total, heartbeat_at=timezone.now()
        ):
            raise _Superseded

    def written(n: int) -> None:
        if beat is not None:
            beat.written = n
        # A cancel is committed by another connection: seen here at the next batch, and
        # the whole write transaction rolls back.
        if EntityImportJob.objects.filter(pk=job.pk, status=ImportJobStatus.CANCELLED).exists():
            raise _Superseded

    fields: dict[str, Any] = {}
    try:
        check_upload_size(job.content)
        rows, errors = validate_import(
            bytes(job.content), actor=actor, default_crs=job.default_crs, progress=progress
        )
        if errors:
            fields = {
                "status": ImportJobStatus.REFUSED,
                "errors": [e.as_dict() for e in errors],
                "message": _("%(n)d 处错误，未导入任何数据") % {"n": len(errors)},
            }
        elif not rows:
            fields = {"status": ImportJobStatus.REFUSED, "message": _("文件中没有数据行")}
        else:
            if not mine.filter(status__in=_RUNNING).update(
                status=ImportJobStatus.WRITING, heartbeat_at=timezone.now()
            ):
                raise _Superseded
            with transaction.atomic():
                created = import_write(actor=actor, rows=rows, progress=written)
                # Still this attempt's job? (A reaper may have handed it on.) The row lock
                # makes the check and the "done" one step with the write.
                locked = EntityImportJob.objects.select_for_update().get(pk=job.pk)
                if locked.attempts != attempt or locked.finished:
                    raise _Superseded
                mine.update(
                    status=ImportJobStatus.DONE,
                    created_count=len(created),
                    written_rows=len(created),
                    message=_("已导入 %(n)d 个监管对象") % {"n": len(created)},
                    finished_at=timezone.now(),
                )
            job.refresh_from_db()
            return job
    except _Superseded:
        log.warning(
            "entity import job %s attempt %s cancelled or superseded; rolled back", job.pk, attempt
        )
        job.refresh_from_db()
        return job
    except ApplicationError as exc:
        # A file refused by the parse limits (too large, too complex, too slow).
        fields = {"status": ImportJobStatus.FAILED, "message": exc.message}
    except Exception as exc:
        log.exception("entity import job %s failed", job.pk)
        fields = {
            "status": ImportJobStatus.FAILED,
            "message": _("处理失败：%s") % exc.__class__.__name__,
        }
    mine.filter(status__in=_RUNNING).update(finished_at=timezone.now(), **fields)
    job.refresh_from_db()
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import entity_import

    entity_import(job_id)


def import_job_start(job: EntityImportJob) -> None:
    """Hand the job to the task queue once the request commits (a worker runs it; the
    page polls the job), or run it inline when ENVGRID_IMPORT_INLINE or
    ENVGRID_TASKS_IMMEDIATE is set (tests, single-process tools)."""
    EntityImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    if getattr(settings, "ENVGRID_IMPORT_INLINE", False) or settings.ENVGRID_TASKS_IMMEDIATE:
        import_job_run(job.pk)
        return
    transaction.on_commit(lambda: _enqueue(job.pk))


@dataclass
class ReapResult:
    requeued: list[int]
    failed: list[int]


def import_jobs_reap(*, now: dt.datetime | None = None) -> ReapResult:
    """Find jobs whose worker died (pending or running, heartbeat older than
    ENVGRID_JOB_STALE_SECONDS): enqueue each again while it has attempts left, else mark
    it failed. Nothing of a dead attempt was written (the write is one transaction).
    Each job is taken by one conditional UPDATE, so two reapers never both act on it."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=rules.get("core.job_stale_seconds"))
    stale = EntityImportJob.objects.filter(
        status__in=(ImportJobStatus.PENDING, *_RUNNING), heartbeat_at__lt=cutoff
    )
    result = ReapResult(requeued=[], failed=[])
    for pk, attempts, status in stale.values_list("pk", "attempts", "status"):
        this = EntityImportJob.objects.filter(pk=pk, status=status, heartbeat_at__lt=cutoff)
        if attempts >= rules.get("core.job_max_attempts"):
            message = _("工作进程中断，已尝试 %(n)d 次，未导入任何数据") % {"n": attempts}
            if this.update(status=ImportJobStatus.FAILED, message=message, finished_at=now):
                audit_record(
                    actor=None,
                    action="entity.import_job_failed",
                    object_type=EntityImportJob._meta.label_lower,
                    object_id=pk,
                    before={"status": status, "attempts": attempts},
                    after={"status": ImportJobStatus.FAILED},
                )
                result.failed.append(pk)
        elif this.update(status=ImportJobStatus.PENDING, heartbeat_at=now):
            audit_record(
                actor=None,
                action="entity.import_job_requeue",
                object_type=EntityImportJob._meta.label_lower,
                object_id=pk,
                before={"status": status, "attempts": attempts},
                after={"status": ImportJobStatus.PENDING},
            )
            result.requeued.append(pk)
            if settings.ENVGRID_TASKS_IMMEDIATE:
                _enqueue(pk)  # inline (tests): run now, inside the caller's transaction
            else:
                transaction.on_commit(functools.partial(_enqueue, pk))
    return result


def import_job_retry(*, actor: Any, job: EntityImportJob) -> EntityImportJob:
    """The owner (or an administrator) runs a failed job again, from a clean start."""
    if not (
        job.created_by_id == getattr(actor, "pk", None) or getattr(actor, "is_superuser", False)
    ):
        raise PermissionDeniedError(_("只有导入人可以重试该任务。"))
    if job.status != ImportJobStatus.FAILED:
        raise ConflictError(
            _("只有处理失败的任务可以重试（当前：%s）。") % job.get_status_display(),
            code="job_not_failed",
        )
    with transaction.atomic():
        if not EntityImportJob.objects.filter(pk=job.pk, status=ImportJobStatus.FAILED).update(
            status=ImportJobStatus.PENDING,
            attempts=0,
            message="",
            errors=[],
            finished_at=None,
            processed_rows=0,
            written_rows=0,
            heartbeat_at=timezone.now(),
        ):
            raise ConflictError(_("该任务已在重试。"), code="job_not_failed")
        audit_record(
            actor=actor,
            action="entity.import_job_retry",
            obj=job,
            before={"status": ImportJobStatus.FAILED, "attempts": job.attempts},
            after={"status": ImportJobStatus.PENDING},
        )
        job.refresh_from_db()
        import_job_start(job)
    job.refresh_from_db()
    return job


_CANCELLABLE = (ImportJobStatus.PENDING, *_RUNNING)


def import_job_cancel(*, actor: Any, job: EntityImportJob) -> EntityImportJob:
    """The owner (or an administrator) cancels a queued or running job. A running attempt
    sees the cancel at its next batch or heartbeat and rolls back: nothing is written."""
    if not (
        job.created_by_id == getattr(actor, "pk", None) or getattr(actor, "is_superuser", False)
    ):
        raise PermissionDeniedError(_("只有导入人可以取消该任务。"))
    with transaction.atomic():
        locked = EntityImportJob.objects.select_for_update().defer("content").get(pk=job.pk)
        if locked.status not in _CANCELLABLE:
            raise ConflictError(
                _("只有排队中或进行中的任务可以取消（当前：%s）。") % locked.get_status_display(),
                code="job_not_cancellable",
            )
        before = locked.status
        EntityImportJob.objects.filter(pk=job.pk, status=before).update(
            status=ImportJobStatus.CANCELLED,
            message=_("已由 %s 取消，未导入任何数据") % (getattr(actor, "username", "") or "-"),
            finished_at=timezone.now(),
        )
    # Audited after the cancel commits (as core.jobs.job_cancel): the running attempt
    # holds the audit chain until it sees the cancel and rolls back.
    audit_record(
        actor=actor,
        action="entity.import_job_cancel",
        obj=job,
        before={"status": before, "attempts": locked.attempts},
        after={"status": ImportJobStatus.CANCELLED},
    )
    job.refresh_from_db()
    return job
