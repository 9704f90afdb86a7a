"""Form shapes (400 on bad shape); the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits

from .models import (
    HazardKind,
    HazardLevel,
    HazardStatus,
    PetitionCategory,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


CRS_FORM_CHOICES = [
    ("wgs84", _("WGS84 / CGCS2000（地图选点、GPS）")),
    ("gcj02", _("GCJ-02（高德、腾讯地图）")),
    ("bd09", _("BD-09（百度地图）")),
]


class PetitionForm(forms.Form):
    category = forms.ChoiceField(label=_("问题类别"), choices=PetitionCategory.choices)
    description = forms.CharField(
        label=_("反映的问题"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("请描述时间、现象、污染来源等。请勿在此填写个人信息。"),
        max_length=limits.LONG,
    )
    place_text = forms.CharField(label=_("地点描述"), required=False, max_length=300)
    lon = forms.FloatField(label=_("经度"), min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("纬度"), min_value=-90, max_value=90)
    crs = forms.ChoiceField(label=_("坐标系"), choices=CRS_FORM_CHOICES, initial="wgs84")
    photos = MultipleFileField(
        label=_("照片（可选）"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    contact_name = forms.CharField(label=_("姓名（可选）"), required=False, max_length=100)
    contact_phone = forms.CharField(label=_("联系电话（可选）"), required=False, max_length=30)
    contact_email = forms.CharField(label=_("电子邮箱（可选）"), required=False, max_length=200)


class HazardForm(forms.Form):
    place = forms.CharField(label=_("地点"), max_length=200)
    lon = forms.FloatField(label=_("经度"), min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("纬度"), min_value=-90, max_value=90)
    kind = forms.ChoiceField(label=_("隐患类型"), choices=HazardKind.choices)
    level = forms.ChoiceField(label=_("隐患等级"), choices=HazardLevel.choices)
    status = forms.ChoiceField(label=_("状态"), choices=HazardStatus.choices)
    description = forms.CharField(
        label=_("隐患描述"), required=False, widget=forms.Textarea, max_length=limits.LONG
    )
    measures = forms.CharField(label=_("防控措施"), widget=forms.Textarea, max_length=limits.LONG)
    responsible_unit: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("责任单位"),
        queryset=None,
    )
    found_on = forms.DateField(label=_("发现日期"), widget=forms.DateInput(attrs={"type": "date"}))
    rectify_due = forms.DateField(
        label=_("整改期限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].queryset = units  # type: ignore[attr-defined]


class EmissionImportForm(forms.Form):
    title = forms.CharField(label=_("批次名称"), max_length=200)
    file = forms.FileField(label=_("数据文件（.xlsx 或 .csv）"))


class PlanForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=300)
    summary = forms.CharField(
        label=_("正文"), required=False, widget=forms.Textarea, max_length=limits.LONG
    )
    document = forms.FileField(label=_("方案文件（PDF/DOCX）"), required=False)
