"""Staff UI of case transfer: case list and page (one timeline), forms to register,
transfer, accept, return, complete and feed back, a unit's transfer inbox and outbox,
disputes, and the T6 overdue register. Views parse, call one service and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from envgrid.core.errors import ApplicationError, NotFoundError
from envgrid.core.params import maybe_id, query_year
from envgrid.org.selectors import actor_for

from . import documents, selectors, services
from .forms import (
    CaseEditForm,
    CaseForm,
    CloseForm,
    CriminalDecisionForm,
    DesignateForm,
    DisputeForm,
    TransferForm,
)
from .models import (
    CaseSource,
    CaseStatus,
    ClearanceStatus,
    DisputeStatus,
    Evidence,
    TransferEvidence,
    TransferStatus,
    TransferType,
)
from .policies import case_policy, dispute_policy, transfer_policy
from .workflow import (
    TRANSFER_TRANSITIONS,
    case_actions_available,
    clearance_actions_available,
    transfer_actions_available,
)

EXPORT_LIMIT = 50_000
PAGE_SIZE = 50


def _get(user: Any, getter: Any, pk: int) -> Any:
    try:
        return getter(user=user, pk=pk)
    except NotFoundError:
        raise Http404 from None


def _form_errors(form: Any, exc: ApplicationError) -> None:
    """Show a refused rule on the form: the message on top, the details on its fields."""
    for name, msgs in (exc.fields or {}).items():
        if name in form.fields:
            for m in msgs if isinstance(msgs, list | tuple) else [msgs]:
                form.add_error(name, str(m))
    form.add_error(None, exc.message)


def _parse_time(value: Any) -> Any:
    """A timestamp kept as ISO text in a snapshot, back as a local datetime."""
    import datetime as dt

    if not value:
        return None
    try:
        return timezone.localtime(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _truthy(value: str | None) -> bool | None:
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    return None


# ---- cases -------------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    from envgrid.grids.models import Grid

    g = request.GET
    grid = None
    if (grid_id := maybe_id(g.get("grid"))) is not None:
        grid = Grid.objects.filter(pk=grid_id).first()
    qs = selectors.case_list(
        user=request.user,
        status=g.get("status") or None,
        source=g.get("source") or None,
        grid=grid,
        flag=g.get("flag") or None,
        overdue=_truthy(g.get("overdue")),
        q=(g.get("q") or "").strip() or None,
    )
    if g.get("format") == "xlsx":
        return documents.case_list_response(qs[:EXPORT_LIMIT])
    grids = Grid.objects.filter(is_active=True).order_by("path").only("id", "name", "level")[:300]
    page = _page(request, qs)
    _mark_outside(page.object_list)
    return render(
        request,
        "cases/case_list.html",
        {
            "page": page,
            "statuses": CaseStatus.choices,
            "sources": CaseSource.choices,
            "grids": grids,
            "flags": [
                ("suspected_crime", _("涉嫌犯罪")),
                ("detention_needed", _("需行政拘留")),
                ("discipline_breach", _("涉嫌违反党纪政纪")),
            ],
            "f": g,
            "query": g.urlencode(),
        },
    )


def _mark_outside(cases: Any) -> None:
    """For the list: is each case outside its unit's grids (T1)? One query per page."""
    from envgrid.grids.models import Grid

    rows = list(cases)
    owners = {c.owner_unit_id for c in rows}
    owned: dict[int, set[int]] = {}
    for unit_id, grid_id in Grid.objects.filter(
        owner_unit_id__in=owners, is_active=True
    ).values_list("owner_unit_id", "id"):
        owned.setdefault(unit_id, set()).add(grid_id)
    for c in rows:
        grids = owned.get(c.owner_unit_id)
        chain = (
            {int(x) for x in c.occurrence_grid.path.strip("/").split("/") if x}
            if c.occurrence_grid is not None
            else set()
        )
        c.outside = bool(
            grids and chain and c.proposed_unit_id != c.owner_unit_id and not (grids & chain)
        )


