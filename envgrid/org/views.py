"""Staff pages for units, persons and leading groups: lists (with .xlsx), detail pages, edits.

Reads go through the policies first: an object the user may not see answers 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.core.exports import xlsx_response
from envgrid.core.params import maybe_id

from .filters import PersonFilter, UnitFilter
from .forms import PersonForm, UnitForm
from .models import (
    Delegation,
    LeadingGroup,
    Person,
    TrainingKind,
    TrainingResult,
    Unit,
)
from .policies import (
    delegation_policy,
    leading_group_policy,
    person_policy,
    training_record_policy,
    unit_policy,
)
from .proficiency import enforcement_officers, gaps_for, proficiency_gap
from .selectors import actor_for, person_cert_status
from .services import (
    person_create,
    person_update,
    training_record_create,
    training_record_void,
    unit_update,
)

PAGE_SIZE = 50


def _wants_xlsx(request: HttpRequest) -> bool:
    return request.GET.get("format") == "xlsx"


def _form_refused(form: Any, exc: ApplicationError) -> None:
    """Put a service's refusal onto the form: on its fields when it names them."""
    placed = False
    for name, errors in (exc.fields or {}).items():
        if name in form.fields:
            for err in errors if isinstance(errors, list) else [errors]:
                form.add_error(name, str(err))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _annotate_cert(people: Any) -> list[Person]:
    today = timezone.localdate()
    rows = list(people)
    for p in rows:
        p.cert_status = person_cert_status(p, today)
    return rows


CERT_LABELS = {
    "valid": gettext_lazy("有效"),
    "expiring": gettext_lazy("即将到期"),
    "expired": gettext_lazy("已过期"),
    "not_yet": gettext_lazy("尚未生效"),
    "none": gettext_lazy("无"),
}


def _proficiency_gaps(user: Any, units: list[Unit]) -> None:
    """E5: name, on each unit, its enforcement officers below the proficiency minimum."""
    today = timezone.localdate()
    officers = enforcement_officers(
        person_policy.scope(user).filter(unit__in=[u.pk for u in units]), today
    )
    by_unit: dict[int, list[Any]] = {}
    for gap in gaps_for(officers, today).values():
        by_unit.setdefault(gap.person.unit_id, []).append(gap)
    for u in units:
        u.proficiency_gaps = sorted(by_unit.get(u.pk, []), key=lambda g: g.person.name)  # type: ignore[attr-defined]


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    base = (
        unit_policy.scope(request.user)
        .select_related("information_officer", "parent")
        .annotate(n_persons=Count("persons", filter=Q(persons__is_active=True), distinct=True))
        .order_by("code")
    )
    filt = UnitFilter(request.GET or None, queryset=base, request=request)
    if filt.is_bound and not filt.is_valid():
        return render(request, "org/unit_list.html", {"filter": filt, "page": None}, status=400)
    units = filt.qs
    if _wants_xlsx(request):
        units = list(units)
        _proficiency_gaps(request.user, units)
        return xlsx_response(
            _("单位名录"),
            [
                _("单位代码"),
                _("单位名称"),
                _("简称"),
                _("单位类型"),
                _("上级单位"),
                _("信息工作负责人"),
                _("在岗人员数"),
                _("启用"),
                _("业务熟练未达标的执法人员"),
            ],
            (
                [
                    u.code,
                    u.name,
                    u.short_name,
                    u.get_kind_display(),
                    u.parent.name if u.parent else "",
                    u.information_officer.name if u.information_officer else _("未指定"),
                    u.n_persons,
                    _("是") if u.is_active else _("否"),
                    "；".join(f"{g.person.name}（{g.describe()}）" for g in u.proficiency_gaps),
                ]
                for u in units
            ),
            title=_("单位"),
        )
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    _proficiency_gaps(request.user, page.object_list)
    return render(request, "org/unit_list.html", {"filter": filt, "page": page})


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = unit_policy.get_visible(
        request.user, pk, Unit.objects.select_related("parent", "information_officer")
    )
    people = _annotate_cert(
        person_policy.scope(request.user).filter(unit=unit).select_related("user")
    )
    groups = leading_group_policy.scope(request.user).filter(member_units=unit)
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "people": people,
            "groups": groups,
            "cert_labels": CERT_LABELS,
            "can_change": unit_policy.can_change(request.user, unit),
            "can_add_person": actor_for(request.user).is_admin
            or unit.pk in actor_for(request.user).overseen_unit_ids(),
        },
    )


