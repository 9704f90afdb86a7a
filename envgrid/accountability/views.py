"""Staff pages of accountability (T6): proposals and findings with .xlsx exports, the
finding form opened from the overdue register, a proposal's page with its decision,
referral and .docx."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from envgrid.core.documents import docx_response
from envgrid.core.errors import ApplicationError
from envgrid.core.exports import xlsx_response
from envgrid.core.params import query_int
from envgrid.obligations.models import Obligation
from envgrid.obligations.policies import obligation_policy
from envgrid.org.models import Person, Unit, UnitKind
from envgrid.org.policies import unit_policy

from . import services
from .documents import proposal_document
from .models import (
    AccountabilityDecision,
    AccountabilityProposal,
    ConsequenceFinding,
    ConsequenceLevel,
    ProposalStatus,
)
from .policies import finding_policy, proposal_policy
from .selectors import finding_list, proposal_list
from .workflow import proposal_actions_available

PAGE_SIZE = 50


def _invalid(form: forms.Form) -> ApplicationError:
    fields = {k: [str(e) for e in v] for k, v in form.errors.items()}
    return ApplicationError(_("输入有误，请修改后重试。"), code="invalid", fields=fields)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    qs = proposal_list(user=request.user)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("问责建议"),
            [
                _("建议文号"),
                _("领导小组"),
                _("状态"),
                _("提出时间"),
                _("事项数"),
                _("决定"),
                _("决定文号"),
                _("决定时间"),
                _("移送编号"),
            ],
            (
                [
                    p.number,
                    p.leading_group.name,
                    p.get_status_display(),
                    p.proposed_at,
                    len(p.items),
                    p.get_decision_display() if p.decision else "",
                    p.decision_number,
                    p.decided_at,
                    p.referral_transfer.number if p.referral_transfer else "",
                ]
                for p in qs
            ),
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accountability/index.html", {"page": page})


@login_required
def findings(request: HttpRequest) -> HttpResponse:
    qs = finding_list(user=request.user)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("后果认定"),
            [
                _("认定文号"),
                _("逾期事项"),
                _("责任单位"),
                _("后果"),
                _("逾期天数"),
                _("事实"),
                _("证据"),
                _("认定时间"),
            ],
            (
                [
                    f.number,
                    f.obligation.title,
                    f.unit.name,
                    f.get_level_display(),
                    f.delay_days,
                    f.facts,
                    f.evidence,
                    f.recorded_at,
                ]
                for f in qs
            ),
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accountability/findings.html", {"page": page})


class FindingForm(forms.Form):
    level = forms.ChoiceField(label=_l("后果"), choices=ConsequenceLevel.choices)
    facts = forms.CharField(label=_l("事实"), widget=forms.Textarea, max_length=5000)
    evidence = forms.CharField(
        label=_l("证据"), widget=forms.Textarea, max_length=5000, required=False
    )


@login_required
def finding_new(request: HttpRequest) -> HttpResponse:
    ob_id = query_int(request.GET, "obligation", lo=1, hi=2**63 - 1, default=0)
    ob = obligation_policy.get_visible(
        request.user, ob_id, Obligation.objects.select_related("unit", "person")
    )
    form = FindingForm(request.POST or None)
    error = None
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            error, status = _invalid(form), 400
        else:
            try:
                finding = services.finding_record(
                    actor=request.user, obligation=ob, **form.cleaned_data
                )
            except ApplicationError as exc:
                if exc.status == 404:
                    raise
                error, status = exc, exc.status
            else:
                messages.success(request, _("已作出后果认定 %(n)s。") % {"n": finding.number})
                return redirect(finding.get_absolute_url())
    return render(
        request,
        "accountability/finding_form.html",
        {
            "ob": ob,
            "form": form,
            "error": error,
            "can_record": finding_policy.can_record(request.user, ob.unit_id),
        },
        status=status,
    )


def _finding_page(
    request: HttpRequest, finding: ConsequenceFinding, status: int = 200, error: Any = None
) -> HttpResponse:
    can_propose = (
        finding.level == ConsequenceLevel.SERIOUS
        and proposal_policy.is_office(request.user, _GroupOnly(finding.leading_group_id))
        and not finding.proposals.exclude(status=ProposalStatus.WITHDRAWN).exists()
    )
    return render(
        request,
        "accountability/finding_detail.html",
        {
            "f": finding,
            "ob": finding.obligation,
            "proposals": finding.proposals.all(),
            "can_propose": can_propose,
            "error": error,
        },
        status=status,
    )


class _GroupOnly:
    """What ProposalPolicy.is_office reads, for a finding not yet in a proposal."""

    def __init__(self, group_id: int) -> None:
        self.leading_group_id = group_id


@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = finding_policy.get_visible(
        request.user,
        pk,
        ConsequenceFinding.objects.select_related("obligation__person", "unit", "leading_group"),
    )
    return _finding_page(request, finding)


class ProposalForm(forms.Form):
    findings = forms.ModelMultipleChoiceField(
        label=_l("后果认定"), queryset=ConsequenceFinding.objects.all()
    )
    facts = forms.CharField(label=_l("事实"), widget=forms.Textarea, max_length=10000)
    units = forms.ModelMultipleChoiceField(
        label=_l("责任单位"), queryset=Unit.objects.all(), required=False
    )
    persons = forms.ModelMultipleChoiceField(
        label=_l("责任人员"), queryset=Person.objects.all(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only what the caller may see can be named (an unseen id is "not a valid choice").
        self.fields["findings"].queryset = finding_policy.scope(user)  # type: ignore[attr-defined]
        self.fields["units"].queryset = unit_policy.scope(user)  # type: ignore[attr-defined]


@login_required
@require_POST
def proposal_new(request: HttpRequest) -> HttpResponse:
    form = ProposalForm(request.POST, user=request.user)
    if not form.is_valid():
        error = _invalid(form)
        first = request.POST.get("findings")
        finding = finding_policy.scope(request.user).filter(pk=first or 0).first()
        if finding is None:
            return render(request, "web/error.html", {"error": error}, status=400)
        return _finding_page(request, finding, status=400, error=error)
    data = form.cleaned_data
    try:
        proposal = services.proposal_open(
            actor=request.user,
            findings=list(data["findings"]),
            facts=data["facts"],
            units=list(data["units"]) or None,
            persons=list(data["persons"]) or None,
        )
    except ApplicationError as exc:
        if exc.status == 404:
            raise
        return _finding_page(request, data["findings"][0], status=exc.status, error=exc)
    messages.success(request, _("已提出问责建议 %(n)s。") % {"n": proposal.number})
    return redirect(proposal.get_absolute_url())


def _proposal_page(
    request: HttpRequest, p: AccountabilityProposal, status: int = 200, error: Any = None
) -> HttpResponse:
    # The buttons are the kernel's table filtered by the caller's policy (issue 15 part 1).
    steps = proposal_actions_available(p, request.user)
    return render(
        request,
        "accountability/proposal_detail.html",
        {
            "p": p,
            "units": p.units.all(),
            "persons": p.persons.select_related("unit"),
            "findings": p.findings.select_related("obligation"),
            "events": p.events.select_related("actor"),
            "decisions": AccountabilityDecision.choices,
            "can_decide": "decide" in steps,
            "can_withdraw": "withdraw" in steps,
            "can_refer": "refer" in steps,
            "discipline_units": unit_policy.scope(request.user).filter(
                kind=UnitKind.DISCIPLINE, is_active=True
            )
            if "refer" in steps
            else [],
            "error": error,
        },
        status=status,
    )


def _proposal(request: HttpRequest, pk: int) -> AccountabilityProposal:
    return proposal_policy.get_visible(
        request.user,
        pk,
        AccountabilityProposal.objects.select_related(
            "leading_group__office_unit", "decided_by", "referral_case", "referral_transfer"
        ),
    )


@login_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = _proposal(request, pk)
    if request.GET.get("format") == "docx":
        return docx_response(proposal_document(p), p.number)
    return _proposal_page(request, p)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_l("决定"), choices=AccountabilityDecision.choices)
    reason = forms.CharField(label=_l("决定理由"), widget=forms.Textarea, max_length=5000)


class ReferForm(forms.Form):
    receiver_unit = forms.ModelChoiceField(
        label=_l("纪检监察机关"), queryset=Unit.objects.filter(is_active=True)
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_l("撤回原因"), max_length=500)


def _act(request: HttpRequest, pk: int, form_class: Any, fn: Any, done: str) -> HttpResponse:
    p = _proposal(request, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _proposal_page(request, p, status=400, error=_invalid(form))
    try:
        fn(actor=request.user, proposal=p, **form.cleaned_data)
    except ApplicationError as exc:
        if exc.status == 404:
            raise
        p = _proposal(request, pk)
        return _proposal_page(request, p, status=exc.status, error=exc)
    messages.success(request, done)
    return redirect("accountability:proposal_detail", pk=pk)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, DecideForm, services.proposal_decide, _("已记录领导小组决定。"))


@login_required
@require_POST
def refer(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, ReferForm, services.proposal_refer, _("已移送纪检监察机关。"))


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, WithdrawForm, services.proposal_withdraw, _("已撤回问责建议。"))