def _case_form_data(form: Any) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("evidence", None)
    data.pop("reason", None)
    for key in ("discovered_by_unit", "entity", "reported_at"):
        if key in data and data[key] in ("", None):
            data[key] = None
    return data


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if request.method == "POST":
        form = CaseForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = _case_form_data(form)
            try:
                case = services.case_create(
                    actor=request.user,
                    evidence_files=form.cleaned_data.get("evidence") or [],
                    **data,
                )
            except ApplicationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("案件 %(n)s 已登记。") % {"n": case.number})
                return redirect(case)
        return render(request, "cases/case_form.html", {"form": form, "new": True}, status=400)
    form = CaseForm(
        user=request.user,
        initial={
            "discovered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "discovered_by_unit": actor.unit_id,
            "source": CaseSource.PATROL,
        },
    )
    return render(request, "cases/case_form.html", {"form": form, "new": True})


@login_required
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get(request.user, selectors.case_get, pk)
    if request.method == "POST":
        form = CaseEditForm(request.POST, user=request.user)
        if form.is_valid():
            data = _case_form_data(form)
            lon, lat, crs = data.pop("lon"), data.pop("lat"), data.pop("input_crs")
            place = {}
            if (lon, lat) != (case.input_lon, case.input_lat) or crs != case.input_crs:
                place = {"lon": lon, "lat": lat, "input_crs": crs}
            try:
                services.case_update(
                    actor=request.user,
                    case=case,
                    reason=form.cleaned_data.get("reason") or "",
                    **place,
                    **data,
                )
            except ApplicationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect(case)
        return render(request, "cases/case_form.html", {"form": form, "case": case}, status=400)
    initial = {
        f: getattr(case, f)
        for f in (
            "title",
            "address",
            "description",
            "entity_name",
            "entity_uscc",
            "responsible_person",
            "facts",
            "suspected_crime",
            "detention_needed",
            "discipline_breach",
            "input_crs",
        )
    }
    initial.update(
        lon=case.input_lon,
        lat=case.input_lat,
        entity=case.entity_id,
        discovered_at=timezone.localtime(case.discovered_at).strftime("%Y-%m-%dT%H:%M"),
        reported_at=timezone.localtime(case.reported_at).strftime("%Y-%m-%dT%H:%M")
        if case.reported_at
        else None,
    )
    form = CaseEditForm(user=request.user, initial=initial)
    return render(request, "cases/case_form.html", {"form": form, "case": case})


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get(request.user, selectors.case_get, pk)
    can_change = case_policy.can_change(request.user, case)
    transfers = list(selectors.case_transfers(case))
    clearance = case.crime_flag_clearances.filter(status=ClearanceStatus.PENDING).first()
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "can_change": can_change,
            "actions": case_actions_available(case, request.user) if can_change else set(),
            "proposal": selectors.jurisdiction_proposal(case),
            "evidence": case.evidence.all(),
            "transfers": transfers,
            "disputes": case.disputes.select_related("designating_unit", "designated_unit"),
            "timeline": selectors.case_timeline(case),
            "close_form": CloseForm(),
            "criminal_form": CriminalDecisionForm(),
            "final": case.status in (CaseStatus.CLOSED, CaseStatus.WITHDRAWN),
            # T2: the request to clear the crime flag, and whether this user decides it.
            "clearance": clearance,
            # Its approve/reject buttons: the kernel's table filtered by the caller's policy.
            "clearance_steps": clearance_actions_available(clearance, request.user)
            if clearance is not None
            else set(),
        },
    )


def _case_done(action: str, number: str) -> str:
    """The confirmation names what happened to which case (issue 20: every step said
    "已办理。")."""
    done = {
        "open": _("案件 %(n)s 已立案调查。"),
        "complete": _("案件 %(n)s 已记录查处完成。"),
        "close": _("案件 %(n)s 已结案。"),
        "withdraw": _("案件 %(n)s 已撤销。"),
        "criminal": _("已记录案件 %(n)s 的涉嫌犯罪研判结论。"),
        "crime_flag_clearance": _("已提交取消案件 %(n)s 涉嫌犯罪标记的申请。"),
        "crime_flag_clearance_decide": _("已审批取消案件 %(n)s 涉嫌犯罪标记的申请。"),
        "link": _("已将案件 %(n)s 关联为同一事项。"),
    }
    return done.get(action, _("案件 %(n)s 已办理。")) % {"n": number}


