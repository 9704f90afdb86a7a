"""Uploads are size-checked while they stream in, before anything reads them whole.

Django keeps a large upload in a temporary file, and the views then ``upload.read()`` it:
a 300 MB post was written to disk and read into memory before any size check. This
handler, first in ``FILE_UPLOAD_HANDLERS``, refuses a request whose Content-Length is over
``ENVGRID_UPLOAD_MAX_REQUEST_BYTES`` before reading a byte of it, and any single file over
``FILE_UPLOAD_MAX_BYTES`` (or a body without a declared length over the request limit)
as soon as that many bytes have arrived. The refusal is :class:`UploadTooLarge`: a 413
``{code: "file_too_large", message, fields}`` for the API (an ApplicationError) and a
``RequestDataTooBig`` for Django's own handling (the CSRF check reads POST first).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

from .errors import ApplicationError


def max_file_bytes() -> int:
    return int(settings.FILE_UPLOAD_MAX_BYTES)


def max_request_bytes() -> int:
    return int(getattr(settings, "ENVGRID_UPLOAD_MAX_REQUEST_BYTES", 5 * max_file_bytes()))


class UploadTooLarge(ApplicationError, RequestDataTooBig):
    status = 413

    def __init__(self, limit: int) -> None:
        message = _("上传的文件过大（上限 %(mb)d MB），已拒绝。") % {"mb": limit // 2**20}
        super().__init__(message, code="file_too_large", fields={"file": [message]})


class SizeLimitUploadHandler(FileUploadHandler):
    """Counts bytes as they arrive and stops the upload at the limit."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.file_bytes = 0
        self.total_bytes = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length and content_length > max_request_bytes():
            raise UploadTooLarge(max_request_bytes())

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file_bytes = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.file_bytes += len(raw_data)
        self.total_bytes += len(raw_data)
        if self.file_bytes > max_file_bytes():
            raise UploadTooLarge(max_file_bytes())
        if self.total_bytes > max_request_bytes():
            raise UploadTooLarge(max_request_bytes())
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
