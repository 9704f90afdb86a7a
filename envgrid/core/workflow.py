"""The one workflow kernel: a declared transition table per model and the one function
that moves a status — it locks the row, checks the table and the actor's policy, writes
the append-only history row and the audit event (STYLE rule 4; issue 15 part 1).

Each app declares its tables in its own `workflow.py` (`Workflow(...)` + `register`), and
the app's old `<noun>_transition` functions are thin wrappers over `transition()` here.
A move the table does not list is refused with the one stable code
`transition_not_allowed` (HTTP 409) whatever the model; `actions_available(obj, actor)`
answers which buttons a page shows, from the same table.

`core` imports no domain app: the apps register their workflows with this module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import limits
from .audit import audit_record, snapshot
from .errors import ApplicationError, ConflictError, PermissionDeniedError

# The source of a transition that creates the object (it has no status yet).
NEW = ""
# A target meaning "the status the object had before it entered the current one" (a
# returned jurisdiction transfer gives the case back as it was).
PREVIOUS = "__previous__"
# The one error code of a move the table does not allow.
NOT_ALLOWED = "transition_not_allowed"

# `who` of a move that is a cascade of another service (no actor check here); any other
# value is a role the workflow's `may` answers for.
SYSTEM = ""


@dataclass(frozen=True)
class Transition:
    """One row of a table: `action` moves an object from any of `sources` to `target`."""

    action: str
    sources: frozenset[str]
    target: str
    label: str | Promise = ""
    # Audit action; default "<workflow.audit_prefix>.<action>".
    audit_action: str = ""
    # Who may take it (see SYSTEM/CHANGE, or a role the workflow's `may` understands).
    who: str = SYSTEM
    note_required: bool = False
    # A datetime field stamped with the moment of the move.
    stamp: str | None = None

    # Older names the apps' tables used for the same things.
    @property
    def by(self) -> str:
        return self.who

    @property
    def verb(self) -> str:
        return self.action


def step(
    action: str,
    sources: Iterable[str],
    target: str,
    label: str | Promise = "",
    **kw: Any,
) -> Transition:
    return Transition(action, frozenset(str(s) for s in sources), str(target), label, **kw)


@dataclass
class Workflow:
    """A model's table and how its history and audit rows are written."""

    model: type[models.Model]
    transitions: tuple[Transition, ...]
    audit_prefix: str
    field: str = "status"
    # The append-only history model (a StatusHistory subclass) and its FK to the object.
    history: type[models.Model] | None = None
    history_subject: str = ""
    # Extra values for the history row (e.g. the assessment an evaluation belongs to).
    history_extra: Callable[[Any, Any], dict[str, Any]] | None = None
    # Fields the audit before/after record (None: every concrete field).
    audit_fields: list[str] | None = None
    # May `actor` take transition `t` on `obj`? Asked only for t.who != SYSTEM.
    may: Callable[[Any, Any, Transition], bool] | None = None
    # The status before the current one (for PREVIOUS targets).
    previous: Callable[[Any], str] | None = None
    # False where the history model's `action` is something else (an FK of old).
    history_action: bool = True
    by_action: dict[str, Transition] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.by_action = {}
        for t in self.transitions:
            # An action may appear once per source set; keep the first for lookups by name.
            self.by_action.setdefault(t.action, t)

    def status_of(self, obj: Any) -> str:
        return str(getattr(obj, self.field) or "") if obj.pk else NEW

    def allowed_from(self, status: str) -> list[Transition]:
        return [t for t in self.transitions if status in t.sources]

    def find(self, current: str, *, action: str | None, to: str | None) -> Transition | None:
        for t in self.transitions:
            if current not in t.sources:
                continue
            if action is not None and t.action != action:
                continue
            if to is not None and t.target != to and not (t.target == PREVIOUS and to == PREVIOUS):
                continue
            return t
        return None

    def label_of(self, status: str) -> str:
        f = self.model._meta.get_field(self.field)
        return str(dict(getattr(f, "choices", None) or []).get(status, status))


