"""Writes of a case's evidence (SPEC T3: what a transfer carries)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from envgrid.core.audit import audit_record, snapshot

from ..files import store_evidence_file
from ..models import (
    Case,
    Evidence,
)
from ._common import _lock_case, _require_case_change, _require_not_final


def _evidence_add(*, actor: Any, case: Case, upload: Any, description: str = "") -> Evidence:
    stored = store_evidence_file(upload)
    ev = Evidence.objects.create(
        case=case,
        file=stored.path,
        original_name=stored.original_name,
        ext=stored.ext,
        mime=stored.mime,
        size=stored.size,
        sha256=stored.sha256,
        description=description[:300],
        uploaded_at=timezone.now(),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action="case.evidence_add",
        obj=case,
        after={"evidence": snapshot(ev)},
    )
    return ev


@transaction.atomic
def evidence_add(*, actor: Any, case: Case, upload: Any, description: str = "") -> Evidence:
    """Attach one evidence file to a case (type from content, size limit, SHA-256 kept)."""
    _require_case_change(actor, case)
    case = _lock_case(case)
    _require_not_final(case)
    return _evidence_add(actor=actor, case=case, upload=upload, description=description)
