"""Evidence upload checks: the file's content (magic bytes, via `filetype`) must be an
allowed document or image type and agree with its name; size is capped by settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

from envgrid.core.errors import ApplicationError

# Detected type → file name extensions it may carry.
ALLOWED: dict[str, tuple[str, ...]] = {
    "pdf": ("pdf",),
    "jpg": ("jpg", "jpeg"),
    "png": ("png",),
    "docx": ("docx",),
    "xlsx": ("xlsx",),
    "doc": ("doc",),
    "xls": ("xls",),
    "odt": ("odt",),
    "ods": ("ods",),
}


@dataclass(frozen=True)
class CheckedUpload:
    extension: str
    mime: str
    size: int
    sha256: str
    name: str


def check_upload(upload: Any) -> CheckedUpload:
    """Refuse anything that is not what it claims to be (an .exe renamed .pdf, a script)."""
    if upload is None:
        raise ApplicationError(
            _("请选择文件。"), code="file_required", fields={"file": [_("必填")]}
        )
    name = str(getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1][:255]
    size = int(getattr(upload, "size", 0) or 0)
    limit = int(getattr(settings, "FILE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
    if size <= 0:
        raise ApplicationError(_("文件为空。"), code="file_empty", fields={"file": [_("文件为空")]})
    if size > limit:
        raise ApplicationError(
            _("文件超过大小上限（%(mb)s MB）。") % {"mb": limit // (1024 * 1024)},
            code="file_too_large",
            fields={"file": [_("文件过大")]},
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind is None or kind.extension not in ALLOWED:
        raise ApplicationError(
            _("不支持的文件类型：仅接受 PDF、图片（JPG/PNG）和 Office 文档。"),
            code="file_type_refused",
            fields={"file": [_("文件类型不被接受")]},
        )
    if ext not in ALLOWED[kind.extension]:
        raise ApplicationError(
            _("文件内容（%(kind)s）与文件名后缀（%(ext)s）不符。")
            % {"kind": kind.extension, "ext": ext or "—"},
            code="file_type_mismatch",
            fields={"file": [_("内容与后缀不符")]},
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        extension=ext, mime=kind.mime, size=size, sha256=digest.hexdigest(), name=name
    )
