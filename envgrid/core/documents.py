"""Document numbers (文号) in a configurable format, and .docx output helpers."""

from __future__ import annotations

import io
from urllib.parse import quote

from django.db import transaction
from django.http import HttpResponse

from .models import DocumentCounter

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@transaction.atomic
def document_number_next(*, kind: str, issuer_key: str, year: int, fmt: str, **extra: str) -> str:
    """Take the next serial for (kind, issuer, year) and format it, e.g.
    fmt="{prefix}〔{year}〕{seq}号" with prefix="站环移" gives 站环移〔2026〕12号."""
    counter, _ = DocumentCounter.objects.select_for_update().get_or_create(
        kind=kind, issuer_key=issuer_key, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return fmt.format(year=year, seq=counter.last, **extra)


def docx_response(document, filename: str) -> HttpResponse:
    buf = io.BytesIO()
    document.save(buf)
    response = HttpResponse(buf.getvalue(), content_type=DOCX_MIME)
    if not filename.endswith(".docx"):
        filename += ".docx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
