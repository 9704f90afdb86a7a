"""Staff shell pages: the obligations home page and the inbox."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.exports import xlsx_response
from envgrid.core.models import Notification
from envgrid.core.params import maybe_id
from envgrid.obligations.selectors import my_obligations, obligation_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # Leaders (the district head, the deputies) open on the overview, not on every unit's
    # overdue reports; their own task list stays one menu click away (issue 20, part 6).
    if request.GET.get("view") != "tasks" and "format" not in request.GET:
        from envgrid.org.selectors import actor_for

        actor = actor_for(request.user)
        if actor.is_leader and not actor.is_office:
            return redirect("reporting:dashboard")
    items = my_obligations(user=request.user)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("我的待办"),
            [
                _("事项"),
                _("事项类型"),
                _("责任单位"),
                _("责任人"),
                _("起算事件"),
                _("时限"),
                _("截止时间"),
                _("状态"),
            ],
            (
                [
                    o.title,
                    o.kind_label,
                    o.unit.name,
                    o.person.name if o.person else "",
                    o.start_event,
                    o.rule_text,
                    o.due_at,
                    o.get_status_display(),
                ]
                for o in items
            ),
        )
    return render(request, "web/home.html", home_context(request.user))


SECTION_LIMIT = 25


def home_context(user: Any) -> dict[str, Any]:
    """The role home (issue 20, part 6): the unit's tasks by kind and due date; for the
    office also what needs it today and the overdue in its scope grouped by unit."""
    from envgrid.org.selectors import actor_for

    from .homes import group_tasks, office_queues, overdue_by_unit

    now = timezone.now()
    actor = actor_for(user)
    items = my_obligations(user=user)
    office = bool(actor.is_office and actor.unit_id)
    if office:
        # Items escalated to the office are counted per unit below, not listed one by one.
        items = items.filter(Q(unit_id=actor.unit_id) | Q(person=actor.person))
    groups = group_tasks(items[:2000], now)
    for section in groups.sections:
        section.more = max(0, section.count - SECTION_LIMIT)
        section.items = section.items[:SECTION_LIMIT]
    context: dict[str, Any] = {"groups": groups, "now": now, "is_office_home": office}
    if office:
        dispatch, approve = office_queues(user)
        by_unit = overdue_by_unit(obligation_list(user=user))
        context.update(
            dispatch=dispatch,
            approve=approve,
            overdue_units=by_unit,
            overdue_total=sum(u.count for u in by_unit),
        )
    return context


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        note = get_object_or_404(
            Notification, pk=maybe_id(request.POST.get("id")), recipient=request.user
        )
        if note.read_at is None:
            note.read_at = timezone.now()
            note.save(update_fields=["read_at"])
        return redirect(note.link or "inbox")
    page = Paginator(Notification.objects.filter(recipient_id=request.user.pk), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "web/inbox.html", {"page": page})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
