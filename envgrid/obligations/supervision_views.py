"""Staff pages of supervision (督办, D6): the register with .xlsx export, a notice's page
with its reply form and .docx, and the form the office or a leader issues one with."""

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

from envgrid.core.documents import docx_response
from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.org.models import Unit
from envgrid.org.selectors import actor_for

from . import supervision as services
from .documents import supervision_document
from .models import Supervision
from .policies import supervision_policy
from .supervision_export import register_xlsx

PAGE_SIZE = 50


def _visible() -> Any:
    return Supervision.objects.select_related(
        "issuer", "target", "subject_type", "response_obligation"
    )


@login_required
def supervision_register(request: HttpRequest) -> HttpResponse:
    items = supervision_policy.scope(request.user, _visible()).order_by("-issued_at")
    status = request.GET.get("status", "")
    if status in {"open", "responded", "closed"}:
        items = items.filter(status=status)
    if request.GET.get("format") == "xlsx":
        return register_xlsx(items)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "obligations/supervision_register.html",
        {
            "page": page,
            "status": status,
            "can_issue": supervision_policy.can_issue(request.user),
            "now": timezone.now(),
        },
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_l("办理情况"), max_length=8000, widget=forms.Textarea)


def _detail(
    request: HttpRequest,
    sup: Supervision,
    *,
    form: Any = None,
    status: int = 200,
    error: Any = None,
) -> HttpResponse:
    can_reply = sup.status == "open" and supervision_policy.can_reply(request.user, sup)
    return render(
        request,
        "obligations/supervision_detail.html",
        {
            "sup": sup,
            "subject_label": services.HAND_TARGETS.get(
                f"{sup.subject_type.app_label}.{sup.subject_type.model}"
                if sup.subject_type
                else "",
                "",
            ),
            "subject": sup.subject if sup.subject_type_id else None,
            "form": form or ReplyForm(),
            "can_reply": can_reply,
            "error": error,
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
def supervision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sup = supervision_policy.get_visible(request.user, pk, _visible())
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if not form.is_valid():
            return _detail(request, sup, form=form, status=400)
        try:
            services.supervision_reply(
                actor=request.user, supervision=sup, reply=form.cleaned_data["reply"]
            )
        except ApplicationError as exc:
            return _detail(request, sup, form=form, status=exc.status, error=exc)
        messages.success(request, _("已回复督办，回复期限已办结。"))
        return redirect("obligations:supervision-detail", pk=pk)
    return _detail(request, sup)


@login_required
def supervision_docx(request: HttpRequest, pk: int) -> HttpResponse:
    sup = supervision_policy.get_visible(request.user, pk, _visible())
    return docx_response(supervision_document(sup), f"督办通知书-{sup.number}")


class IssueForm(forms.Form):
    target_type = forms.ChoiceField(label=_l("督办对象类型"), choices=())
    target_id = forms.IntegerField(label=_l("督办对象编号"), min_value=1, max_value=2**31 - 1)
    addressee = forms.ModelChoiceField(label=_l("被督办单位"), queryset=Unit.objects.none())
    demand = forms.CharField(label=_l("督办要求"), max_length=4000, widget=forms.Textarea)
    reason = forms.CharField(
        label=_l("督办事由"), max_length=4000, required=False, widget=forms.Textarea
    )
    workdays = forms.IntegerField(
        label=_l("回复期限（工作日）"), min_value=1, max_value=60, initial=5
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target_type = self.fields["target_type"]
        assert isinstance(target_type, forms.ChoiceField)
        target_type.choices = [(k, str(v)) for k, v in services.HAND_TARGETS.items()]
        actor = actor_for(user)
        units = Unit.objects.filter(is_active=True).order_by("name")
        if not actor.is_admin:
            units = units.filter(pk__in=actor.overseen_unit_ids())
        addressee = self.fields["addressee"]
        assert isinstance(addressee, forms.ModelChoiceField)
        addressee.queryset = units


@login_required
def supervision_issue(request: HttpRequest) -> HttpResponse:
    if not supervision_policy.can_issue(request.user):
        raise PermissionDeniedError(
            _("只有领导小组办公室或领导可以下达督办通知。"), code="supervision_issue_denied"
        )
    if request.method == "POST":
        form = IssueForm(request.POST, user=request.user)
        error = None
        if form.is_valid():
            try:
                sup = services.supervision_issue_by_hand(actor=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                error = exc
            else:
                messages.success(request, _("督办通知已下达：%(n)s") % {"n": sup.number})
                return redirect("obligations:supervision-detail", pk=sup.pk)
        return render(
            request,
            "obligations/supervision_issue.html",
            {"form": form, "error": error},
            status=error.status if error is not None else 400,
        )
    form = IssueForm(
        initial={
            k: request.GET[k] for k in ("target_type", "target_id", "addressee") if k in request.GET
        },
        user=request.user,
    )
    return render(request, "obligations/supervision_issue.html", {"form": form, "error": None})
