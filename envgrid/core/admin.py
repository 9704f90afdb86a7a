"""Django admin: administrators only, and every change made here is in the audit log.

The admin is the administrators' back office (setting up leading groups, linking logins
to persons, correcting the working-day calendar). Writes made here bypass the domain
services, so AuditedModelAdmin records them the same way the services do.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import rules
from .audit import audit_record, snapshot
from .models import AuditEvent, CalendarDay, CalendarYear, Notification, RuleOverride

# The admin site answers only to administrators (superusers); AdminOnlyMiddleware refuses
# everyone else before a view runs, and this makes the site itself agree.
admin.site.has_permission = lambda request: bool(  # type: ignore[method-assign]
    request.user.is_active and request.user.is_superuser
)
admin.site.site_header = _("网格化环境监管体系 · 系统管理")
admin.site.site_title = _("系统管理")
admin.site.index_title = _("系统管理")

# Fields never copied into the audit log (a password hash is not an audit fact).
SECRET_FIELDS = {"password"}


def _snap(obj: models.Model) -> dict[str, Any]:
    names = [f.name for f in obj._meta.concrete_fields if f.name not in SECRET_FIELDS]
    return snapshot(obj, names)


def _m2m(obj: models.Model) -> dict[str, list[int]]:
    return {
        f.name: sorted(getattr(obj, f.name).values_list("pk", flat=True))
        for f in obj._meta.many_to_many
    }


class AuditedAdminMixin:
    """Record admin creates, edits, deletions and inline changes as audit events
    ("admin.<app>.<model>.create|update|delete"), with before/after snapshots."""

    def _action(self, obj: models.Model, verb: str) -> str:
        return f"admin.{obj._meta.label_lower}.{verb}"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change and obj.pk is not None:
            old = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = _snap(old) if old is not None else None
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        audit_record(
            actor=request.user,
            action=self._action(obj, "update" if change else "create"),
            obj=obj,
            before=before,
            after=_snap(obj),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        obj = form.instance
        before = _m2m(obj) if change else {}
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        after = _m2m(obj)
        if after and after != before:
            audit_record(
                actor=request.user,
                action=self._action(obj, "relations"),
                obj=obj,
                before=before or None,
                after=after,
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        befores = {
            o.pk: _snap(o)
            for o in (getattr(f, "instance", None) for f in formset.initial_forms)
            if o is not None and o.pk is not None
        }
        instances = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            audit_record(
                actor=request.user,
                action=self._action(deleted, "delete"),
                obj=deleted,
                before=_snap(deleted),
            )
            deleted.delete()
        for inst in instances:
            existed = inst.pk is not None
            inst.save()
            audit_record(
                actor=request.user,
                action=self._action(inst, "update" if existed else "create"),
                obj=inst,
                before=befores.get(inst.pk) if existed else None,
                after=_snap(inst),
            )
        formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_record(
                actor=request.user, action=self._action(obj, "delete"), obj=obj, before=_snap(obj)
            )
            super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class EnvgridAdminMixin(AuditedAdminMixin):
    """The one base of every admin registered on the site (issue 15, part 4; a test walks
    admin.site._registry and proves it): every add and change is audited, and nothing is
    hard-deleted — no delete permission, no "delete selected" action, no delete box in an
    inline. Records are deactivated, withdrawn or cancelled through their services.

    A model that may be deleted here sets `delete_allowed_because` to the reason (it must
    be pure lookup data that no rule or record depends on); its deletions are audited by
    AuditedAdminMixin.delete_model. An inline opts in the same way."""

    delete_allowed_because: str = ""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self.delete_allowed_because:
            return False
        return bool(super().has_delete_permission(request, obj))  # type: ignore[misc]

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)  # type: ignore[misc]
        if not self.delete_allowed_because:
            actions.pop("delete_selected", None)
        return actions

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        inlines = super().get_inline_instances(request, obj)  # type: ignore[misc]
        for inline in inlines:
            if not getattr(inline, "delete_allowed_because", ""):
                inline.can_delete = False
        return inlines


class EnvgridModelAdmin(EnvgridAdminMixin, admin.ModelAdmin):
    """Base class for every ModelAdmin in envgrid (see EnvgridAdminMixin)."""


class ReadOnlyModelAdmin(EnvgridModelAdmin):
    """Records whose every write goes through a service (status tables, obligations,
    history and audit): administrators inspect them here, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Admins registered by Django and third-party apps before ours (they come first in
# INSTALLED_APPS) take the same base: audited, and no deletion unless justified here.
_THIRD_PARTY_DELETABLE = {
    # Revoking an API token is deleting it (DRF's authtoken keeps no revoked state); it is
    # a security act, not a rule record, and EnvgridAdminMixin.delete_model audits it.
    "authtoken.tokenproxy": "revoking an API token; audited",
    # Deleting a lockout counter unlocks a login (django-axes' own reset); audited.
    "axes.accessattempt": "unlocking a locked-out login; audited",
}


def _adopt_registered_admins() -> None:
    for model, model_admin in list(admin.site._registry.items()):
        if isinstance(model_admin, EnvgridAdminMixin):
            continue
        cls = type(model_admin)
        attrs: dict[str, Any] = {
            "__module__": __name__,
            "delete_allowed_because": _THIRD_PARTY_DELETABLE.get(model._meta.label_lower, ""),
            # Their own bulk actions (axes' "clean up expired attempts") delete unaudited.
            "actions": [],
        }
        admin.site.unregister(model)
        admin.site.register(model, type(cls.__name__, (EnvgridAdminMixin, cls), attrs))


# Kept under their old names: apps import them.
AuditedModelAdmin = EnvgridModelAdmin


class NoDeleteAdmin(EnvgridModelAdmin):
    """Nothing a rule depends on is hard-deleted (SPEC cross-cutting): deactivate instead."""


class CalendarDayFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        year = self.instance.year
        for form in self.forms:
            day = form.cleaned_data.get("date") if hasattr(form, "cleaned_data") else None
            if (
                day is not None
                and year
                and day.year != year
                and not form.cleaned_data.get("DELETE")
            ):
                form.add_error("date", _("日期须在本年度内。"))


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    # Correcting a year of the notice removes a wrongly entered day (the API's PUT replaces
    # the whole list the same way); the removal is audited by save_formset with its snapshot.
    delete_allowed_because = "calendar correction; audited by AuditedAdminMixin.save_formset"
    formset = CalendarDayFormSet
    extra = 3
    fields = ["date", "kind", "name"]
    ordering = ["date"]


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedModelAdmin):
    """Add or correct a year of the State Council holiday notice: each day listed here
    overrides the packaged calendar (holiday = rest day, workday = make-up working day)."""

    list_display = ["year", "notice_ref", "official", "n_days", "updated_at"]
    search_fields = ["notice_ref", "note"]
    inlines = [CalendarDayInline]

    @admin.display(description=_("调整天数"))
    def n_days(self, obj: CalendarYear) -> int:
        return obj.days.count()

    # save_model runs on every save and bumps updated_at, which is what tells every
    # process's calendar cache (core.calendar) to reload, even when only a day changed.

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """After the year and its days are saved: the live deadlines computed across the
        year (and across the year it was renumbered from) are recomputed (issue 15, part 5)."""
        super().save_related(request, form, formsets, change)
        from .calendar import calendar_changed

        years = {form.instance.year}
        if change and isinstance(form.initial.get("year"), int):
            years.add(form.initial["year"])
        calendar_changed.send(sender=CalendarYear, years=sorted(years), actor=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(EnvgridModelAdmin):
    """The audit log is append-only: readable here, never editable."""

    list_display = ["seq", "at", "actor_repr", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_repr", "object_id", "actor_repr"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(EnvgridModelAdmin):
    list_display = ["created_at", "recipient", "subject", "read_at"]
    list_filter = ["read_at"]
    search_fields = ["subject", "recipient__username"]
    raw_id_fields = ["recipient"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _overridable_choices() -> list[tuple[str, str]]:
    return [
        (r.key, f"{r.key} — {r.description_zh}") for r in rules.registered() if r.admin_override
    ]


class RuleOverrideForm(forms.ModelForm):
    key = forms.ChoiceField(label=_("规则"), choices=_overridable_choices)

    class Meta:
        model = RuleOverride
        fields = ["key", "value", "reason", "active"]
        help_texts = {
            "value": _(
                'JSON：数字 5、真假 true/false、文本 "…"、期限 ["workdays", 5]；'
                "取值范围见 docs/rules-config.md"
            ),
        }


@admin.register(RuleOverride)
class RuleOverrideAdmin(AuditedModelAdmin):
    """An administrator's value for a configurable rule (envgrid.core.rules): it wins over
    settings and the default. A value outside the rule's type or range is refused with the
    reason; security settings are not listed (settings/environment only). Nothing is
    deleted: an override no longer wanted is switched off (生效 unticked)."""

    form = RuleOverrideForm
    list_display = ["key", "value", "active", "current", "reason", "updated_at"]
    list_filter = ["active"]
    search_fields = ["key", "reason"]

    @admin.display(description=_("默认值"))
    def current(self, obj: RuleOverride) -> str:
        try:
            return rules.describe_value(rules.rule(obj.key).default)
        except KeyError:
            return "—"


_adopt_registered_admins()
