"""Staff shell pages: the obligations home page and the inbox."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.exports import xlsx_response
from envgrid.core.models import Notification
from envgrid.core.params import maybe_id
from envgrid.obligations.selectors import my_obligations


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
                    o.unit.name,
                    o.person.name if o.person else "",
                    o.start_event,
                    o.rule.describe(),
                    o.due_at,
                    o.get_status_display(),
                ]
                for o in items
            ),
        )
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(request, "web/home.html", {"page": page, "now": timezone.now()})


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
