"""Backup and restore of the whole database and the uploaded files, in one zip file.

Every concrete model's table is written row by row (JSON lines, primary keys kept) from
one consistent snapshot, together with every file under MEDIA_ROOT and the list of
applied migrations. Restore needs the same migrations, refuses a database that already
holds logins or audit rows unless forced, replaces every table inside one transaction
(foreign keys are checked at commit), and moves PostgreSQL sequences past the restored
ids. Rows keep their ids and timestamps to the microsecond, so the audit hash chain
verifies after a restore exactly as before.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from .errors import ApplicationError

FORMAT = "envgrid-backup"
VERSION = 1
BATCH = 1000


@dataclass
class BackupSummary:
    tables: int = 0
    rows: int = 0
    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def backup_models() -> list[type[models.Model]]:
    """Every model that owns a table (auto-created many-to-many tables included)."""
    out = []
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if opts.proxy or not opts.managed or opts.swapped:
            continue
        out.append(model)
    return sorted(out, key=lambda m: m._meta.label_lower)


def _fields(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.local_concrete_fields)


def _encode(value: Any) -> Any:
    # Full precision: the audit chain hashes timestamps to the microsecond.
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return {"__td__": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decode(f: models.Field, value: Any) -> Any:
    if value is None or isinstance(f, models.JSONField):
        return value
    if isinstance(value, dict) and "__td__" in value:
        days, seconds, micro = value["__td__"]
        return dt.timedelta(days=days, seconds=seconds, microseconds=micro)
    if isinstance(f, models.ForeignKey):
        return f.target_field.to_python(value)
    return f.to_python(value)


def table_rows(model: type[models.Model]) -> Iterator[list[Any]]:
    """The rows of `model`'s own table, ordered by primary key, as JSON-ready lists."""
    fields = _fields(model)
    qs = model._base_manager.order_by("pk").values_list(*[f.attname for f in fields])
    for row in qs.iterator(chunk_size=2000):
        yield [_encode(v) for v in row]


def applied_migrations() -> list[list[str]]:
    return sorted([list(k) for k in MigrationRecorder(connection).applied_migrations()])


def _media_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def backup_write(path: str | Path) -> BackupSummary:
    """Write the whole database and MEDIA_ROOT to the zip file at `path`."""
    path = Path(path)
    summary = BackupSummary()
    media_root = Path(settings.MEDIA_ROOT)
    tmp = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # One snapshot for every table, even while the site keeps writing.
                with connection.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            tables = []
            for model in backup_models():
                label = model._meta.label_lower
                n = 0
                digest = hashlib.sha256()
                with zf.open(f"data/{label}.jsonl", "w", force_zip64=True) as out:
                    for row in table_rows(model):
                        line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
                        digest.update(line)
                        out.write(line)
                        n += 1
                tables.append(
                    {
                        "model": label,
                        "table": model._meta.db_table,
                        "fields": [f.attname for f in _fields(model)],
                        "rows": n,
                        "sha256": digest.hexdigest(),
                    }
                )
                summary.counts[label] = n
                summary.rows += n
            migrations = applied_migrations()
        files = []
        for p in _media_files(media_root):
            rel = p.relative_to(media_root).as_posix()
            zf.write(p, f"media/{rel}")
            files.append(rel)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": timezone.now().isoformat(),
            "vendor": connection.vendor,
            "migrations": migrations,
            "tables": tables,
            "media": files,
        }
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    tmp.replace(path)
    summary.tables = len(tables)
    summary.files = len(files)
    return summary


def database_in_use() -> list[str]:
    """What makes the database not empty: logins or audit rows (a fresh `migrate` or a
    `flush` leaves neither)."""
    from django.contrib.auth import get_user_model

    from .models import AuditEvent

    found = []
    for model in (get_user_model(), AuditEvent):
        n = model._base_manager.count()
        if n:
            found.append(f"{model._meta.label_lower}: {n}")
    return found


