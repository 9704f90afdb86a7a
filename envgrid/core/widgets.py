"""Searchable selects (issue 20, part 4): a plain <select> that names the lookup endpoint
it searches. Without JavaScript it is an ordinary select while the list is short; when the
choices are many it carries only the chosen ones and web/envgrid.js puts a search box over
it that asks the endpoint (scoped by the policies, searching name, code, credit code and
pinyin initials)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _

#: Above this many choices the options are not all written into the page.
SHORT_LIST = 50


class _SearchMixin:
    choices: Any

    def __init__(self, kind: str, *args: Any, limit: int = SHORT_LIST, **kwargs: Any) -> None:
        self.kind = kind
        self.limit = limit
        super().__init__(*args, **kwargs)

    def _long(self) -> bool:
        qs = getattr(self.choices, "queryset", None)
        return qs is not None and qs[: self.limit + 1].count() > self.limit

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        long = self._long()
        if long:
            chosen = [v for v in self.format_value(value) if v.isdigit()]  # type: ignore[attr-defined]
            iterator = self.choices
            field = iterator.field
            options: list[tuple[Any, Any]] = []
            if not getattr(self, "allow_multiple_selected", False):
                options.append(("", field.empty_label or ""))
            options += [
                (obj.pk, field.label_from_instance(obj))
                for obj in iterator.queryset.filter(pk__in=chosen)
            ]
            saved, self.choices = self.choices, options
            try:
                context = super().get_context(name, value, attrs)  # type: ignore[misc]
            finally:
                self.choices = saved
        else:
            context = super().get_context(name, value, attrs)  # type: ignore[misc]
        wattrs = context["widget"]["attrs"]
        wattrs["data-lookup"] = reverse("lookup", args=[self.kind])
        wattrs["data-placeholder"] = _("输入名称、代码或拼音首字母搜索")
        wattrs["data-none"] = _("无匹配结果")
        wattrs["data-remove"] = _("移除")
        if long:
            wattrs["data-long"] = "1"
        return context


class SearchSelect(_SearchMixin, forms.Select):
    """One choice, searched."""


class SearchSelectMultiple(_SearchMixin, forms.SelectMultiple):
    """Several choices, searched; the chosen ones are listed under the box."""


class LookupIdsField(forms.Field):
    """Ids chosen in a searchable multiple select whose objects the form does not list
    (another app's, resolved and permission-checked by the service): a list of ints."""

    widget = SearchSelectMultiple

    def __init__(self, kind: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", SearchSelectMultiple(kind))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int]:
        if value in (None, "", [], ()):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return [int(v) for v in values if str(v).strip()]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("请从列表中选择。"), code="invalid") from None
