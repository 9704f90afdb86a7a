"""Checking uploads by their content (filetype) and stripping metadata from photos.

Photos can carry the camera owner's name, the device serial and a GPS fix in EXIF/XMP
blocks; those are dropped before the file is stored. No image library is needed: the
blocks are removed at the container level (JPEG segments, PNG and WebP chunks)."""

from __future__ import annotations

import struct
import uuid

import filetype
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.errors import ApplicationError

EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
DOC_MIMES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
}


def sniff(data: bytes) -> str | None:
    kind = filetype.guess(data[:8192] if len(data) > 8192 else data)
    return kind.mime if kind is not None else None


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


_STRIPPERS = {"image/jpeg": _strip_jpeg, "image/png": _strip_png, "image/webp": _strip_webp}


def checked_photo(
    upload, *, max_bytes: int, allowed: tuple[str, ...]
) -> tuple[ContentFile, str, int]:
    """Read an uploaded photo, check its content, strip metadata; (file, mime, size)."""
    name = getattr(upload, "name", "") or "photo"
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ApplicationError(
            _("照片“%(name)s”超过 %(mb).1f MB。") % {"name": name, "mb": max_bytes / 1048576},
            code="photo_too_large",
            fields={"photos": [_("文件过大")]},
            status=413,
        )
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ApplicationError(
            _("照片“%(name)s”超过 %(mb).1f MB。") % {"name": name, "mb": max_bytes / 1048576},
            code="photo_too_large",
            fields={"photos": [_("文件过大")]},
            status=413,
        )
    mime = sniff(data)
    if mime not in allowed:
        raise ApplicationError(
            _("“%(name)s”不是可接受的照片（仅限 JPEG、PNG、WebP），已拒收。") % {"name": name},
            code="photo_type",
            fields={"photos": [_("文件类型不符")]},
            status=415,
        )
    try:
        clean = _STRIPPERS[mime](data)
    except (ValueError, struct.error):
        raise ApplicationError(
            _("照片“%(name)s”已损坏，无法读取。") % {"name": name},
            code="photo_corrupt",
            fields={"photos": [_("文件损坏")]},
        ) from None
    stored = f"{timezone.now():%Y%m}-{uuid.uuid4().hex}.{EXT[mime]}"
    return ContentFile(clean, name=stored), mime, len(clean)


def checked_document(upload, *, max_bytes: int) -> tuple[ContentFile, str]:
    """A published document (plan, notice): PDF or an office document, by content."""
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ApplicationError(_("文件过大。"), code="document_too_large", status=413)
    mime = sniff(data)
    if mime not in DOC_MIMES:
        raise ApplicationError(
            _("仅接受 PDF、DOCX、XLSX 或 ODT 文件（按文件内容判断）。"),
            code="document_type",
            fields={"document": [_("文件类型不符")]},
            status=415,
        )
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{DOC_MIMES[mime]}"), mime
