"""Template context for the staff shell: navigation, the actor, unread count."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (url name, label). Areas not built yet are skipped until their URL exists.
NAV: list[tuple[str, Any]] = [
    ("home", _("我的待办")),
    ("grids:map", _("网格")),
    ("entities:list", _("监管对象")),
    ("cases:list", _("案件移送")),
    ("meetings:list", _("联席会议")),
    ("enforcement:list", _("联合执法")),
    ("patrols:list", _("网格巡查")),
    ("reporting:dashboard", _("信息报送")),
    ("disclosure:manage", _("信息公开")),
    ("assessment:list", _("考核")),
    ("org:unit_list", _("单位")),
    ("org:person_list", _("人员")),
    ("obligations:register", _("逾期登记")),
    ("obligations:supervision-register", _("督办")),
    ("accountability:index", _("责任追究")),
]


def _nav(request: HttpRequest, leader: bool = False) -> list[dict[str, Any]]:
    items = []
    for name, label in NAV:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if name == "home" and leader:  # a leader's "/" is the overview
            url += "?view=tasks"
        active = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"url": url, "label": label, "active": active})
    return items


def shell(request: HttpRequest) -> dict[str, Any]:
    ctx: dict[str, Any] = {"synthetic_banner": settings.ENVGRID_SYNTHETIC_BANNER}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from envgrid.org.selectors import actor_for

        actor = actor_for(user)
        ctx["nav"] = _nav(request, leader=actor.is_leader and not actor.is_office)
        ctx["actor"] = actor
        ctx["unread_count"] = user.notifications.filter(read_at__isnull=True).count()
    return ctx
