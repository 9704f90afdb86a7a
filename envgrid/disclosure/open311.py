"""Open311 GeoReport v2 endpoints for petition intake and status, so existing Open311
clients work: GET services, GET service definition, POST requests, GET requests (with
filters), GET request by id. Errors are GeoReport error arrays [{code, description}].

What a response carries is chosen for the public: the tracking code as
service_request_id, status open/closed, the handling unit, dates, the grid as the
address and coordinates rounded to about 100 m. Never the petitioner's identity or
contact, never the original description (only a published, scrubbed summary)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from envgrid.core.errors import ApplicationError

from .models import (
    Petition,
    PetitionCategory,
    PetitionSource,
    PetitionStatus,
    Publication,
    PublicationKind,
    PublicationStatus,
)
from .privacy import coarse, scrub
from .ratelimit import rate_limited

OPEN = (PetitionStatus.RECEIVED, PetitionStatus.ACCEPTED, PetitionStatus.OBJECTED)
SERVICE_DESCRIPTIONS = {
    "air": gettext_lazy("废气、烟尘、异味、扬尘等大气污染问题"),
    "water": gettext_lazy("废水偷排、漏排，河道、水体污染问题"),
    "noise": gettext_lazy("工业、建筑施工、社会生活噪声扰民问题"),
    "waste": gettext_lazy("固体废物、危险废物违规倾倒、堆放问题"),
    "soil": gettext_lazy("土壤污染问题"),
    "radiation": gettext_lazy("电磁辐射、放射源问题"),
    "ecology": gettext_lazy("生态破坏问题"),
    "other": gettext_lazy("其他环境问题"),
}


def _error(status: int, description: str) -> JsonResponse:
    return JsonResponse([{"code": status, "description": description}], status=status, safe=False)


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def open311_status(p: Petition) -> str:
    from .petitions import effective

    return "open" if effective(p).status in OPEN else "closed"


def _published_summary(p: Petition) -> str:
    pub = (
        Publication.objects.filter(
            kind=PublicationKind.PETITION,
            status=PublicationStatus.PUBLISHED,
            source_id=str(p.pk),
        )
        .order_by("-published_at")
        .first()
    )
    return scrub(pub.payload.get("summary", ""), p) if pub is not None else ""


def _status_notes(p: Petition) -> str:
    from .petitions import effective

    e = effective(p)
    last = e.events.exclude(public_note="").order_by("-at", "-id").first()
    note = last.public_note if last is not None else str(e.get_status_display())
    if p.status == PetitionStatus.LINKED:
        note = _("已与同一问题的信访件合并办理。") + " " + note
    return scrub(note, p)


def request_json(p: Petition) -> dict[str, Any]:
    from .petitions import current_due, effective

    e = effective(p)
    return {
        "service_request_id": p.tracking_code,
        "status": open311_status(p),
        "status_notes": _status_notes(p),
        "service_name": str(p.get_category_display()),
        "service_code": p.category,
        "description": _published_summary(e),
        "agency_responsible": e.unit.name,
        "service_notice": "",
        "requested_datetime": _w3c(p.received_at),
        "updated_datetime": _w3c(max(p.updated_at, e.updated_at)),
        "expected_datetime": _w3c(current_due(p)) if e.status in OPEN else None,
        "address": (p.grid.name if p.grid_id else _("服务区域外")),  # type: ignore[union-attr]
        "address_id": None,
        "zipcode": None,
        "lat": coarse(p.lat),
        "long": coarse(p.lon),
        "media_url": None,
    }


def _notice() -> str:
    from .models import PetitionRules

    r = PetitionRules.current()
    return _(
        "我们将在 %(ack)s 内告知是否受理，受理后 %(handle)s 内办结答复。请凭查询码查看进度。"
    ) % {"ack": r.ack_rule.describe(), "handle": r.handle_rule.describe()}


@require_http_methods(["GET"])
def services(request: HttpRequest) -> HttpResponse:
    return _json(
        [
            {
                "service_code": code,
                "service_name": str(label),
                "description": str(SERVICE_DESCRIPTIONS.get(code, "")),
                "metadata": False,
                "type": "realtime",
                "keywords": "环境,信访,举报",
                "group": "环境信访",
            }
            for code, label in PetitionCategory.choices
        ]
    )


@require_http_methods(["GET"])
def service_definition(request: HttpRequest, service_code: str) -> HttpResponse:
    if service_code not in PetitionCategory.values:
        return _error(404, _("未知的 service_code：%(c)s") % {"c": service_code})
    return _json({"service_code": service_code, "attributes": []})


def _params(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ApplicationError(_("请求体不是有效的 JSON。"), code="bad_json") from None
        if not isinstance(data, dict):
            raise ApplicationError(_("请求体应为 JSON 对象。"), code="bad_json")
        return data
    return {k: request.POST.get(k) for k in request.POST}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_endpoint(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request)
    return _get_requests(request)


def _post_request(request: HttpRequest) -> HttpResponse:
    from .petitions import petition_submit

    if rate_limited(request):
        return _error(429, _("提交过于频繁，请稍后再试。"))
    try:
        data = _params(request)
    except ApplicationError as exc:
        return _error(400, exc.message)
    service_code = (data.get("service_code") or "").strip()
    if not service_code:
        return _error(400, _("缺少 service_code。"))
    if service_code not in PetitionCategory.values:
        return _error(404, _("未知的 service_code：%(c)s") % {"c": service_code})
    if data.get("lat") in (None, "") or data.get("long") in (None, ""):
        return _error(400, _("须提供 lat 和 long（本系统按坐标确定承办网格）。"))
    name = " ".join(
        x
        for x in ((data.get("last_name") or "").strip(), (data.get("first_name") or "").strip())
        if x
    )
    try:
        p = petition_submit(
            category=service_code,
            description=str(data.get("description") or ""),
            lon=data.get("long"),
            lat=data.get("lat"),
            crs=str(data.get("coordinate_system") or data.get("crs") or "wgs84"),
            place_text=str(data.get("address_string") or "")[:300],
            contact_name=name,
            contact_phone=str(data.get("phone") or ""),
            contact_email=str(data.get("email") or ""),
            photos=request.FILES.getlist("media"),
            source=PetitionSource.OPEN311,
        )
    except ApplicationError as exc:
        return _error(exc.status if exc.status != 409 else 400, exc.message)
    return _json(
        # 200 as in the GeoReport v2 examples: some clients accept nothing else.
        [{"service_request_id": p.tracking_code, "service_notice": _notice(), "account_id": None}],
    )


def _parse_date(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value.replace(" ", "+"))
    if parsed is None:
        raise ApplicationError(_("%(n)s 不是 W3C 日期时间格式。") % {"n": name}, code="bad_date")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _get_requests(request: HttpRequest) -> HttpResponse:
    from .selectors import public_petition_requests

    g = request.GET
    status = g.get("status", "")
    if status and not {s.strip() for s in status.split(",")} <= {"open", "closed"}:
        return _error(400, _("status 只能是 open 或 closed。"))
    service_code = g.get("service_code", "")
    if service_code and not {s.strip() for s in service_code.split(",")} <= set(
        PetitionCategory.values
    ):
        return _error(400, _("未知的 service_code。"))
    try:
        start = _parse_date(g.get("start_date"), "start_date")
        end = _parse_date(g.get("end_date"), "end_date")
    except ApplicationError as exc:
        return _error(400, exc.message)
    if start and end and end < start:
        return _error(400, _("end_date 早于 start_date。"))
    codes = [c for c in (g.get("service_request_id") or "").split(",") if c.strip()]
    items = public_petition_requests(
        codes=codes, service_code=service_code, status=status, start=start, end=end
    )
    return _json([request_json(p) for p in items])


@require_http_methods(["GET"])
def request_detail(request: HttpRequest, code: str) -> HttpResponse:
    from .selectors import public_petition_by_code

    p = public_petition_by_code(code)
    if p is None:
        return _error(404, _("未找到该查询码对应的信访件。"))
    return _json([request_json(p)])


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _error(404, _("未知的 Open311 资源或格式（仅支持 .json）。"))
