"""Shared by the meetings service modules: scope name, logger and small checks."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext as _

from envgrid.core.errors import (
    ApplicationError,
    NotFoundError,
    PermissionDeniedError,
)
from envgrid.org.selectors import actor_for

from ..models import (
    Meeting,
)
from ..policies import can_manage_meeting, meeting_policy

log = logging.getLogger("envgrid.meetings.services")

CONVENE_SCOPE = "meeting.convene"


def _required(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(
            message, code=f"{field_name}_required", fields={field_name: [_("必填")]}
        )
    return value


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _link_type(obj: models.Model | None) -> tuple[Any, str, str]:
    if obj is None:
        return None, "", ""
    return ContentType.objects.get_for_model(obj), str(obj.pk), str(obj)[:300]


def _require_manage(actor: Any, meeting: Meeting) -> None:
    if not meeting_policy.can_view(actor, meeting):
        raise NotFoundError(_("会议未找到，或无权查看。"))
    if not can_manage_meeting(actor_for(actor), meeting):
        raise PermissionDeniedError(
            _("只有会议的组织单位（领导小组办公室或召集单位）可以进行此操作。"),
            code="not_organiser",
        )