@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = unit_policy.get_visible(request.user, pk)
    if not unit_policy.can_change(request.user, unit):
        raise PermissionDeniedError(_("只有领导小组办公室或系统管理员可以维护单位和人员。"))
    form = UnitForm(request.POST or None, instance=unit, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                unit_update(actor=request.user, unit=unit, **form.cleaned_data)
            except ApplicationError as exc:
                _form_refused(form, exc)
            else:
                messages.success(request, _("单位信息已保存。"))
                return redirect("org:unit_detail", pk=unit.pk)
        return render(request, "org/unit_form.html", {"form": form, "unit": unit}, status=400)
    return render(request, "org/unit_form.html", {"form": form, "unit": unit})


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    base = (
        person_policy.scope(request.user)
        .select_related("unit", "user")
        .order_by("unit__code", "name")
    )
    filt = PersonFilter(request.GET or None, queryset=base, request=request)
    if filt.is_bound and not filt.is_valid():
        return render(request, "org/person_list.html", {"filter": filt, "page": None}, status=400)
    people = filt.qs
    actor = actor_for(request.user)
    if _wants_xlsx(request):
        today = timezone.localdate()
        return xlsx_response(
            _("人员名录"),
            [
                _("姓名"),
                _("所属单位"),
                _("职务"),
                _("联系电话"),
                _("系统角色"),
                _("登录账号"),
                _("执法证号"),
                _("执法证有效期起"),
                _("执法证有效期止"),
                _("执法证状态"),
                _("在岗"),
            ],
            (
                [
                    p.name,
                    p.unit.name,
                    p.title,
                    p.phone,
                    p.get_role_display(),
                    p.user.get_username() if p.user else "",
                    p.cert_number,
                    p.cert_valid_from,
                    p.cert_valid_to,
                    CERT_LABELS[person_cert_status(p, today)],
                    _("是") if p.is_active else _("否"),
                ]
                for p in people
            ),
            title=_("人员"),
        )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _annotate_cert(page.object_list)
    return render(
        request,
        "org/person_list.html",
        {
            "filter": filt,
            "page": page,
            "cert_labels": CERT_LABELS,
            "can_add": actor.is_admin or actor.is_office,
        },
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_policy.get_visible(
        request.user, pk, Person.objects.select_related("unit", "user")
    )
    today = timezone.localdate()
    person.cert_status = person_cert_status(person, today)
    return render(
        request,
        "org/person_detail.html",
        {
            "person": person,
            "cert_labels": CERT_LABELS,
            "can_change": person_policy.can_change(request.user, person),
            "training": training_record_policy.scope(request.user).filter(person=person),
            "proficiency_gap": proficiency_gap(person, today) if person.cert_number else None,
            "can_record_training": training_record_policy.can_record_for(request.user, person),
            "training_kinds": TrainingKind.choices,
            "training_results": TrainingResult.choices,
            "today": today,
        },
    )


@login_required
@require_POST
def person_training(request: HttpRequest, pk: int) -> HttpResponse:
    """E5: record a course or an assessment of an officer (the rules are the service's)."""
    person = person_policy.get_visible(request.user, pk)
    raw = (request.POST.get("held_on") or "").strip()
    try:
        held_on = dt.date.fromisoformat(raw) if raw else None
        training_record_create(
            actor=request.user,
            person=person,
            kind=request.POST.get("kind", ""),
            course=request.POST.get("course", ""),
            hours=request.POST.get("hours", ""),
            held_on=held_on,
            result=request.POST.get("result", ""),
            note=request.POST.get("note", ""),
        )
    except ValueError:
        messages.error(request, _("日期格式应为 YYYY-MM-DD。"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("培训考核记录已保存。"))
    return redirect("org:person_detail", pk=person.pk)


@login_required
@require_POST
def training_void(request: HttpRequest, pk: int) -> HttpResponse:
    record = training_record_policy.get_visible(request.user, pk)
    try:
        training_record_void(
            actor=request.user, record=record, reason=request.POST.get("reason", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("记录已作废，不再计入学时。"))
    return redirect("org:person_detail", pk=record.person_id)


@login_required
def training_list(request: HttpRequest) -> HttpResponse:
    """Training and assessment records the user may see (E5), with their .xlsx."""
    qs = (
        training_record_policy.scope(request.user)
        .select_related("person__unit")
        .order_by("-held_on", "-id")
    )
    unit = maybe_id(request.GET.get("unit", ""))
    if unit is not None:
        qs = qs.filter(person__unit_id=unit)
    if _wants_xlsx(request):
        return xlsx_response(
            _("培训考核记录"),
            [
                _("姓名"),
                _("所属单位"),
                _("类别"),
                _("课程或考核名称"),
                _("学时"),
                _("日期"),
                _("结果"),
                _("作废"),
            ],
            (
                [
                    r.person.name,
                    r.person.unit.name,
                    r.get_kind_display(),
                    r.course,
                    float(r.hours),
                    r.held_on,
                    r.get_result_display(),
                    r.void_reason if r.voided_at else "",
                ]
                for r in qs
            ),
            title=_("培训考核"),
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "org/training_list.html", {"page": page})


@login_required
def person_new(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if not (actor.is_admin or actor.is_office):
        raise PermissionDeniedError(_("只有领导小组办公室或系统管理员可以维护单位和人员。"))
    initial = {}
    if request.GET.get("unit"):
        initial["unit"] = request.GET["unit"]
    form = PersonForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                person = person_create(actor=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                _form_refused(form, exc)
            else:
                messages.success(request, _("人员已添加。"))
                return redirect("org:person_detail", pk=person.pk)
        return render(request, "org/person_form.html", {"form": form}, status=400)
    return render(request, "org/person_form.html", {"form": form})


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_policy.get_visible(request.user, pk)
    if not person_policy.can_change(request.user, person):
        raise PermissionDeniedError(_("只有领导小组办公室或系统管理员可以维护单位和人员。"))
    form = PersonForm(request.POST or None, instance=person, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                person_update(actor=request.user, person=person, **form.cleaned_data)
            except ApplicationError as exc:
                _form_refused(form, exc)
            else:
                messages.success(request, _("人员信息已保存。"))
                return redirect("org:person_detail", pk=person.pk)
        return render(request, "org/person_form.html", {"form": form, "person": person}, status=400)
    return render(request, "org/person_form.html", {"form": form, "person": person})


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    groups = (
        leading_group_policy.scope(request.user)
        .select_related("leader", "office_unit", "office_director")
        .annotate(n_members=Count("member_units", distinct=True))
    )
    if _wants_xlsx(request):
        return xlsx_response(
            _("领导小组"),
            [_("名称"), _("组长"), _("办公室所在单位"), _("办公室主任"), _("成员单位数")],
            (
                [
                    g.name,
                    g.leader.name,
                    g.office_unit.name,
                    g.office_director.name if g.office_director else "",
                    g.n_members,
                ]
                for g in groups
            ),
        )
    return render(request, "org/group_list.html", {"groups": groups})


@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = leading_group_policy.get_visible(
        request.user,
        pk,
        LeadingGroup.objects.select_related("leader__unit", "office_unit", "office_director"),
    )
    delegations = list(
        delegation_policy.scope(
            request.user, Delegation.objects.filter(leading_group=group)
        ).select_related("grantor", "grantee")
    )
    today = timezone.localdate()
    for d in delegations:
        d.live = d.covers(day=today, scope=d.scope)
    return render(
        request,
        "org/group_detail.html",
        {
            "group": group,
            "deputies": group.deputies.select_related("unit"),
            "members": group.member_units.order_by("code"),
            "delegations": delegations,
            # Delegations are the overseers' business (DelegationPolicy); members see none.
            "can_see_delegations": actor_for(request.user).is_admin
            or group.pk in actor_for(request.user).overseen_group_ids,
        },
    )