def _read_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except KeyError as exc:
        raise ApplicationError(
            "不是 envgrid 备份文件（缺少 manifest.json）。", code="backup_invalid"
        ) from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ApplicationError("备份文件格式或版本不受支持。", code="backup_invalid")
    return manifest


def restore_read(path: str | Path, *, force: bool = False) -> BackupSummary:
    """Replace the whole database and MEDIA_ROOT's files with the backup at `path`."""
    path = Path(path)
    summary = BackupSummary()
    with zipfile.ZipFile(path) as zf:
        manifest = _read_manifest(zf)
        here = applied_migrations()
        if manifest["migrations"] != here:
            theirs = {tuple(m) for m in manifest["migrations"]}
            ours = {tuple(m) for m in here}
            raise ApplicationError(
                "备份与本数据库的迁移不一致：请用生成备份的版本恢复后再迁移。"
                f" 备份独有 {sorted(theirs - ours)[:5]}；本库独有 {sorted(ours - theirs)[:5]}",
                code="backup_migrations",
            )
        in_use = database_in_use()
        if in_use and not force:
            raise ApplicationError(
                "目标数据库不是空库（" + "，".join(in_use) + "）：请恢复到新迁移或已清空"
                "（flush）的数据库，或加 --force 覆盖全部数据。",
                code="backup_target_not_empty",
            )
        by_label = {m._meta.label_lower: m for m in backup_models()}
        missing = [t["model"] for t in manifest["tables"] if t["model"] not in by_label]
        if missing:
            raise ApplicationError(
                f"备份中的数据表在本系统中不存在：{missing}", code="backup_invalid"
            )
        with transaction.atomic():
            with connection.cursor() as cur:
                for model in by_label.values():
                    cur.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
            for table in manifest["tables"]:
                model = by_label[table["model"]]
                n = _load_table(zf, model, table)
                summary.counts[table["model"]] = n
                summary.rows += n
            connection.check_constraints(table_names=[m._meta.db_table for m in by_label.values()])
            sql = connection.ops.sequence_reset_sql(no_style(), list(by_label.values()))
            if sql:
                with connection.cursor() as cur:
                    for statement in sql:
                        cur.execute(statement)
        summary.tables = len(manifest["tables"])
        summary.files = _restore_media(zf, manifest["media"])
    return summary


def _load_table(zf: zipfile.ZipFile, model: type[models.Model], table: dict[str, Any]) -> int:
    by_attname = {f.attname: f for f in _fields(model)}
    fields = [by_attname[name] for name in table["fields"] if name in by_attname]
    unknown = [name for name in table["fields"] if name not in by_attname]
    if unknown:
        raise ApplicationError(
            f"{table['model']} 的字段 {unknown} 在本系统中不存在。", code="backup_invalid"
        )
    digest = hashlib.sha256()
    batch: list[models.Model] = []
    n = 0
    with zf.open(f"data/{table['model']}.jsonl") as src:
        for line in src:
            digest.update(line)
            values = json.loads(line)
            obj = model(**{f.attname: _decode(f, v) for f, v in zip(fields, values, strict=True)})
            batch.append(obj)
            n += 1
            if len(batch) >= BATCH:
                model._base_manager._insert(batch, fields=fields, raw=True)  # type: ignore[attr-defined]
                batch = []
    if batch:
        model._base_manager._insert(batch, fields=fields, raw=True)  # type: ignore[attr-defined]
    if n != table["rows"] or digest.hexdigest() != table["sha256"]:
        raise ApplicationError(
            f"{table['model']} 的数据与清单不符（文件损坏？）。", code="backup_corrupt"
        )
    return n


def _restore_media(zf: zipfile.ZipFile, names: list[str]) -> int:
    root = Path(settings.MEDIA_ROOT).resolve()
    count = 0
    for rel in names:
        target = (root / rel).resolve()
        if root not in target.parents:  # a crafted archive must not write outside MEDIA_ROOT
            raise ApplicationError(f"备份中的文件路径不安全：{rel}", code="backup_invalid")
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(f"media/{rel}") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        count += 1
    return count
