"""The register of supervision notices (督办台账) as .xlsx (every list comes out as .xlsx)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from envgrid.core.exports import xlsx_response

HEADERS = [
    _l("督办文号"),
    _l("督办单位"),
    _l("被督办单位"),
    _l("来源"),
    _l("督办事由"),
    _l("办理要求"),
    _l("督办时间"),
    _l("回复期限"),
    _l("状态"),
    _l("回复时间"),
    _l("办理情况"),
]


def register_rows(items: Any) -> Any:
    for s in items:
        ob = s.response_obligation
        yield [
            s.number,
            s.issuer.name,
            s.target.name,
            _("人工督办") if s.by_hand else _("规则督办"),
            s.reason,
            s.requirement,
            s.issued_at,
            ob.due_at if ob is not None else "",
            s.get_status_display(),
            s.responded_at,
            s.response,
        ]


def register_xlsx(items: Any) -> HttpResponse:
    return xlsx_response(
        _("督办台账.xlsx"), [str(h) for h in HEADERS], register_rows(items), title=_("督办台账")
    )