_WORKFLOWS: dict[type[models.Model], Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    _WORKFLOWS[workflow.model] = workflow
    return workflow


def workflow_for(obj_or_model: Any) -> Workflow:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    for klass in model.__mro__:
        if klass in _WORKFLOWS:
            return _WORKFLOWS[klass]
    raise LookupError(f"{model.__name__} has no workflow table")


def registered() -> dict[type[models.Model], Workflow]:
    """Every model with a transition table (the source scan test walks these)."""
    return dict(_WORKFLOWS)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _may(wf: Workflow, obj: Any, actor: Any, t: Transition) -> bool:
    if t.who == SYSTEM or _user(actor) is None:
        return True
    return wf.may(obj, actor, t) if wf.may is not None else True


def actions_available(obj: Any, actor: Any) -> list[Transition]:
    """The transitions `actor` may take on `obj` now: the page's buttons, from the table."""
    wf = workflow_for(obj)
    current = wf.status_of(obj)
    return [t for t in wf.allowed_from(current) if _may(wf, obj, actor, t)]


def refuse(wf: Workflow, current: str, *, action: str | None, to: str | None) -> ConflictError:
    t = wf.by_action.get(action or "")
    what = t.label if t is not None and t.label else (wf.label_of(to) if to else action)
    return ConflictError(
        _("当前状态为“%(status)s”，不能执行“%(action)s”。")
        % {"status": wf.label_of(current) if current else _("新建"), "action": what},
        code=NOT_ALLOWED,
        fields={"status": [current], "action": [action or to or ""]},
    )


@transaction.atomic
def transition(
    obj: Any,
    *,
    actor: Any,
    to: str | None = None,
    action: str | None = None,
    note: str = "",
    fields: dict[str, Any] | None = None,
    at: Any = None,
    refresh: bool = False,
    verb: str | None = None,
    history_fields: dict[str, Any] | None = None,
    audit_extra: dict[str, Any] | None = None,
    audit_repr: str | None = None,
) -> Any:
    """Move `obj` by `action` (or to status `to`) and return it.

    The row is locked (SELECT ... FOR UPDATE) and its stored status — not the caller's
    copy — is checked against the table, so the second of two concurrent moves is refused.
    With `refresh`, the caller's object is reloaded from the locked row first (for callers
    that hold a possibly stale copy and change nothing but `fields`). `verb` names the step
    in history and audit when several steps share one move (a petition's reply and link).
    """
    if action is None and to is None:
        raise TypeError("transition() needs action= or to=")
    wf = workflow_for(obj)
    model = wf.model
    if obj.pk:
        locked = model._default_manager.select_for_update().get(pk=obj.pk)
        if refresh:
            for f in model._meta.concrete_fields:
                setattr(obj, f.attname, getattr(locked, f.attname))
        else:
            setattr(obj, wf.field, getattr(locked, wf.field))
    current = wf.status_of(obj)
    if action is not None and action not in wf.by_action:
        raise ApplicationError(_("未知操作。"), code="unknown_action", fields={"action": [action]})
    t = wf.find(current, action=action, to=to)
    if t is None:
        raise refuse(wf, current, action=action, to=to)
    if not _may(wf, obj, actor, t):
        raise PermissionDeniedError(
            _("无权执行“%(action)s”。") % {"action": t.label or t.action},
            code="transition_forbidden",
        )
    if t.note_required and not note.strip():
        raise ApplicationError(
            _("“%(action)s”须填写说明。") % {"action": t.label or t.action},
            code="note_required",
            fields={"note": [_("必填")]},
        )
    target = t.target
    if target == PREVIOUS:
        target = wf.previous(obj) if wf.previous is not None else current
    when = at or timezone.now()
    before = snapshot(obj, fields=wf.audit_fields) if obj.pk else None
    for key, value in (fields or {}).items():
        setattr(obj, key, value)
    if t.stamp and t.stamp not in (fields or {}):
        setattr(obj, t.stamp, when)
    setattr(obj, wf.field, target)
    obj.save()
    name = verb or t.action
    if wf.history is not None:
        values: dict[str, Any] = {
            "from_status": current,
            "to_status": target,
            "at": when,
            "actor": _user(actor),
            "note": note,
        }
        if wf.history_action:
            values["action"] = name
        if wf.history_subject:
            values[wf.history_subject] = obj
        if wf.history_extra is not None:
            values.update(wf.history_extra(obj, actor))
        values.update(history_fields or {})
        wf.history._default_manager.create(**values)
    audit_record(
        actor=actor,
        action=(
            f"{wf.audit_prefix}.{verb}"
            if verb
            else (t.audit_action or f"{wf.audit_prefix}.{t.action}")
        ),
        obj=obj,
        object_repr=audit_repr,
        before=before,
        after=snapshot(obj, fields=wf.audit_fields) | (audit_extra or {}),
    )
    return obj


@transaction.atomic
def transition_many(
    objs: list[Any],
    *,
    to: str,
    actor: Any,
    at: Any = None,
    extras: dict[Any, dict[str, Any]] | None = None,
    audit_object_type: str,
    audit_object_id: str,
) -> None:
    """`transition` for many objects of one model at once (finalising a large group): the
    same table check for each, one UPDATE per source status guarded by that status (the
    row-level equivalent of the lock: a row moved meanwhile fails the batch), history rows
    in one insert, and one audit event for the batch listing each object's before/after."""
    if not objs:
        return
    wf = workflow_for(objs[0])
    moment = at or timezone.now()
    by_from: dict[str, list[Any]] = {}
    steps: dict[Any, Transition] = {}
    for obj in objs:
        current = wf.status_of(obj)
        t = wf.find(current, action=None, to=to)
        if t is None:
            raise refuse(wf, current, action=None, to=to)
        steps[obj.pk] = t
        by_from.setdefault(current, []).append(obj)
    for from_status, group in by_from.items():
        changed = wf.model._default_manager.filter(
            pk__in=[o.pk for o in group], **{wf.field: from_status}
        ).update(**{wf.field: to})
        if changed != len(group):  # someone moved one meanwhile: refuse the whole batch
            raise ConflictError(_("数据已被他人修改，请刷新后重试。"), code="concurrent_change")
    if wf.history is not None:
        rows = []
        for obj in objs:
            values: dict[str, Any] = {
                "from_status": wf.status_of(obj),
                "to_status": to,
                "at": moment,
                "actor": _user(actor),
            }
            if wf.history_action:
                values["action"] = steps[obj.pk].action
            if wf.history_subject:
                values[wf.history_subject] = obj
            if wf.history_extra is not None:
                values.update(wf.history_extra(obj, actor))
            rows.append(wf.history(**values))
        wf.history._default_manager.bulk_create(rows)
    first = steps[objs[0].pk]
    audit_record(
        actor=actor,
        action=f"{first.audit_action or f'{wf.audit_prefix}.{first.action}'}.batch",
        object_type=audit_object_type,
        object_id=audit_object_id,
        object_repr=f"{len(objs)} {wf.model._meta.model_name} → {to}",
        before={str(o.pk): {wf.field: wf.status_of(o)} for o in objs},
        after={str(o.pk): {wf.field: to, **((extras or {}).get(o.pk, {}))} for o in objs},
    )
    for obj in objs:
        setattr(obj, wf.field, to)


class StatusHistory(models.Model):
    """Append-only history of one workflow object: each move with who, when and why.

    Concrete subclasses add the FK to their object with `on_delete=PROTECT` (history is
    never lost with its subject) and keep their own table name."""

    from_status = models.CharField(gettext_lazy("原状态"), max_length=20, blank=True)
    to_status = models.CharField(gettext_lazy("新状态"), max_length=20, blank=True)
    action = models.CharField(gettext_lazy("操作"), max_length=40, blank=True)
    at = models.DateTimeField(gettext_lazy("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(gettext_lazy("说明"), max_length=limits.LONG, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]
