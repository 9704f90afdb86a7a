"""Evidence files: checked by core.uploads (type from content, size, SHA-256, sanitised
name) and stored content-addressed under MEDIA_ROOT (outside the web root).

A file is stored once per content (evidence/ab/<sha256>.<ext>), so a transfer's copy of an
evidence reference points at bytes that can never change under it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile

from envgrid.core.uploads import OFFICE_TYPES, UploadRule, check_upload, store_content_addressed

# Detected type → MIME type. Settings may narrow or widen it (ENVGRID_EVIDENCE_TYPES).
DEFAULT_ALLOWED_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "pdf": OFFICE_TYPES["pdf"],
    "docx": OFFICE_TYPES["docx"],
    "xlsx": OFFICE_TYPES["xlsx"],
    "mp4": "video/mp4",
}


def evidence_rule() -> UploadRule:
    types = dict(getattr(settings, "ENVGRID_EVIDENCE_TYPES", DEFAULT_ALLOWED_TYPES))
    return UploadRule(purpose="case_evidence", types=types)


@dataclass(frozen=True)
class StoredFile:
    path: str
    original_name: str
    ext: str
    mime: str
    size: int
    sha256: str


def store_evidence_file(upload: Any, *, name: str | None = None) -> StoredFile:
    """Check and store one uploaded file (a Django UploadedFile or any file object)."""
    if upload is not None and name:
        upload.name = name
    checked = check_upload(upload, evidence_rule())
    return StoredFile(
        path=store_content_addressed(checked, "evidence"),
        original_name=checked.original_name,
        ext=checked.ext,
        mime=checked.mime,
        size=checked.size,
        sha256=checked.sha256,
    )


def content_file(data: bytes, name: str) -> ContentFile:
    """Wrap bytes as an upload (used by the demo and by other apps' one-step case_create)."""
    return ContentFile(data, name=name)
