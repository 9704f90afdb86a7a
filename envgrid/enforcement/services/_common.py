"""Shared by the enforcement service modules: obligation kinds, the plan's editable fields and small checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from envgrid.core.errors import ApplicationError, ConflictError
from envgrid.grids.models import Grid
from envgrid.obligations.services import (
    users_of_unit,
)
from envgrid.org.models import LeadingGroup, Person
from envgrid.org.selectors import actor_for

from ..models import (
    EnforcementAction,
)

ACK_KIND = "enforcement.assignment.ack"
REPORT_KIND = "enforcement.assignment.report"
# The plan fields a writer may change (action_update), in the order the forms show them; the
# create and edit forms import this tuple rather than restating it.
ACTION_EDITABLE_FIELDS = (
    "title",
    "campaign_level",
    "campaign_doc_ref",
    "campaign_doc_title",
    "incident_at",
    "incident_place",
    "incident_type",
    "incident_level",
    "linkage_ref",
    "objectives",
    "start_date",
    "end_date",
    "schedule",
    "requirements",
)
PLAN_FIELDS = ACTION_EDITABLE_FIELDS


# -- small helpers -------------------------------------------------------------------


def _person(actor: Any) -> Person | None:
    return actor_for(actor).person


def _required(value: Any, field_name: str, label: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApplicationError(
            _("请填写%(label)s。") % {"label": label},
            code="required",
            fields={field_name: [_("必填")]},
        )


def _require_open(action: EnforcementAction) -> None:
    if not action.is_open:
        raise ConflictError(
            _("行动已%(status)s，不能再修改。") % {"status": action.get_status_display()},
            code="action_closed",
        )


def _require_status(action: EnforcementAction, *statuses: str, doing: str) -> None:
    if action.status not in statuses:
        raise ApplicationError(
            _("行动当前为“%(status)s”，不能%(doing)s。")
            % {"status": action.get_status_display(), "doing": doing},
            code="wrong_status",
            fields={"status": [action.status]},
        )


def _in_subtree(grid: Grid, root: Grid) -> bool:
    return grid.path.startswith(root.path)


def _leading_group_of_grid(grid: Grid) -> LeadingGroup | None:
    """The nearest leading group up the grid's chain (scopes nest down the tree)."""
    if grid.leading_group_id:
        return grid.leading_group
    ids = list(reversed(grid.ancestors_ids()))
    by_id = {g.pk: g for g in Grid.objects.filter(pk__in=ids).select_related("leading_group")}
    for gid in ids:
        g = by_id.get(gid)
        if g is not None and g.leading_group_id:
            return g.leading_group
    return None


def _link(action: EnforcementAction) -> str:
    return action.get_absolute_url()


def _unit_users(unit_ids: Iterable[int]) -> list[Any]:
    users: list[Any] = []
    for uid in set(unit_ids):
        users.extend(users_of_unit(uid))
    return users
