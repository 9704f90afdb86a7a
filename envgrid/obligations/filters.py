"""Query-string filters for obligation lists and the overdue register (API and pages)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from envgrid.org.models import Unit
from envgrid.org.policies import unit_policy

from .labels import KIND_LABELS
from .models import Obligation, ObligationStatus

LATE_CHOICES = [("overdue", _("逾期未办结")), ("late_done", _("逾期后办结"))]
PROVISIONAL_CHOICES = [("true", _("暂定期限")), ("false", _("正式期限"))]


# The page offers the kind families by name; the API still accepts any dotted code.
KIND_WIDGET = forms.Select(choices=[("", _("全部")), *KIND_LABELS.items()])


class ObligationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("关键词"))
    status = django_filters.ChoiceFilter(choices=ObligationStatus.choices, label=_("状态"))
    kind = django_filters.CharFilter(method="filter_kind", label=_("事项类型"), widget=KIND_WIDGET)
    unit = django_filters.ModelChoiceFilter(queryset=Unit.objects.none(), label=_("责任单位"))
    due_after = django_filters.DateFilter(
        field_name="due_at", lookup_expr="date__gte", label=_("截止不早于")
    )
    due_before = django_filters.DateFilter(
        field_name="due_at", lookup_expr="date__lte", label=_("截止不晚于")
    )
    # Issue 15 part 5: deadlines computed across a placeholder or unknown calendar year.
    provisional = django_filters.ChoiceFilter(
        choices=PROVISIONAL_CHOICES, method="filter_provisional", label=_("暂定")
    )

    class Meta:
        model = Obligation
        fields = ["q", "status", "kind", "unit", "due_after", "due_before", "provisional"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["unit"].queryset = unit_policy.scope(getattr(self.request, "user", None))

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(Q(title__icontains=value) | Q(start_event__icontains=value))

    def filter_provisional(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(provisional=(value == "true"))

    def filter_kind(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        # Kinds are dotted ("transfer.feedback"): "transfer" selects the whole family.
        return qs.filter(Q(kind=value) | Q(kind__startswith=value + "."))


class RegisterFilter(ObligationFilter):
    late = django_filters.ChoiceFilter(choices=LATE_CHOICES, method="filter_late", label=_("类别"))

    class Meta(ObligationFilter.Meta):
        fields = ["q", "late", "kind", "unit", "due_after", "due_before", "provisional"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.filters["status"]

    def filter_late(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        if value == "overdue":
            return qs.filter(status=ObligationStatus.OVERDUE)
        return qs.filter(status=ObligationStatus.DONE, completed_late=True)
