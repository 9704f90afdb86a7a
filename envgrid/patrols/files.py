"""Patrol photos: checked by core.uploads (type from content, size limit), stored under
MEDIA_ROOT by content hash, served only through a permission-checked view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from envgrid.core.uploads import IMAGE_TYPES, UploadRule, check_upload, store_content_addressed

PHOTO_TYPES = dict(IMAGE_TYPES)

# The patrol API published these codes before core.uploads; clients may switch on them.
LEGACY_CODES = {
    "file_required": "photo_required",
    "file_too_large": "photo_too_large",
    "file_empty": "photo_empty",
    "file_type_not_allowed": "photo_type",
}
# Patrol photos answered 400 for every refusal; kept.
PHOTO_RULE = UploadRule(
    purpose="patrol_photo",
    types=PHOTO_TYPES,
    default_max_bytes=10 * 1024 * 1024,
    legacy_codes=LEGACY_CODES,
    status={},
)


@dataclass(frozen=True)
class StoredPhoto:
    path: str
    mime: str
    size: int
    sha256: str


def store_photo(upload: Any) -> StoredPhoto:
    checked = check_upload(upload, PHOTO_RULE)
    path = store_content_addressed(checked, "patrols/photos")
    return StoredPhoto(path=path, mime=checked.mime, size=checked.size, sha256=checked.sha256)
