"""Forms of the staff UI: they parse shape only; the rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.widgets import LookupIdsField, SearchSelect
from envgrid.org.models import LeadingGroup, Person, Unit

from .models import AgendaKind, MeetingScope, ProblemKind, ReportInterval


class MeetingForm(forms.Form):
    leading_group = forms.ModelChoiceField(
        label=_("领导小组"), queryset=LeadingGroup.objects.none(), empty_label=None
    )
    scope = forms.ChoiceField(label=_("会议类别"), choices=MeetingScope.choices)
    title = forms.CharField(label=_("会议名称"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("会议时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("根据工作需要确定，无固定会期。"),
    )
    place = forms.CharField(label=_("会议地点"), max_length=200)
    convener = forms.ModelChoiceField(
        label=_("召集人"),
        queryset=Person.objects.none(),
        help_text=_("组长或副组长；办公室主任须有覆盖会议日期的委托授权。"),
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("参会单位"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("默认全体成员单位；议题关联对象涉及的单位会自动列入。"),
    )
    include_suggested = forms.BooleanField(
        label=_("自动列入议题相关单位"), required=False, initial=True
    )

    def __init__(
        self,
        *args: Any,
        groups: Any,
        conveners: Any,
        units: Any,
        convener_notes: dict[int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leading_group"].queryset = groups  # type: ignore[attr-defined]
        notes = convener_notes or {}

        def convener_label(p: Person) -> str:
            # Name, post and unit, and whether M4 lets them convene (meetings.services).
            who = "，".join(x for x in (p.title, p.unit.name) if x)
            note = notes.get(p.pk)
            return f"{p.name}（{who}）" + (f" — {note}" if note else "")

        self.fields["convener"].queryset = conveners  # type: ignore[attr-defined]
        self.fields["convener"].label_from_instance = convener_label  # type: ignore[attr-defined]
        self.fields["participants"].queryset = units  # type: ignore[attr-defined]


class AgendaItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("议题类型"), choices=AgendaKind.choices)
    problem_kind = forms.ChoiceField(
        label=_("问题类别"), choices=[("", "——"), *ProblemKind.choices], required=False
    )
    title = forms.CharField(label=_("议题"), max_length=300, required=False)
    description = forms.CharField(label=_("说明"), required=False, max_length=limits.LONG)
    link_decision = forms.TypedChoiceField(
        label=_("督办的决定事项"), required=False, coerce=int, empty_value=None, choices=[]
    )
    link_case = forms.IntegerField(
        label=_("关联案件"), required=False, widget=SearchSelect("cases")
    )
    # Typed references of other kinds, kept for callers that post them.
    link_ref = forms.CharField(label=_("其他关联对象"), required=False, max_length=100)

    def __init__(self, *args: Any, decision_choices: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["link_decision"].choices = [("", "——"), *decision_choices]  # type: ignore[attr-defined]


AgendaFormSet = forms.formset_factory(AgendaItemForm, extra=3, max_num=20)


class DecisionForm(forms.Form):
    text = forms.CharField(
        label=_("决定事项"), widget=forms.Textarea(attrs={"rows": 3}), max_length=limits.LONG
    )
    owners = forms.ModelMultipleChoiceField(
        label=_("承办单位"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    due_date = forms.DateField(label=_("完成时限"), widget=forms.DateInput(attrs={"type": "date"}))
    link_cases = LookupIdsField("cases", label=_("关联案件"), required=False)
    # Typed references of other kinds, kept for callers that post them.
    link_ref = forms.CharField(label=_("其他关联对象"), required=False, max_length=300)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = units  # type: ignore[attr-defined]


class ScheduleForm(forms.Form):
    leading_group = forms.ModelChoiceField(
        label=_("领导小组"), queryset=LeadingGroup.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("名称"), max_length=200)
    interval = forms.ChoiceField(label=_("报送周期"), choices=ReportInterval.choices)
    starts_on = forms.DateField(
        label=_("首个报告期起"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("须为某月1日；留空为本月1日。"),
    )
    due_workdays = forms.IntegerField(
        label=_("报告期结束后几个工作日内报送"), required=False, min_value=0, max_value=60
    )

    def __init__(self, *args: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leading_group"].queryset = groups  # type: ignore[attr-defined]


def parse_refs(text: str) -> list[tuple[str, str]]:
    """'cases.case:12, enforcement.action:3' → [("cases.case", "12"), ...]."""
    out = []
    for part in (text or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        type_label, _sep, pk = part.partition(":")
        out.append((type_label.strip(), pk.strip()))
    return out
