"""Generic audited create/update used by simple services (complex ones call audit_record)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from .audit import audit_record, snapshot
from .errors import ApplicationError


def _validate(instance: models.Model) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        raise ApplicationError("; ".join(exc.messages), code="invalid", fields=fields) from exc


@transaction.atomic
def model_create(
    *,
    model: type[models.Model],
    actor: Any,
    action: str,
    data: dict[str, Any],
    m2m: dict[str, Any] | None = None,
) -> Any:
    instance = model(**data)
    _validate(instance)
    instance.save()
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)
    audit_record(actor=actor, action=action, obj=instance, after=snapshot(instance))
    return instance


@transaction.atomic
def model_update(
    *,
    instance: models.Model,
    actor: Any,
    action: str,
    data: dict[str, Any],
    m2m: dict[str, Any] | None = None,
) -> Any:
    # Lock the row so two concurrent edits cannot interleave their before/after.
    instance = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    before = snapshot(instance)
    changed = []
    for key, value in data.items():
        if getattr(instance, key) != value:
            setattr(instance, key, value)
            changed.append(key)
    _validate(instance)
    instance.save()
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)
    after = snapshot(instance)
    if changed or m2m:
        audit_record(actor=actor, action=action, obj=instance, before=before, after=after)
    return instance
