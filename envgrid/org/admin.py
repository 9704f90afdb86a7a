"""Admin for units, persons, leading groups and delegations; logins are linked to persons here.

Administrators only (core.admin); every change is audited; nothing is hard-deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from envgrid.core.admin import EnvgridAdminMixin, NoDeleteAdmin
from envgrid.core.audit import audit_record

from .models import Delegation, LeadingGroup, Person, TrainingRecord, Unit

User = get_user_model()


@admin.register(Unit)
class UnitAdmin(NoDeleteAdmin):
    list_display = ["code", "name", "short_name", "kind", "information_officer", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "short_name"]
    autocomplete_fields = ["parent", "information_officer"]


@admin.register(Person)
class PersonAdmin(NoDeleteAdmin):
    list_display = [
        "name",
        "unit",
        "title",
        "role",
        "user",
        "cert_number",
        "cert_valid_to",
        "is_active",
    ]
    list_filter = ["role", "is_active", "unit__kind"]
    search_fields = ["name", "title", "cert_number", "user__username", "unit__name"]
    autocomplete_fields = ["unit", "user"]
    list_select_related = ["unit", "user"]
    fieldsets = [
        (None, {"fields": ["name", "unit", "title", "phone", "public_phone", "is_active"]}),
        (_("账号与角色"), {"fields": ["user", "role"]}),
        (_("执法证"), {"fields": ["cert_number", "cert_valid_from", "cert_valid_to"]}),
    ]


@admin.register(LeadingGroup)
class LeadingGroupAdmin(NoDeleteAdmin):
    list_display = ["name", "leader", "office_unit", "office_director", "parent"]
    search_fields = ["name"]
    autocomplete_fields = ["parent", "leader", "office_unit", "office_director"]
    filter_horizontal = ["deputies", "member_units"]


@admin.register(Delegation)
class DelegationAdmin(NoDeleteAdmin):
    """Delegations are normally registered by the grantor through the API; the admin
    can correct them. Revocation keeps the row (revoked_at, reason)."""

    list_display = [
        "leading_group",
        "grantor",
        "grantee",
        "purpose",
        "scope",
        "valid_from",
        "valid_to",
        "revoked_at",
    ]
    list_filter = ["scope", "leading_group"]
    autocomplete_fields = ["leading_group", "grantor", "grantee"]


@admin.register(TrainingRecord)
class TrainingRecordAdmin(NoDeleteAdmin):
    """Training and assessment records (E5): audited like every admin change; a wrong
    record is voided (作废时间, 作废原因), never deleted."""

    list_display = ["person", "kind", "course", "hours", "held_on", "result", "voided_at"]
    list_filter = ["kind", "result", "person__unit"]
    search_fields = ["person__name", "course"]
    autocomplete_fields = ["person"]
    list_select_related = ["person"]
    date_hierarchy = "held_on"
    readonly_fields = ["recorded_by", "recorded_at"]


class PersonInline(admin.StackedInline):
    """The person a login belongs to (user accounts link to persons)."""

    model = Person
    fk_name = "user"
    extra = 0
    max_num = 1
    can_delete = False
    fields = ["name", "unit", "title", "role", "is_active"]
    autocomplete_fields = ["unit"]
    verbose_name = _("对应人员")
    verbose_name_plural = _("对应人员")


admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(EnvgridAdminMixin, UserAdmin):
    inlines = [PersonInline]
    list_display = ["username", "person_name", "is_active", "is_superuser", "last_login"]
    list_select_related = ["person"]

    @admin.display(description=_("对应人员"))
    def person_name(self, obj: Any) -> str:
        person = getattr(obj, "person", None)
        return str(person) if person is not None else "—"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A login is deactivated, never deleted: audit rows and history point at it.
        return False

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        # The password form saves outside save_model; record that it happened (never the hash).
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.get(pk=id)
            audit_record(actor=request.user, action="admin.auth.user.password", obj=user)
        return response
