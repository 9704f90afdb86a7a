"""What a signed-in user may do to an obligation by hand, checked, then done by the service.

Workflows open and close their obligations through envgrid.obligations.services directly;
these wrappers are for people acting from the API and the staff pages: each looks the
obligation up through the caller's scope (unseen = 404), checks the policy (403) and
calls the one service that does the work.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.org.selectors import actor_for

from . import services
from .models import Obligation
from .policies import obligation_policy
from .registry import workflow_owner


def _approver(user: Any, ob: Obligation) -> Any:
    if not obligation_policy.can_approve(user, ob):
        raise PermissionDeniedError(
            _("暂停和延期须由领导小组办公室或领导批准，责任单位不能自行批准。"),
            code="approval_required",
        )
    person = actor_for(user).person
    if person is None:
        raise ApplicationError(
            _("批准人须为系统中登记的人员：请用关联了人员的账号操作。"),
            code="approver_required",
        )
    return person


def _require_free_standing(ob: Obligation, verb: str) -> None:
    """Issue 15 part 2: a workflow's obligation is discharged, paused or extended only by
    that workflow's own step; by hand it would leave the workflow pending while the sweep
    stops chasing it and the assessment counts it done on time."""
    owner = workflow_owner(ob.kind)
    if owner is None:
        return
    raise ConflictError(
        _("该事项由业务流程办理，不能在此%(verb)s：%(instead)s。")
        % {"verb": verb, "instead": owner.instead},
        code="obligation_workflow_owned",
        fields={"kind": [ob.kind], "instead": [str(owner.instead)]},
    )


def _visible(user: Any, obligation: Obligation | int) -> Obligation:
    pk = obligation.pk if isinstance(obligation, Obligation) else obligation
    return obligation_policy.get_visible(user, pk)


def obligation_pause_approve(*, user: Any, obligation: Obligation | int, reason: str) -> Obligation:
    ob = _visible(user, obligation)
    approver = _approver(user, ob)
    _require_free_standing(ob, _("暂停计时"))
    return services.obligation_pause(obligation=ob, actor=user, reason=reason, approver=approver)


def obligation_resume_by(*, user: Any, obligation: Obligation | int) -> Obligation:
    ob = _visible(user, obligation)
    # Ending a pause early only shortens the owing unit's time, so the unit may do it too.
    if not (obligation_policy.can_approve(user, ob) or obligation_policy.can_change(user, ob)):
        raise PermissionDeniedError(_("无权恢复计时。"))
    return services.obligation_resume(obligation=ob, actor=user)


def obligation_extend_approve(
    *, user: Any, obligation: Obligation | int, amount: int, reason: str
) -> Obligation:
    ob = _visible(user, obligation)
    approver = _approver(user, ob)
    _require_free_standing(ob, _("延期"))
    return services.obligation_extend(
        obligation=ob, actor=user, amount=amount, reason=reason, approver=approver
    )


def obligation_complete_by(*, user: Any, obligation: Obligation | int, note: str) -> Obligation:
    ob = _visible(user, obligation)
    if not obligation_policy.can_change(user, ob):
        raise PermissionDeniedError(_("只有责任单位或其领导小组办公室可以办结该事项。"))
    _require_free_standing(ob, _("办结"))
    if not note.strip():
        raise ApplicationError(
            _("请填写办理情况。"), code="note_required", fields={"note": [_("必填")]}
        )
    return services.obligation_complete(obligation=ob, actor=user, note=note)
