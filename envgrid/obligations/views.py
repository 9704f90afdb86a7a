"""Staff pages: the overdue register (T6) with .xlsx export, all visible obligations, and
an obligation's page with its history and the hand actions the user may take."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from envgrid.core.errors import ApplicationError
from envgrid.core.exports import xlsx_response

from . import actions
from .annotations import annotate
from .filters import ObligationFilter, RegisterFilter
from .models import Obligation
from .policies import obligation_policy, supervision_policy
from .registry import workflow_owner
from .selectors import obligation_list, overdue_register

PAGE_SIZE = 50


def _provisional_cell(o: Obligation) -> str:
    """暂定 column: which placeholder or unknown years the deadline was computed across."""
    if not o.provisional:
        return str(_("否"))
    years = "、".join(str(y) for y in o.provisional_years)
    return str(_("是（%(years)s 年日历未正式录入）") % {"years": years})


def _rows(items: Any) -> Any:
    for o in items:
        yield [
            o.title,
            o.kind_label,
            o.unit.name,
            o.person.name if o.person else "",
            o.start_event,
            o.rule_text,
            o.started_at,
            o.due_at,
            _provisional_cell(o),
            o.get_status_display(),
            o.completed_at,
            _("是") if o.is_late else _("否"),
            o.escalated_to.name if o.escalated_to else "",
        ]


HEADERS = [
    _l("事项"),
    _l("事项类型"),
    _l("责任单位"),
    _l("责任人"),
    _l("起算事件"),
    _l("时限"),
    _l("起算时间"),
    _l("截止时间"),
    _l("暂定"),
    _l("状态"),
    _l("完成时间"),
    _l("逾期"),
    _l("升级至"),
]


def _list_page(
    request: HttpRequest, *, base: Any, filter_class: Any, template: str, filename: str
) -> HttpResponse:
    filt = filter_class(request.GET or None, queryset=base, request=request)
    if filt.is_bound and not filt.is_valid():
        return render(request, template, {"filter": filt, "page": None}, status=400)
    items = filt.qs.select_related("unit", "person", "escalated_to")
    if request.GET.get("format") == "xlsx":
        return xlsx_response(filename, [str(h) for h in HEADERS], _rows(items), title=filename)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    # Other apps' notes on these rows (accountability: consequences, proposals; T6).
    page.object_list = annotate(page.object_list)
    return render(request, template, {"filter": filt, "page": page, "now": timezone.now()})


@login_required
def register(request: HttpRequest) -> HttpResponse:
    """逾期登记 (T6): every item that went overdue, still open or completed late, with the
    unit and person responsible; the record accountability and assessment read."""
    return _list_page(
        request,
        base=overdue_register(user=request.user),
        filter_class=RegisterFilter,
        template="obligations/register.html",
        filename=_("逾期登记"),
    )


@login_required
def obligation_index(request: HttpRequest) -> HttpResponse:
    return _list_page(
        request,
        base=obligation_list(user=request.user).order_by("due_at"),
        filter_class=ObligationFilter,
        template="obligations/list.html",
        filename=_("办理时限"),
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    ob = obligation_policy.get_visible(
        request.user, pk, Obligation.objects.select_related("unit", "person", "escalated_to")
    )
    return _detail(request, ob)


def _detail(
    request: HttpRequest, ob: Obligation, status: int = 200, error: Any = None
) -> HttpResponse:
    live = ob.status in ("open", "overdue")
    # A workflow's obligation is discharged on the workflow's own page (issue 15 part 2):
    # no hand complete, pause or extend here, only a pointer to the action to take.
    owner = workflow_owner(ob.kind)
    can_approve = live and owner is None and obligation_policy.can_approve(request.user, ob)
    can_change = obligation_policy.can_change(request.user, ob)
    return render(
        request,
        "obligations/detail.html",
        {
            "ob": ob,
            "events": ob.events.select_related("actor"),
            "pauses": ob.pauses.select_related("approver"),
            "extensions": ob.extensions.select_related("approver"),
            "can_pause": can_approve and ob.paused_since is None,
            "can_extend": can_approve,
            "can_resume": ob.paused_since is not None and (can_approve or can_change),
            "can_complete": live and can_change and owner is None,
            "workflow_owner": owner if live else None,
            "can_supervise": live and supervision_policy.can_issue(request.user),
            "error": error,
            "now": timezone.now(),
        },
        status=status,
    )


class PauseForm(forms.Form):
    reason = forms.CharField(label=_l("暂停原因"), max_length=300)


class ExtendForm(forms.Form):
    amount = forms.IntegerField(label=_l("延长"), min_value=1, max_value=365)
    reason = forms.CharField(label=_l("延期原因"), max_length=300)


class CompleteForm(forms.Form):
    note = forms.CharField(label=_l("办理情况"), max_length=500)


def _act(request: HttpRequest, pk: int, fn: Any, done: str, form_class: Any = None) -> HttpResponse:
    ob = obligation_policy.get_visible(request.user, pk)
    kwargs: dict[str, Any] = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            fields = {k: [str(e) for e in v] for k, v in form.errors.items()}
            error = ApplicationError(_("输入有误，请修改后重试。"), code="invalid", fields=fields)
            return _detail(request, ob, status=400, error=error)
        kwargs = form.cleaned_data
    try:
        fn(user=request.user, obligation=ob, **kwargs)
    except ApplicationError as exc:
        if exc.status == 404:
            raise
        ob.refresh_from_db()
        return _detail(request, ob, status=exc.status, error=exc)
    messages.success(request, done)
    return redirect("obligations:detail", pk=pk)


@login_required
@require_POST
def pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, actions.obligation_pause_approve, _("已暂停计时。"), PauseForm)


@login_required
@require_POST
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, actions.obligation_resume_by, _("已恢复计时，截止时间已顺延。"))


@login_required
@require_POST
def extend(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, actions.obligation_extend_approve, _("已延期。"), ExtendForm)


@login_required
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, actions.obligation_complete_by, _("已办结。"), CompleteForm)
