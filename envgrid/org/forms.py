"""Staff-page forms for units and persons: shape only; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Person, Unit
from .policies import person_policy, unit_policy
from .selectors import actor_for
from .services import PERSON_EDITABLE_FIELDS, UNIT_EDITABLE_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"


class ServiceModelForm(forms.ModelForm):
    """A ModelForm that only parses: it never touches `instance`. Model validation (unique
    codes, constraints) runs in the service, so each rule is checked in one place and its
    refusal carries a stable code; the view maps that refusal back onto the fields."""

    def _post_clean(self) -> None:
        pass


class UnitForm(ServiceModelForm):
    class Meta:
        model = Unit
        fields = list(UNIT_EDITABLE_FIELDS)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = unit_policy.scope(user)  # type: ignore[attr-defined]
        people = person_policy.scope(user)
        if self.instance.pk:
            people = people.filter(unit=self.instance)
        self.fields["information_officer"].queryset = people  # type: ignore[attr-defined]


class PersonForm(ServiceModelForm):
    class Meta:
        model = Person
        fields = list(PERSON_EDITABLE_FIELDS)
        widgets = {"cert_valid_from": DateInput(), "cert_valid_to": DateInput()}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor = actor_for(user)
        units = unit_policy.scope(user)
        if not actor.is_admin:
            units = units.filter(pk__in=actor.overseen_unit_ids())
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = data.get("cert_number")
        start, end = data.get("cert_valid_from"), data.get("cert_valid_to")
        if number and not (start and end):
            self.add_error("cert_valid_to", _("填写执法证号时须同时填写有效期起止日期。"))
        if (start or end) and not number:
            self.add_error("cert_number", _("填写有效期时须填写执法证号。"))
        if start and end and end < start:
            self.add_error("cert_valid_to", _("有效期止不能早于有效期起。"))
        return data
