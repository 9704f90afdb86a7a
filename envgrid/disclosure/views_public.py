"""The public portal (no login): published information, the petition form and the
tracking page. Nothing here reads a petitioner's contact fields."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from envgrid.core.errors import ApplicationError

from .forms import PetitionForm
from .models import PetitionCategory, PetitionRules, PetitionStatus, PublicationKind
from .privacy import scrub
from .ratelimit import rate_limit_check
from .selectors import (
    petition_stats,
    public_division,
    public_emissions,
    public_hazards,
    public_latest,
    public_petition_by_code,
    public_publication_get,
    public_publications,
)
from .timeliness import public_last_updates

SECTIONS = [
    ("disclosure:portal", gettext_lazy("首页")),
    ("disclosure:plan", gettext_lazy("监管方案")),
    ("disclosure:map", gettext_lazy("网格划分")),
    ("disclosure:duties", gettext_lazy("职责和责任人")),
    ("disclosure:emissions", gettext_lazy("污染物排放")),
    ("disclosure:petitions", gettext_lazy("信访办理")),
    ("disclosure:hazards", gettext_lazy("环境安全隐患")),
    ("disclosure:adjustments", gettext_lazy("重大调整")),
    ("disclosure:petition_new", gettext_lazy("我要举报")),
    ("disclosure:track", gettext_lazy("进度查询")),
    ("disclosure:data", gettext_lazy("开放数据")),
]


def _ctx(request: HttpRequest, section: str, **extra: Any) -> dict[str, Any]:
    from django.urls import reverse

    return {
        "sections": [
            {"url": reverse(name), "label": label, "active": name == section}
            for name, label in SECTIONS
        ],
        "tile_url": settings.ENVGRID_TILE_URL,
        "tile_attribution": settings.ENVGRID_TILE_ATTRIBUTION,
        **extra,
    }


@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    division = public_latest(PublicationKind.DIVISION)
    return render(
        request,
        "disclosure/public/home.html",
        _ctx(
            request,
            "disclosure:portal",
            latest=public_publications()[:8],
            division=division,
            stats=petition_stats(),
            rules=PetitionRules.current(),
            last_updates=public_last_updates(),
        ),
    )


@require_GET
def plan(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "disclosure/public/plan.html",
        _ctx(request, "disclosure:plan", plans=public_publications(PublicationKind.PLAN)),
    )


@require_GET
def grid_map(request: HttpRequest) -> HttpResponse:
    pub = public_latest(PublicationKind.DIVISION)
    division = public_division()
    return render(
        request,
        "disclosure/public/map.html",
        _ctx(
            request,
            "disclosure:map",
            pub=pub,
            features=division.get("features", []),
            stats=division.get("stats"),
            hazard_count=len(public_hazards()),
        ),
    )


@require_GET
def duties(request: HttpRequest) -> HttpResponse:
    pub = public_latest(PublicationKind.DUTIES)
    grids = (pub.payload.get("grids", []) if pub else []) or []
    q = request.GET.get("q", "").strip()[:50]
    if q:
        grids = [g for g in grids if q in g["name"] or q in g["code"] or q in g["owner_unit"]]
    return render(
        request,
        "disclosure/public/duties.html",
        _ctx(request, "disclosure:duties", pub=pub, grids=grids, q=q),
    )


@require_GET
def emissions(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = public_emissions(
        entity=g.get("entity", "")[:100],
        pollutant=g.get("pollutant", "")[:100],
        exceeded=g.get("exceeded", ""),
    )
    page = Paginator(qs, 50).get_page(g.get("page"))
    return render(
        request,
        "disclosure/public/emissions.html",
        _ctx(
            request,
            "disclosure:emissions",
            page=page,
            f={k: g.get(k, "") for k in ("entity", "pollutant", "exceeded")},
            query=g.urlencode(),
        ),
    )


@require_GET
def petitions(request: HttpRequest) -> HttpResponse:
    pubs = public_publications(PublicationKind.PETITION)
    page = Paginator(pubs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosure/public/petitions.html",
        _ctx(request, "disclosure:petitions", stats=petition_stats(), page=page),
    )


@require_GET
def hazards(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "disclosure/public/hazards.html",
        _ctx(request, "disclosure:hazards", hazards=public_hazards()),
    )


@require_GET
def adjustments(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "disclosure/public/adjustments.html",
        _ctx(
            request,
            "disclosure:adjustments",
            items=public_publications(PublicationKind.ADJUSTMENT),
        ),
    )


@require_GET
def publication_public(request: HttpRequest, pk: int) -> HttpResponse:
    pub = public_publication_get(pk)
    if pub is None:
        raise Http404(_("未找到该公开信息。"))
    return render(request, "disclosure/public/publication.html", _ctx(request, "", pub=pub))


@require_GET
def publication_document(request: HttpRequest, pk: int) -> FileResponse:
    pub = public_publication_get(pk)
    if pub is None or not pub.document:
        raise Http404(_("未找到该文件。"))
    return FileResponse(
        pub.document.open("rb"),
        as_attachment=True,
        filename=pub.document_name or pub.document.name or "document",
    )


@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    return render(request, "disclosure/public/data.html", _ctx(request, "disclosure:data"))


@require_http_methods(["GET", "POST"])
def petition_new(request: HttpRequest) -> HttpResponse:
    from .petitions import petition_submit

    error = None
    status = 200
    retry: int | None = None
    if request.method == "POST":
        form = PetitionForm(request.POST, request.FILES)
        retry = rate_limit_check(request)
        if retry is not None:
            error = _("提交过于频繁，请稍后再试。")
            status = 429
        elif form.is_valid():
            d = form.cleaned_data
            try:
                p = petition_submit(
                    category=d["category"],
                    description=d["description"],
                    lon=d["lon"],
                    lat=d["lat"],
                    crs=d["crs"],
                    place_text=d["place_text"],
                    contact_name=d["contact_name"],
                    contact_phone=d["contact_phone"],
                    contact_email=d["contact_email"],
                    photos=d["photos"],
                )
            except ApplicationError as exc:
                error = exc.message
                status = exc.status
                for field, msgs in exc.fields.items():
                    if field in form.fields:
                        form.add_error(field, [str(m) for m in msgs])
            else:
                request.session["petition_code"] = p.tracking_code
                return redirect("disclosure:petition_submitted")
        else:
            status = 400
            error = _("请检查标出的项目。")
    else:
        form = PetitionForm()
    resp = render(
        request,
        "disclosure/public/petition_form.html",
        _ctx(
            request,
            "disclosure:petition_new",
            form=form,
            error=error,
            rules=PetitionRules.current(),
            categories=PetitionCategory.choices,
        ),
        status=status,
    )
    if retry is not None:
        resp["Retry-After"] = str(retry)
    return resp


@require_GET
def petition_submitted(request: HttpRequest) -> HttpResponse:
    code = request.session.get("petition_code")
    if not code:
        return redirect("disclosure:petition_new")
    p = public_petition_by_code(code)
    return render(
        request,
        "disclosure/public/petition_done.html",
        _ctx(request, "", code=code, linked=p is not None and p.status == PetitionStatus.LINKED),
    )


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    from .open311 import open311_status
    from .petitions import current_due, effective

    code = request.GET.get("code", "").strip()
    p = public_petition_by_code(code) if code else None
    ctx = _ctx(request, "disclosure:track", code=code, found=p is not None)
    status = 200
    if p is not None:
        e = effective(p)
        events = [
            {"at": ev.at, "note": scrub(ev.public_note, p)}
            for ev in e.events.filter(public_reviewed=True)
            .exclude(public_note="")
            .order_by("at", "id")
        ]
        if p.pk != e.pk:
            events = [
                {"at": ev.at, "note": scrub(ev.public_note, p)}
                for ev in p.events.filter(public_reviewed=True)
                .exclude(public_note="")
                .order_by("at", "id")
            ] + events
        ctx.update(
            petition=p,
            effective=e,
            events=events,
            open=open311_status(p) == "open",
            due=current_due(p) if e.is_open else None,
        )
    elif code:
        status = 404
    return render(request, "disclosure/public/track.html", ctx, status=status)
