"""Patrol photos: type from content (filetype), size limit, stored under MEDIA_ROOT by
content hash, served only through a permission-checked view."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from envgrid.core.errors import ApplicationError

PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def photo_max_bytes() -> int:
    return int(getattr(settings, "ENVGRID_PATROL_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


@dataclass(frozen=True)
class StoredPhoto:
    path: str
    mime: str
    size: int
    sha256: str


def _reject(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"file": [message]})


def store_photo(upload: Any) -> StoredPhoto:
    if upload is None:
        raise _reject(_("请选择照片。"), "photo_required")
    limit = photo_max_bytes()
    if getattr(upload, "size", 0) and upload.size > limit:
        raise _reject(_("照片超过大小限制。"), "photo_too_large")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _reject(_("照片超过大小限制。"), "photo_too_large")
    if not data:
        raise _reject(_("照片为空。"), "photo_empty")
    kind = filetype.guess(data[:8192])
    if kind is None or kind.extension not in PHOTO_TYPES:
        raise _reject(_("只接受 JPEG、PNG 或 WebP 照片。"), "photo_type")
    sha = hashlib.sha256(data).hexdigest()
    path = f"patrols/photos/{sha[:2]}/{sha}.{kind.extension}"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))
    return StoredPhoto(path=path, mime=PHOTO_TYPES[kind.extension], size=len(data), sha256=sha)
