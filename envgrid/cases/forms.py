"""Forms of the staff UI: shape only (types, choices, ids the user may name); the services
apply the rules and their errors are shown on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.widgets import SearchSelect, SearchSelectMultiple
from envgrid.org.models import Unit, UnitKind

from .coords import CoordSystem
from .models import CaseOutcome, CaseSource, CriminalDecision, TransferType

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _visible_units(user: Any) -> Any:
    from envgrid.org.policies import unit_policy

    return unit_policy.scope(user).filter(is_active=True).order_by("code")


def _entities(user: Any) -> Any:
    """The entities this user may see (a unit: those in its grids' subtree)."""
    from envgrid.entities.models import SupervisedEntity
    from envgrid.entities.policies import entity_policy

    return entity_policy.scope(user, SupervisedEntity.objects.order_by("name"))


class CaseForm(forms.Form):
    wide_fields = ("title", "address", "description", "facts", "evidence")

    title = forms.CharField(label=_("案件名称"), max_length=200)
    source = forms.ChoiceField(label=_("案件来源"), choices=CaseSource.choices)
    discovered_at = forms.DateTimeField(
        label=_("发现时间"), widget=DT_WIDGET, input_formats=DT_FORMATS
    )
    discovered_by_unit = forms.ModelChoiceField(
        label=_("发现单位（最先发现）"),
        queryset=Unit.objects.none(),
        required=False,
        widget=SearchSelect("units"),
    )
    reported_at = forms.DateTimeField(
        label=_("接报时间"), widget=DT_WIDGET, input_formats=DT_FORMATS, required=False
    )
    input_crs = forms.ChoiceField(
        label=_("坐标系"), choices=CoordSystem.choices, initial=CoordSystem.WGS84
    )
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    address = forms.CharField(label=_("违法行为发生地址"), max_length=300, required=False)
    description = forms.CharField(
        label=_("案情描述"), widget=forms.Textarea, required=False, max_length=limits.LONG
    )
    entity = forms.ModelChoiceField(
        label=_("违法主体（监管对象）"),
        queryset=Unit.objects.none(),
        required=False,
        widget=SearchSelect("entities"),
        help_text=_("按名称、统一社会信用代码或拼音首字母搜索"),
    )
    entity_name = forms.CharField(
        label=_("违法主体名称（非监管对象时填写）"), max_length=200, required=False
    )
    entity_uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    responsible_person = forms.CharField(label=_("违法责任人"), max_length=100, required=False)
    facts = forms.CharField(
        label=_("违法事实"), widget=forms.Textarea, required=False, max_length=limits.LONG
    )
    suspected_crime = forms.BooleanField(label=_("涉嫌犯罪"), required=False)
    detention_needed = forms.BooleanField(label=_("需行政拘留"), required=False)
    discipline_breach = forms.BooleanField(label=_("涉嫌违反党纪政纪"), required=False)
    evidence = MultipleFileField(label=_("证据材料"), required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["discovered_by_unit"].queryset = _visible_units(user)  # type: ignore[attr-defined]
        self.fields["entity"].queryset = _entities(user)  # type: ignore[attr-defined]


class CaseEditForm(CaseForm):
    reason = forms.CharField(
        label=_("修改说明（取消标记时必填）"), required=False, max_length=limits.LONG
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("source", "discovered_by_unit", "evidence"):
            del self.fields[name]


class TransferForm(forms.Form):
    wide_fields = ("reason", "proposal")

    transfer_type = forms.ChoiceField(label=_("移送类型"), choices=TransferType.choices)
    receiver_unit = forms.ModelChoiceField(
        label=_("接收单位"), queryset=Unit.objects.none(), widget=SearchSelect("units")
    )
    copy_to_unit = forms.ModelChoiceField(
        label=_("抄送单位（移送涉嫌犯罪案件须抄送检察院）"),
        queryset=Unit.objects.none(),
        required=False,
    )
    reason = forms.CharField(
        label=_("移送理由"), widget=forms.Textarea, required=False, max_length=limits.LONG
    )
    proposal = forms.CharField(
        label=_("处理建议"), widget=forms.Textarea, required=False, max_length=limits.LONG
    )
    feedback_required = forms.BooleanField(
        label=_("要求反馈查处结果"), required=False, initial=True
    )

    def __init__(
        self, *args: Any, user: Any = None, suggested: Unit | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        units = _visible_units(user)
        receivers = units
        if suggested is not None and suggested.is_active:
            # The unit the system suggests (the owner of the place's grid, a community
            # committee included) may be chosen even outside the sender's directory.
            receivers = Unit.objects.filter(
                Q(pk__in=units.values("pk")) | Q(pk=suggested.pk)
            ).order_by("code")
        self.fields["receiver_unit"].queryset = receivers  # type: ignore[attr-defined]
        self.fields["copy_to_unit"].queryset = units.filter(kind=UnitKind.PROCURATORATE)  # type: ignore[attr-defined]


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("结案方式"),
        choices=[
            (k, v)
            for k, v in CaseOutcome.choices
            if k not in (CaseOutcome.TRANSFERRED, CaseOutcome.DESIGNATED_ELSEWHERE)
        ],
    )
    note = forms.CharField(
        label=_("结案说明"), widget=forms.Textarea, required=False, max_length=limits.LONG
    )


class CriminalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("决定"), choices=[(k, v) for k, v in CriminalDecision.choices if k]
    )
    note = forms.CharField(
        label=_("说明（不予移送须写明理由）"), required=False, max_length=limits.LONG
    )


class DisputeForm(forms.Form):
    parties = forms.ModelMultipleChoiceField(
        label=_("争议对方单位"), queryset=Unit.objects.none(), widget=SearchSelectMultiple("units")
    )
    reason = forms.CharField(label=_("争议事由"), widget=forms.Textarea, max_length=limits.LONG)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = _visible_units(user)  # type: ignore[attr-defined]


class DesignateForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("指定管辖单位"), queryset=Unit.objects.none())
    reason = forms.CharField(label=_("指定理由"), widget=forms.Textarea, max_length=limits.LONG)

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()  # type: ignore[attr-defined]
