"""Query-string filters for unit and person lists, shared by the API and the staff pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Person, PersonRole, Unit, UnitKind
from .policies import unit_policy
from .selectors import person_cert_filter

YES_NO = forms.Select(choices=[("", _("全部")), ("true", _("是")), ("false", _("否"))])

CERT_CHOICES = [
    ("valid_today", _("今日有效")),
    ("valid", _("有效")),
    ("expiring", _("即将到期")),
    ("expired", _("已过期")),
    ("not_yet", _("尚未生效")),
    ("none", _("无执法证")),
]


class UnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("关键词"))
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices, label=_("单位类型"))
    is_active = django_filters.BooleanFilter(label=_("启用"), widget=YES_NO)

    class Meta:
        model = Unit
        fields = ["q", "kind", "is_active"]

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(
            Q(name__icontains=value) | Q(short_name__icontains=value) | Q(code__icontains=value)
        )


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("关键词"))
    unit = django_filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("所属单位"))
    role = django_filters.ChoiceFilter(choices=PersonRole.choices, label=_("系统角色"))
    cert = django_filters.ChoiceFilter(
        choices=CERT_CHOICES, method="filter_cert", label=_("执法证")
    )
    is_active = django_filters.BooleanFilter(label=_("在岗"), widget=YES_NO)

    class Meta:
        model = Person
        fields = ["q", "unit", "role", "cert", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Offer (and accept) only the units the caller may see.
        user = getattr(self.request, "user", None)
        self.filters["unit"].queryset = unit_policy.scope(user)

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(
            Q(name__icontains=value) | Q(title__icontains=value) | Q(cert_number__icontains=value)
        )

    def filter_cert(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return person_cert_filter(qs, value, timezone.localdate())