def _transfer_done(action: str, number: str) -> str:
    done = {
        "accept": _("已受理移送 %(n)s。"),
        "return": _("已退回移送 %(n)s。"),
        "withdraw": _("已撤回移送 %(n)s。"),
        "complete": _("已记录移送 %(n)s 查处完成。"),
        "feedback": _("已反馈移送 %(n)s 的查处结果。"),
        "dispute": _("已就移送 %(n)s 提出管辖争议。"),
    }
    return done.get(action, _("移送 %(n)s 已办理。")) % {"n": number}


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = _get(request.user, selectors.case_get, pk)
    p = request.POST
    try:
        if action == "open":
            services.case_open(actor=request.user, case=case, note=p.get("note", ""))
        elif action == "complete":
            services.case_complete(actor=request.user, case=case, result=p.get("result", ""))
        elif action == "close":
            services.case_close(
                actor=request.user, case=case, outcome=p.get("outcome", ""), note=p.get("note", "")
            )
        elif action == "withdraw":
            services.case_withdraw(actor=request.user, case=case, reason=p.get("reason", ""))
        elif action == "criminal":
            services.case_criminal_decide(
                actor=request.user,
                case=case,
                decision=p.get("decision", ""),
                note=p.get("note", ""),
            )
        elif action == "crime_flag_clearance":
            services.case_crime_flag_clear_request(
                actor=request.user, case=case, reason=p.get("reason", "")
            )
        elif action == "crime_flag_clearance_decide":
            pending = case.crime_flag_clearances.filter(status=ClearanceStatus.PENDING).first()
            if pending is None:
                raise ApplicationError(
                    _("没有待审批的取消标记申请。"), code="clearance_not_found", status=404
                )
            services.case_crime_flag_clear_decide(
                actor=request.user,
                clearance=pending,
                approve=p.get("approve") == "1",
                note=p.get("note", ""),
            )
        elif action == "link":
            other_number = (p.get("other") or "").strip()
            other = selectors.case_list(user=request.user).filter(number=other_number).first()
            if other is None:
                raise ApplicationError(_("未找到该编号的案件，或无权查看。"), code="not_found")
            services.case_link_same_matter(actor=request.user, case=case, other=other)
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _case_done(action, case.number))
    return redirect(case)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get(request.user, selectors.case_get, pk)
    files = request.FILES.getlist("file")
    try:
        if not files:
            raise ApplicationError(_("请选择要上传的证据文件。"), code="file_required")
        for f in files:
            services.evidence_add(
                actor=request.user,
                case=case,
                upload=f,
                description=request.POST.get("description", ""),
            )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("证据材料已上传。"))
    return redirect(case)


def _serve(obj: Evidence | TransferEvidence) -> FileResponse:
    try:
        handle = obj.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=obj.original_name, content_type=obj.mime
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    ev = Evidence.objects.select_related("case").filter(pk=pk).first()
    if ev is None or not case_policy.can_view(request.user, ev.case):
        raise Http404
    return _serve(ev)


@login_required
def transfer_evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    te = TransferEvidence.objects.select_related("transfer").filter(pk=pk).first()
    if te is None or not transfer_policy.can_view(request.user, te.transfer):
        raise Http404
    return _serve(te)


# ---- transfers ---------------------------------------------------------------------------


@login_required
def transfer_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get(request.user, selectors.case_get, pk)
    if not case_policy.can_change(request.user, case):
        raise Http404
    # The same check transfer_create runs (T3), condition by condition.
    checklist = services.transfer_conditions(case)
    suggested = case.proposed_unit if case.proposed_unit_id != case.owner_unit_id else None
    if request.method == "POST":
        form = TransferForm(request.POST, user=request.user, suggested=suggested)
        if form.is_valid():
            try:
                t = services.transfer_create(actor=request.user, case=case, **form.cleaned_data)
            except ApplicationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("已移送 %(n)s 至 %(u)s。") % {"n": t.number, "u": t.receiver_unit.name},
                )
                return redirect(t)
        status = 400
    else:
        initial: dict[str, Any] = {"feedback_required": True}
        if case.proposed_unit_id and case.proposed_unit_id != case.owner_unit_id:
            initial.update(
                transfer_type=TransferType.JURISDICTION, receiver_unit=case.proposed_unit_id
            )
        form = TransferForm(user=request.user, initial=initial, suggested=suggested)
        status = 200
    if suggested is not None:
        suggested.selectable = suggested.is_active
    return render(
        request,
        "cases/transfer_form.html",
        {
            "form": form,
            "case": case,
            "checklist": checklist,
            "checklist_ok": all(ok for _key, _label, ok in checklist),
            "suggested": suggested,
        },
        status=status,
    )


