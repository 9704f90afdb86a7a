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


def _calendar_state(year: Any) -> dict[str, Any]:
    return {
        "year": year.year,
        "notice_ref": year.notice_ref,
        "note": year.note,
        "official": year.official,
        "days": [
            {"date": d.date.isoformat(), "kind": d.kind, "name": d.name}
            for d in year.days.order_by("date")
        ],
    }


@transaction.atomic
def calendar_year_save(
    *,
    actor: Any,
    year: int,
    notice_ref: str,
    days: list[dict[str, Any]],
    note: str = "",
    replace: bool = True,
    official: bool = True,
) -> Any:
    """Add or correct one year of the State Council holiday notice (SPEC "Calendar").

    `days` is the whole list of exceptions for the year — holidays (rest days) and make-up
    working days (调休) — and replaces what was recorded before, so a correction is one call
    (replace=False refuses a year already recorded). Administrators only: every deadline
    in the system moves with this table. `official` is False for a placeholder entered
    before the notice is out (its deadlines are answered as 暂定); entering the year sends
    `calendar_changed`, which recomputes the live deadlines computed across it."""
    import datetime as dt

    from django.utils.translation import gettext as _

    from .errors import PermissionDeniedError
    from .models import CalendarDay, CalendarYear

    if not getattr(actor, "is_superuser", False):
        raise PermissionDeniedError(_("只有系统管理员可以维护工作日历。"))
    if not 1949 <= year <= 2200:
        raise ApplicationError(
            _("年份超出范围。"), code="year_invalid", fields={"year": [_("年份超出范围")]}
        )
    if not notice_ref.strip():
        raise ApplicationError(
            _("请填写国务院通知文号（或说明来源）。"),
            code="notice_ref_required",
            fields={"notice_ref": [_("必填")]},
        )
    seen: set[dt.date] = set()
    kinds = set(CalendarDay.Kind.values)
    for i, day in enumerate(days):
        date, kind = day.get("date"), day.get("kind")
        if not isinstance(date, dt.date) or date.year != year:
            raise ApplicationError(
                _("第 %(n)s 项日期不在 %(year)s 年内。") % {"n": i + 1, "year": year},
                code="day_outside_year",
                fields={"days": {str(i): {"date": [_("日期须在本年度内")]}}},
            )
        if date in seen:
            raise ApplicationError(
                _("日期 %(d)s 重复。") % {"d": date.isoformat()},
                code="day_duplicate",
                fields={"days": {str(i): {"date": [_("重复")]}}},
            )
        if kind not in kinds:
            raise ApplicationError(
                _("第 %(n)s 项类型无效。") % {"n": i + 1},
                code="day_kind_invalid",
                fields={"days": {str(i): {"kind": [_("须为 holiday 或 workday")]}}},
            )
        seen.add(date)
    record = CalendarYear.objects.select_for_update().filter(year=year).first()
    if record is not None and not replace:
        from .errors import ConflictError

        raise ConflictError(
            _("%(year)s 年的日历已录入；如需更正请使用更正（PUT）。") % {"year": year},
            code="calendar_year_exists",
            fields={"year": [_("已存在")]},
        )
    before = _calendar_state(record) if record is not None else None
    if record is None:
        record = CalendarYear(year=year)
    record.notice_ref = notice_ref.strip()
    record.note = note
    record.official = official
    record.save()  # bumps updated_at: every process's calendar cache reloads
    record.days.all().delete()
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(year=record, date=d["date"], kind=d["kind"], name=d.get("name", "")[:100])
            for d in sorted(days, key=lambda d: d["date"])
        ]
    )
    audit_record(
        actor=actor,
        action="calendar.year.update" if before is not None else "calendar.year.create",
        obj=record,
        before=before,
        after=_calendar_state(record),
    )
    from .calendar import calendar_changed

    calendar_changed.send(sender=CalendarYear, years=[year], actor=actor)
    return record
