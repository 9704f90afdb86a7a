"""Petition photos and published documents, checked by core.uploads (type by content).

Photos can carry the camera owner's name, the device serial and a GPS fix in EXIF/XMP
blocks; those are dropped before the file is stored (core.uploads strips them at the
container level: JPEG segments, PNG and WebP chunks)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from envgrid.core.uploads import IMAGE_TYPES, OFFICE_TYPES, UploadRule, check_upload

EXT = {mime: ext for ext, mime in IMAGE_TYPES.items()}
DOC_MIMES = {mime: ext for ext, mime in OFFICE_TYPES.items()}

# The petition API published these codes before core.uploads; clients may switch on them.
PHOTO_LEGACY_CODES = {
    "file_too_large": "photo_too_large",
    "file_type_not_allowed": "photo_type",
    "file_unreadable": "photo_corrupt",
}
DOCUMENT_LEGACY_CODES = {
    "file_too_large": "document_too_large",
    "file_type_not_allowed": "document_type",
}


def checked_photo(
    upload: Any, *, max_bytes: int, allowed: tuple[str, ...]
) -> tuple[ContentFile, str, int]:
    """Read an uploaded photo, check its content, strip metadata; (file, mime, size)."""
    rule = UploadRule(
        purpose="petition_photo",
        types={ext: mime for ext, mime in IMAGE_TYPES.items() if mime in allowed},
        field="photos",
        default_max_bytes=max_bytes,
        strip_metadata=True,
        legacy_codes=PHOTO_LEGACY_CODES,
    )
    checked = check_upload(upload, rule)
    stored = f"{timezone.now():%Y%m}-{uuid.uuid4().hex}.{checked.ext}"
    return checked.as_content_file(stored), checked.mime, checked.size


def checked_document(upload: Any, *, max_bytes: int) -> tuple[ContentFile, str]:
    """A published document (plan, notice): PDF or an office document, by content."""
    rule = UploadRule(
        purpose="document",
        types=OFFICE_TYPES,
        field="document",
        default_max_bytes=max_bytes,
        legacy_codes=DOCUMENT_LEGACY_CODES,
    )
    checked = check_upload(upload, rule)
    return checked.as_content_file(f"{uuid.uuid4().hex}.{checked.ext}"), checked.mime
