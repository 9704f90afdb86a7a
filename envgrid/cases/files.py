"""Evidence files: type from content (never from the name), size limit, SHA-256, sanitised
names, content-addressed storage under MEDIA_ROOT (outside the web root).

A file is stored once per content (evidence/ab/<sha256>.<ext>), so a transfer's copy of an
evidence reference points at bytes that can never change under it."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from envgrid.core.errors import ApplicationError

# Detected type → MIME type. Settings may narrow or widen it (ENVGRID_EVIDENCE_TYPES).
DEFAULT_ALLOWED_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "mp4": "video/mp4",
}
_CHUNK = 64 * 1024
_HEAD = 8192  # what filetype inspects
_UNSAFE = re.compile(r"[^\w\-.()（）【】\[\] ]+", re.UNICODE)


def allowed_types() -> dict[str, str]:
    return dict(getattr(settings, "ENVGRID_EVIDENCE_TYPES", DEFAULT_ALLOWED_TYPES))


def max_bytes() -> int:
    return int(getattr(settings, "FILE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))


@dataclass(frozen=True)
class StoredFile:
    path: str
    original_name: str
    ext: str
    mime: str
    size: int
    sha256: str


def sanitize_name(name: str, ext: str) -> str:
    """A display name safe for headers and file systems: no directories, no control or
    shell characters, at most 80 characters of stem, and the extension of the real type."""
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFKC", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C")
    stem = _UNSAFE.sub("_", stem).strip(" ._")
    stem = re.sub(r"_+", "_", stem)[:80] or "evidence"
    return f"{stem}.{ext}"


def _reject(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"file": [message]})


def store_evidence_file(upload: Any, *, name: str | None = None) -> StoredFile:
    """Check and store one uploaded file (a Django UploadedFile or any file object)."""
    if upload is None:
        raise _reject(_("请选择要上传的证据文件。"), "file_required")
    limit = max_bytes()
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise _reject(
            _("文件超过大小限制（%(mb).1f MB）。") % {"mb": limit / 1024 / 1024}, "file_too_large"
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    digest = hashlib.sha256()
    head = b""
    size = 0
    chunks = (
        upload.chunks(_CHUNK)
        if hasattr(upload, "chunks")
        else iter(lambda: upload.read(_CHUNK), b"")
    )
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise _reject(
                _("文件超过大小限制（%(mb).1f MB）。") % {"mb": limit / 1024 / 1024},
                "file_too_large",
            )
        if len(head) < _HEAD:
            head += chunk[: _HEAD - len(head)]
        digest.update(chunk)
    if size == 0:
        raise _reject(_("文件为空。"), "file_empty")
    kind = filetype.guess(head)
    types = allowed_types()
    if kind is None or kind.extension not in types:
        raise _reject(
            _("不支持的文件类型（按文件内容识别）。允许：%(types)s。")
            % {"types": "、".join(sorted(types))},
            "file_type_not_allowed",
        )
    ext = kind.extension
    sha = digest.hexdigest()
    path = f"evidence/{sha[:2]}/{sha}.{ext}"
    if not default_storage.exists(path):
        if hasattr(upload, "seek"):
            upload.seek(0)
        path = default_storage.save(path, upload if isinstance(upload, File) else File(upload))
    return StoredFile(
        path=path,
        original_name=sanitize_name(name or getattr(upload, "name", "") or "", ext),
        ext=ext,
        mime=types[ext],
        size=size,
        sha256=sha,
    )


def content_file(data: bytes, name: str) -> ContentFile:
    """Wrap bytes as an upload (used by the demo and by other apps' one-step case_create)."""
    return ContentFile(data, name=name)
