"""Evidence upload checks (core.uploads): the file's content (magic bytes) must be an
allowed document or image type and agree with its name; size is capped by settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from envgrid.core.uploads import IMAGE_TYPES, OFFICE_TYPES, UploadRule
from envgrid.core.uploads import check_upload as core_check_upload

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
_MIME = {
    **OFFICE_TYPES,
    **IMAGE_TYPES,
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
# The assessment API's earlier name for a refused type; clients may switch on it.
EVIDENCE_RULE = UploadRule(
    purpose="assessment_evidence",
    types={ext: _MIME[ext] for ext in ALLOWED},
    check_name=ALLOWED,
    legacy_codes={"file_type_not_allowed": "file_type_refused"},
    status={"file_too_large": 413},
)


@dataclass(frozen=True)
class CheckedUpload:
    extension: str
    mime: str
    size: int
    sha256: str
    name: str


def check_upload(upload: Any) -> CheckedUpload:
    """Refuse anything that is not what it claims to be (an .exe renamed .pdf, a script)."""
    checked = core_check_upload(upload, EVIDENCE_RULE)
    upload.seek(0)
    name = str(getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1][:255]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else checked.ext
    return CheckedUpload(
        extension=ext, mime=checked.mime, size=checked.size, sha256=checked.sha256, name=name
    )