def _transfer_list(request: HttpRequest, direction: str) -> HttpResponse:
    g = request.GET
    qs = selectors.transfer_list(
        user=request.user,
        direction=direction,
        status=g.get("status") or None,
        transfer_type=g.get("type") or None,
        year=query_year(g),
        overdue=_truthy(g.get("overdue")),
    )
    if g.get("format") == "xlsx":
        return documents.transfer_register_response(qs[:EXPORT_LIMIT])
    return render(
        request,
        "cases/transfer_list.html",
        {
            "page": _page(request, qs),
            "direction": direction,
            "statuses": TransferStatus.choices,
            "types": TransferType.choices,
            "f": g,
        },
    )


@login_required
def transfer_inbox(request: HttpRequest) -> HttpResponse:
    return _transfer_list(request, "in")


@login_required
def transfer_outbox(request: HttpRequest) -> HttpResponse:
    return _transfer_list(request, "out")


@login_required
def transfer_register_xlsx(request: HttpRequest) -> HttpResponse:
    """移送登记簿: every transfer the user may see (optionally one year)."""
    g = request.GET
    qs = selectors.transfer_list(user=request.user, year=query_year(g))
    return documents.transfer_register_response(qs[:EXPORT_LIMIT])


@login_required
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    t = _get(request.user, selectors.transfer_get, pk)
    from envgrid.obligations.services import obligations_for

    is_receiver = transfer_policy.can_receive(request.user, t)
    is_sender = transfer_policy.can_send(request.user, t)
    received = getattr(t, "received_case", None)
    snap = t.case_snapshot or {}
    can_dispute = (
        t.transfer_type == TransferType.JURISDICTION
        and t.status == TransferStatus.RETURNED
        and (is_receiver or is_sender)
        and not t.disputes.exists()
    )
    # The buttons come from the workflow table and its policy (core.workflow).
    steps = transfer_actions_available(t, request.user)
    if not t.feedback_required:
        steps.discard("feedback")
    return render(
        request,
        "cases/transfer_detail.html",
        {
            "steps": steps,
            "t": t,
            "snap": snap,
            "is_receiver": is_receiver,
            "is_sender": is_sender,
            "sender_case_visible": case_policy.can_view(request.user, t.case),
            "received": received
            if received is not None and case_policy.can_view(request.user, received)
            else None,
            "history": [
                (
                    h,
                    TRANSFER_TRANSITIONS[h.action].label
                    if h.action in TRANSFER_TRANSITIONS
                    else h.action,
                )
                for h in t.status_changes.select_related("actor")
            ],
            "snap_discovered_at": _parse_time(snap.get("discovered_at")),
            "has_actions": bool(steps) or can_dispute,
            "obligations": obligations_for(t, live_only=False)
            .select_related("unit", "person")
            .order_by("started_at", "id"),
            "evidence": t.evidence.all(),
            "can_dispute": can_dispute,
            "disputes": t.disputes.all(),
            "dispute_units": [t.sender_unit, t.receiver_unit],
        },
    )


@login_required
@require_POST
def transfer_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    t = _get(request.user, selectors.transfer_get, pk)
    p = request.POST
    try:
        if action == "accept":
            services.transfer_accept(actor=request.user, transfer=t, note=p.get("note", ""))
        elif action == "return":
            services.transfer_return(
                actor=request.user, transfer=t, explanation=p.get("explanation", "")
            )
        elif action == "withdraw":
            services.transfer_withdraw(actor=request.user, transfer=t, reason=p.get("reason", ""))
        elif action == "complete":
            services.transfer_complete(actor=request.user, transfer=t, result=p.get("result", ""))
        elif action == "feedback":
            services.transfer_feedback(actor=request.user, transfer=t, text=p.get("text", ""))
        elif action == "dispute":
            other = (
                t.receiver_unit
                if t.sender_unit_id == actor_for(request.user).unit_id
                else t.sender_unit
            )
            services.dispute_raise(
                actor=request.user,
                case=t.case,
                parties=[other],
                reason=p.get("reason", ""),
                transfer=t,
            )
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _transfer_done(action, t.number))
    return redirect(t)


