"""Staff-page forms: shape only; the services apply the rules (and their refusals are put
back on the fields by the views)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.grids.models import Grid
from envgrid.org.models import LeadingGroup, Unit
from envgrid.org.selectors import actor_for

from .models import Frequency, ReportDue, ReportType
from .policies import due_policy


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _due_label(due: ReportDue) -> str:
    return f"{due.schedule.name} · {due.period_key} · {due.unit.short_name or due.unit.name}"


class ReportForm(forms.Form):
    report_type = forms.ChoiceField(label=_("信息类型"), choices=ReportType.choices)
    title = forms.CharField(label=_("标题"), max_length=300)
    due = forms.ModelChoiceField(
        label=_("对应应报事项"), queryset=ReportDue.objects.none(), required=False
    )
    content = forms.CharField(
        label=_("正文"), widget=forms.Textarea, required=False, max_length=limits.HUGE
    )
    situation = forms.CharField(
        label=_("情况"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=limits.HUGE,
    )
    analysis = forms.CharField(
        label=_("分析"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=limits.HUGE,
    )
    recommendations = forms.CharField(
        label=_("建议"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=limits.HUGE,
    )
    grid = forms.ModelChoiceField(label=_("相关网格"), queryset=Grid.objects.none(), required=False)
    occurred_at = forms.DateTimeField(
        label=_("事件发生时间"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(label=_("地点"), max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, unit_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor = actor_for(user)
        unit_id = unit_id or actor.unit_id
        dues = (
            due_policy.scope(user)
            .filter(
                unit_id=unit_id, report__isnull=True, obligation__status__in=["open", "overdue"]
            )
            .select_related("schedule", "unit")
            .order_by("due_at")
        )
        due_field: Any = self.fields["due"]
        due_field.queryset = dues
        due_field.label_from_instance = _due_label
        grid_field: Any = self.fields["grid"]
        grid_field.queryset = Grid.objects.filter(is_active=True).order_by("path")


class ScheduleForm(forms.Form):
    leading_group = forms.ModelChoiceField(
        label=_("领导小组"), queryset=LeadingGroup.objects.none()
    )
    name = forms.CharField(label=_("报送要求"), max_length=200)
    report_type = forms.ChoiceField(label=_("信息类型"), choices=ReportType.choices)
    frequency = forms.ChoiceField(label=_("报送周期"), choices=Frequency.choices)
    due_workdays = forms.IntegerField(
        label=_("期满后第几个工作日前报送"), required=False, min_value=1
    )
    due_month = forms.IntegerField(label=_("固定截止月"), required=False, min_value=1, max_value=12)
    due_day = forms.IntegerField(label=_("固定截止日"), required=False, min_value=1, max_value=31)
    due_year_offset = forms.TypedChoiceField(
        label=_("截止年份"),
        choices=[(0, _("当年")), (1, _("次年"))],
        coerce=int,
        initial=0,
    )
    valid_from = forms.DateField(label=_("起始日期"), widget=DateInput())
    valid_to = forms.DateField(label=_("终止日期"), required=False, widget=DateInput())
    units = forms.ModelMultipleChoiceField(
        label=_("报送单位（不选=全部成员单位）"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    note = forms.CharField(
        label=_("说明"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limits.LONG,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor = actor_for(user)
        groups = LeadingGroup.objects.all()
        if not actor.is_admin:
            groups = groups.filter(pk__in=actor.office_group_ids)
        group_field: Any = self.fields["leading_group"]
        group_field.queryset = groups
        units_field: Any = self.fields["units"]
        units_field.queryset = Unit.objects.filter(leading_groups__in=groups).distinct()
