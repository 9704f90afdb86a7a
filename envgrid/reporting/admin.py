"""Administrator views of reports, schedules and due reports (read-mostly: the staff
pages and the API apply the rules and the audit; here records are inspected)."""

from django.contrib import admin

from envgrid.core.admin import EnvgridModelAdmin

from .models import Report, ReportDue, ReportEvent, ReportSchedule


class ReportEventInline(admin.TabularInline):
    model = ReportEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "action", "from_status", "to_status", "actor", "actor_name", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(EnvgridModelAdmin):
    list_display = ["number", "title", "report_type", "unit", "status", "submitted_at"]
    list_filter = ["report_type", "status"]
    search_fields = ["number", "title"]
    inlines = [ReportEventInline]
    readonly_fields = [f.name for f in Report._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportSchedule)
class ReportScheduleAdmin(EnvgridModelAdmin):
    list_display = ["name", "leading_group", "report_type", "frequency", "valid_from", "is_active"]
    list_filter = ["report_type", "frequency", "is_active"]
    readonly_fields = [f.name for f in ReportSchedule._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportDue)
class ReportDueAdmin(EnvgridModelAdmin):
    list_display = ["schedule", "unit", "period_key", "due_at", "submitted_at"]
    list_filter = ["schedule"]
    readonly_fields = [f.name for f in ReportDue._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
