"""One check for every uploaded file (issue 19, part 1).

Each app describes what it accepts in an :class:`UploadRule` (the types, by content; the size
setting it reads; whether photos lose their metadata or are re-encoded) and calls
:func:`check_upload`, which answers a :class:`CheckedFile` or refuses with one of ONE set of
codes (see ``core/errors.py``):

============================  ======  =====================================================
code                          status  when
============================  ======  =====================================================
``file_required``             400     nothing was sent
``file_empty``                400     zero bytes
``file_too_large``            413     over the rule's size limit (declared or counted)
``file_type_not_allowed``     415     the content (magic bytes) is not an allowed type, or it
                                      disagrees with the name's extension (``check_name``)
``file_unreadable``           400     the bytes claim a type but cannot be parsed (a broken
                                      JPEG when metadata is to be stripped or re-encoded)
============================  ======  =====================================================

An app whose API already published other names for these refusals (``photo_type``,
``file_type_refused``…) passes them in ``legacy_codes``: the response keeps that ``code``
and carries the canonical one in ``canonical`` (docs/api.md, "Error codes").

Sizes come from one setting family: ``FILE_UPLOAD_MAX_BYTES`` (env ``ENVGRID_UPLOAD_MAX_BYTES``,
also the streaming limit of :mod:`core.upload_limits`) and, per purpose,
``ENVGRID_UPLOAD_MAX_BYTES_BY_PURPOSE = {"patrol_photo": …, "petition_photo": …}``; a
purpose never allows more than the streaming limit lets through anyway.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from envgrid.core import rules

from .errors import ApplicationError

_HEAD = 8192  # what filetype inspects
_UNSAFE = re.compile(r"[^\w\-.()（）【】\[\] ]+", re.UNICODE)

IMAGE_TYPES: dict[str, str] = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
OFFICE_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
}

# The canonical refusals of this module (all listed in core.errors.VOCABULARY).
FILE_REQUIRED = "file_required"
FILE_EMPTY = "file_empty"
FILE_TOO_LARGE = "file_too_large"
FILE_TYPE_NOT_ALLOWED = "file_type_not_allowed"
FILE_UNREADABLE = "file_unreadable"
_STATUS = {FILE_TOO_LARGE: 413, FILE_TYPE_NOT_ALLOWED: 415}


@dataclass(frozen=True)
class UploadRule:
    """What one kind of upload accepts.

    ``types`` maps the detected extension to the MIME type stored. ``purpose`` names the size
    setting (``ENVGRID_UPLOAD_MAX_BYTES_BY_PURPOSE[purpose]``, else ``default_max_bytes``, else
    ``FILE_UPLOAD_MAX_BYTES``). ``check_name`` maps a detected extension to the name extensions
    it may carry (refused otherwise). ``strip_metadata`` drops EXIF/XMP/text blocks from JPEG,
    PNG and WebP at the container level; ``reencode`` decodes and re-encodes the image with
    Pillow (which also drops every metadata block and anything hidden after the image)."""

    purpose: str
    types: Mapping[str, str]
    field: str = "file"
    default_max_bytes: int | None = None
    check_name: Mapping[str, tuple[str, ...]] | None = None
    strip_metadata: bool = False
    reencode: bool = False
    legacy_codes: Mapping[str, str] = dc_field(default_factory=dict)
    status: Mapping[str, int] = dc_field(default_factory=lambda: dict(_STATUS))


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    original_name: str  # sanitised, with the extension of the real type
    ext: str
    mime: str
    size: int
    sha256: str

    def as_content_file(self, name: str | None = None) -> ContentFile:
        return ContentFile(self.content, name=name or self.original_name)


def max_bytes(rule: UploadRule) -> int:
    by_purpose = rules.get("core.upload_max_bytes_by_purpose") or {}
    overall = int(getattr(settings, "FILE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
    if rule.purpose in by_purpose:
        return int(by_purpose[rule.purpose])
    if rule.default_max_bytes is not None:
        return min(int(rule.default_max_bytes), overall)
    return overall


def sanitize_name(name: str, ext: str, *, fallback: str = "file") -> str:
    """A display name safe for headers and file systems: no directories, no control or
    shell characters, at most 80 characters of stem, and the extension of the real type."""
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFKC", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C")
    stem = _UNSAFE.sub("_", stem).strip(" ._")
    stem = re.sub(r"_+", "_", stem)[:80] or fallback
    return f"{stem}.{ext}"


def sniff(data: bytes) -> filetype.Type | None:
    return filetype.guess(data[:_HEAD])


def refuse(rule: UploadRule, canonical: str, message: str, *, hint: str | None = None) -> None:
    code = rule.legacy_codes.get(canonical, canonical)
    raise ApplicationError(
        message,
        code=code,
        fields={rule.field: [hint or message]},
        status=rule.status.get(canonical, 400),
    )


def _read(upload: Any, limit: int) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "read"):
        return bytes(upload.read(limit + 1))
    return bytes(upload)[: limit + 1]


def check_upload(upload: Any, rule: UploadRule) -> CheckedFile:
    """Check one upload (a Django UploadedFile, any file object, or bytes) against ``rule``."""
    if upload is None:
        refuse(rule, FILE_REQUIRED, _("请选择要上传的文件。"), hint=_("必填"))
    name = str(getattr(upload, "name", "") or "")
    shown = os.path.basename(name.replace("\\", "/"))[:80] or _("文件")
    limit = max_bytes(rule)
    too_large = _("文件“%(name)s”超过大小上限（%(mb).1f MB）。") % {
        "name": shown,
        "mb": limit / 1048576,
    }
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        refuse(rule, FILE_TOO_LARGE, too_large, hint=_("文件过大"))
    data = _read(upload, limit)
    if len(data) > limit:
        refuse(rule, FILE_TOO_LARGE, too_large, hint=_("文件过大"))
    if not data:
        refuse(rule, FILE_EMPTY, _("文件“%(name)s”为空。") % {"name": shown}, hint=_("文件为空"))
    kind = sniff(data)
    if kind is None or kind.extension not in rule.types:
        refuse(
            rule,
            FILE_TYPE_NOT_ALLOWED,
            _("文件“%(name)s”的内容不是允许的类型（按文件内容识别）。允许：%(types)s。")
            % {"name": shown, "types": "、".join(sorted(rule.types))},
            hint=_("文件类型不被接受"),
        )
    assert kind is not None  # refuse() raised otherwise
    ext = kind.extension
    if rule.check_name is not None:
        given = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if given not in rule.check_name.get(ext, (ext,)):
            refuse(
                rule,
                FILE_TYPE_NOT_ALLOWED,
                _("文件内容（%(kind)s）与文件名后缀（%(ext)s）不符。")
                % {"kind": ext, "ext": given or "—"},
                hint=_("内容与后缀不符"),
            )
    mime = rule.types[ext]
    if rule.reencode or rule.strip_metadata:
        transform: Callable[[bytes], bytes] | None = (
            (lambda b: reencode_image(b, mime)) if rule.reencode else STRIPPERS.get(mime)
        )
        if transform is not None:
            try:
                data = transform(data)
            except (ValueError, OSError, struct.error):
                refuse(
                    rule,
                    FILE_UNREADABLE,
                    _("文件“%(name)s”已损坏，无法读取。") % {"name": shown},
                    hint=_("文件损坏"),
                )
    return CheckedFile(
        content=data,
        original_name=sanitize_name(name, ext),
        ext=ext,
        mime=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def store_content_addressed(checked: CheckedFile, prefix: str) -> str:
    """Store once per content at ``prefix/ab/<sha256>.<ext>``; the stored path."""
    path = f"{prefix}/{checked.sha256[:2]}/{checked.sha256}.{checked.ext}"
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(checked.content))
    return path


# -- metadata: container-level stripping (no image library) and re-encoding (Pillow) -------


def _strip_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    out = bytearray(b"\xff\xd8")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError("bad JPEG marker")
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[i:]
            return bytes(out)
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        segment = data[i : i + 2 + length]
        # Keep JFIF (APP0) and Adobe (APP14, colour transform); drop other APPn and COM.
        if not ((0xE1 <= marker <= 0xEF and marker != 0xEE) or marker == 0xFE):
            out += segment
        i += 2 + length
    raise ValueError("truncated JPEG")


_PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def _strip_png(data: bytes) -> bytes:
    sig = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(sig):
        raise ValueError("not a PNG")
    out = bytearray(sig)
    i = len(sig)
    while i + 8 <= len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        ctype = data[i + 4 : i + 8]
        chunk = data[i : i + 12 + length]
        if len(chunk) < 12 + length:
            raise ValueError("truncated PNG")
        if ctype not in _PNG_DROP:
            out += chunk
        i += 12 + length
        if ctype == b"IEND":
            return bytes(out)
    raise ValueError("truncated PNG")


def _strip_webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP")
    chunks = []
    i = 12
    while i + 8 <= len(data):
        ctype = data[i : i + 4]
        (length,) = struct.unpack("<I", data[i + 4 : i + 8])
        padded = length + (length & 1)
        body = data[i + 8 : i + 8 + padded]
        if ctype not in (b"EXIF", b"XMP "):
            if ctype == b"VP8X" and body:
                body = bytes([body[0] & ~0x0C]) + body[1:]  # clear the EXIF and XMP flags
            chunks.append(ctype + data[i + 4 : i + 8] + body)
        i += 8 + padded
    payload = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


STRIPPERS: dict[str, Callable[[bytes], bytes]] = {
    "image/jpeg": _strip_jpeg,
    "image/png": _strip_png,
    "image/webp": _strip_webp,
}
strip_metadata = STRIPPERS  # the name other modules used

_PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def reencode_image(data: bytes, mime: str) -> bytes:
    """Decode and re-encode an image (Pillow): only the pixels survive. Applies the EXIF
    orientation first so that a rotated photo still shows upright without its EXIF."""
    from PIL import Image, ImageOps  # deferred: only the uploads that ask for it pay the import

    fmt = _PIL_FORMAT.get(mime)
    if fmt is None:
        raise ValueError("not an image")
    Image.MAX_IMAGE_PIXELS = 60_000_000  # a decompression bomb is refused, not decoded
    out = io.BytesIO()
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            clean = ImageOps.exif_transpose(img)
            if fmt == "JPEG" and clean.mode not in ("RGB", "L"):
                clean = clean.convert("RGB")
            options: dict[str, Any] = {"quality": 90} if fmt != "PNG" else {}
            clean.save(out, format=fmt, **options)
    except Exception as exc:  # Pillow raises many kinds for a broken or hostile image
        raise ValueError(f"undecodable image: {exc}") from exc
    return out.getvalue()
