"""`{% load deadlines %}{% provisional_mark obligation %}`: the one mark every page puts next
to a deadline computed across a placeholder calendar year (issue 15, part 5).

It renders nothing for a deadline computed from official years, and a visible "暂定" with
an explanation naming the year(s) otherwise. It takes an obligation, or anything carrying
`provisional_years` (None renders nothing, so `{% provisional_mark r.obligation %}` is safe
where the obligation is optional).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


def provisional_years_of(obj: Any) -> list[int]:
    if obj is None:
        return []
    years = obj.get("provisional_years") if isinstance(obj, dict) else None
    if years is None:
        years = getattr(obj, "provisional_years", None)
    return [int(y) for y in years or []]


@register.simple_tag
def provisional_mark(obj: Any) -> SafeString | str:
    years = provisional_years_of(obj)
    if not years:
        return ""
    listed = "、".join(str(y) for y in years)
    explanation = _(
        "%(years)s 年的工作日历尚未按国务院通知录入（当前为占位日历），此期限为暂定；"
        "管理员录入正式日历后将自动重算并通知责任单位。"
    ) % {"years": listed}
    return format_html(
        '<abbr class="status status-provisional" title="{}" data-provisional-years="{}">{}</abbr>',
        explanation,
        listed,
        _("暂定"),
    )