@login_required
def transfer_letter(request: HttpRequest, pk: int) -> HttpResponse:
    return documents.transfer_letter_response(_get(request.user, selectors.transfer_get, pk))


@login_required
def transfer_form_docx(request: HttpRequest, pk: int) -> HttpResponse:
    return documents.transfer_form_response(_get(request.user, selectors.transfer_get, pk))


# ---- disputes ----------------------------------------------------------------------------


@login_required
def dispute_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get(request.user, selectors.case_get, pk)
    if not case_policy.can_change(request.user, case):
        raise Http404
    if request.method == "POST":
        form = DisputeForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                d = services.dispute_raise(
                    actor=request.user,
                    case=case,
                    parties=list(form.cleaned_data["parties"]),
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(
                    request, _("管辖争议已报请 %(u)s 指定。") % {"u": d.designating_unit.name}
                )
                return redirect(d)
        return render(request, "cases/dispute_form.html", {"form": form, "case": case}, status=400)
    form = DisputeForm(user=request.user)
    return render(request, "cases/dispute_form.html", {"form": form, "case": case})


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.dispute_list(user=request.user, status=request.GET.get("status") or None)
    if request.GET.get("format") == "xlsx":
        from envgrid.core.exports import xlsx_response

        return xlsx_response(
            _("管辖争议"),
            [
                _("编号"),
                _("报请单位"),
                _("报请时间"),
                _("指定管辖单位"),
                _("状态"),
                _("被指定单位"),
                _("指定时间"),
            ],
            (
                [
                    d.pk,
                    d.raised_by_unit.name,
                    d.raised_at,
                    d.designating_unit.name,
                    d.get_status_display(),
                    d.designated_unit.name if d.designated_unit else "",
                    d.designated_at,
                ]
                for d in qs[:EXPORT_LIMIT]
            ),
        )
    return render(
        request,
        "cases/dispute_list.html",
        {"page": _page(request, qs), "statuses": DisputeStatus.choices, "f": request.GET},
    )


@login_required
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    d = _get(request.user, selectors.dispute_get, pk)
    can_designate = d.status == DisputeStatus.OPEN and dispute_policy.can_designate(request.user, d)
    units = d.parties.all() | type(d.designating_unit).objects.filter(pk=d.designating_unit_id)
    if request.method == "POST":
        form = DesignateForm(request.POST, units=units.distinct())
        if form.is_valid():
            try:
                services.dispute_designate(
                    actor=request.user,
                    dispute=d,
                    unit=form.cleaned_data["unit"],
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("已指定管辖。"))
                return redirect(d)
        status = 400
    else:
        form = DesignateForm(units=units.distinct(), initial={"unit": d.suggested_unit_id})
        status = 200
    cases = [
        (c, case_policy.can_view(request.user, c))
        for c in d.cases.select_related("owner_unit", "occurrence_grid")
    ]
    evidence = dict(d.evidence or {})
    evidence["discovery"] = [
        {
            **row,
            "discovered_local": _parse_time(row.get("discovered_at")),
            "reported_local": _parse_time(row.get("reported_at")),
        }
        for row in evidence.get("discovery", [])
    ]
    return render(
        request,
        "cases/dispute_detail.html",
        {
            "d": d,
            "form": form,
            "can_designate": can_designate,
            "cases": cases,
            "parties": d.parties.all(),
            "evidence": evidence,
        },
        status=status,
    )


# ---- T6 ----------------------------------------------------------------------------------


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    from envgrid.org.policies import unit_policy

    g = request.GET
    params: dict[str, Any] = {}
    if g.get("category") in selectors.CATEGORY_STEPS:
        params["category"] = g["category"]
    if (unit_id := maybe_id(g.get("unit"))) is not None:
        params["unit"] = unit_id
    if (year := query_year(g)) is not None:
        params["year"] = year
    if g.get("state") in ("open", "late"):
        params["state"] = g["state"]
    rows = selectors.overdue_register(user=request.user, **params)
    if g.get("format") == "xlsx":
        return documents.overdue_register_response(rows)
    return render(
        request,
        "cases/overdue.html",
        {
            "page": Paginator(rows, PAGE_SIZE).get_page(g.get("page")),
            "categories": list(selectors.CATEGORY_LABELS.items()),
            "units": unit_policy.scope(request.user).order_by("code"),
            "f": g,
        },
    )
