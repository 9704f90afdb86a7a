"""Open311 GeoReport v2 endpoints for petition intake and status, so existing Open311
clients work: discovery, GET services, GET service definition, POST requests, GET
requests (with filters), GET request by id — each in JSON and XML (`.json`/`.xml`, the
XML shapes as the specification gives them). Every error, whatever its status (400, 403,
404, 405, 413, 429, 500), is a GeoReport error array in the requested format. GET
answers carry CORS headers; `jurisdiction_id`, when given, must be the configured one.

What a response carries is chosen for the public: a separate public id as
service_request_id (the tracking code is the petitioner's secret), status open/closed,
the handling unit, dates, the grid as the address and coordinates rounded to about
100 m. Never the petitioner's identity or contact, never the original description (only
a published summary), every text scrubbed (privacy.scrub)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any
from xml.etree import ElementTree as ET

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from envgrid.core import rules
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
from .ratelimit import rate_limit_check

logger = logging.getLogger(__name__)

OPEN = (PetitionStatus.RECEIVED, PetitionStatus.ACCEPTED, PetitionStatus.OBJECTED)
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-05T00:00:00+08:00"
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
# Services with metadata=true: their attribute definitions, checked on POST.
SERVICE_ATTRIBUTES: dict[str, list[dict[str, Any]]] = {
    "air": [
        {
            "code": "pollution_type",
            "datatype": "multivaluelist",
            "required": False,
            "description": gettext_lazy("污染类型"),
            "datatype_description": gettext_lazy("可多选"),
            "values": [
                ("smoke", gettext_lazy("烟尘、黑烟")),
                ("odour", gettext_lazy("异味、臭气")),
                ("dust", gettext_lazy("扬尘")),
                ("gas", gettext_lazy("刺激性气体")),
            ],
        },
        {
            "code": "odour_intensity",
            "datatype": "singlevaluelist",
            "required": False,
            "description": gettext_lazy("异味强度"),
            "datatype_description": gettext_lazy("1 最弱，5 最强"),
            "values": [
                ("1", gettext_lazy("1 勉强可感觉")),
                ("2", gettext_lazy("2 较弱")),
                ("3", gettext_lazy("3 明显")),
                ("4", gettext_lazy("4 强烈")),
                ("5", gettext_lazy("5 无法忍受")),
            ],
        },
    ],
}
# A GeoReport error array answers with one of these; anything else counts as a 400.
ERROR_STATUSES = {400, 403, 404, 405, 413, 429, 500}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# XML element of each member of a list, by the list's element (GeoReport v2 shapes).
_SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def jurisdiction() -> str:
    return str(rules.get("disclosure.open311_jurisdiction"))


# --------------------------------------------------------------------------- rendering


def _xml_value(parent: ET.Element, tag: str, value: Any) -> None:
    el = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v)
    elif isinstance(value, list | tuple):
        child = _SINGULAR.get(tag, "item")
        for v in value:
            _xml_value(el, child, v)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)


def to_xml(root: str, data: Any) -> bytes:
    el = ET.Element(root)
    if isinstance(data, list):
        child = _SINGULAR.get(root, "item")
        for item in data:
            _xml_value(el, child, item)
    else:
        for k, v in data.items():
            _xml_value(el, k, v)
    return ET.tostring(el, encoding="utf-8", xml_declaration=True)


def respond(
    request: HttpRequest, fmt: str, data: Any, root: str, status: int = 200
) -> HttpResponse:
    fmt = fmt if fmt in CONTENT_TYPES else "json"
    if fmt == "xml":
        body = to_xml(root, data)
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    resp = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    if request.method in ("GET", "HEAD", "OPTIONS"):
        resp["Access-Control-Allow-Origin"] = "*"
    return resp


def error(request: HttpRequest, fmt: str, status: int, description: str) -> HttpResponse:
    status = status if status in ERROR_STATUSES else 400
    return respond(
        request, fmt, [{"code": status, "description": str(description)}], "errors", status
    )


def endpoint(*methods: str) -> Callable[..., Callable[..., HttpResponse]]:
    """A GeoReport view: CSRF-exempt (no cookies are used), other methods refused with a
    405 error array, a CORS preflight answered for GETs, `jurisdiction_id` checked, and
    whatever goes wrong — a body too large, too many fields, a bug — answered as an
    error array in the requested format."""

    def deco(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, fmt: str = "json", **kw: Any) -> HttpResponse:
            try:
                if request.method == "OPTIONS" and "GET" in methods:
                    resp = HttpResponse(status=204)
                    resp["Access-Control-Allow-Origin"] = "*"
                    resp["Access-Control-Allow-Methods"] = "GET, OPTIONS"
                    resp["Access-Control-Max-Age"] = "86400"
                    resp["Allow"] = ", ".join((*methods, "OPTIONS"))
                    return resp
                if request.method not in methods and not (
                    request.method == "HEAD" and "GET" in methods
                ):
                    resp = error(
                        request,
                        fmt,
                        405,
                        _("不支持的请求方法：%(m)s") % {"m": request.method},
                    )
                    resp["Allow"] = ", ".join(methods)
                    return resp
                wanted = request.GET.get("jurisdiction_id")
                if wanted not in (None, "") and wanted != jurisdiction():
                    return error(
                        request, fmt, 404, _("未知的 jurisdiction_id：%(j)s") % {"j": wanted[:100]}
                    )
                return view(request, fmt, *args, **kw)
            except RequestDataTooBig:
                return error(request, fmt, 413, _("请求体过大。"))
            except (SuspiciousOperation, MultiPartParserError):
                return error(request, fmt, 400, _("请求格式不正确（字段或文件过多）。"))
            except ApplicationError as exc:
                return error(request, fmt, exc.status, exc.message)
            except Exception:
                logger.exception("Open311 %s %s failed", request.method, request.path)
                return error(request, fmt, 500, _("服务器内部错误，请稍后再试。"))

        return wrapped

    return deco


def _w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- requests


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
    return pub.payload.get("summary", "") if pub is not None else ""


def _status_notes(p: Petition) -> str:
    from .petitions import effective

    e = effective(p)
    last = (
        e.events.filter(public_reviewed=True).exclude(public_note="").order_by("-at", "-id").first()
    )
    note = last.public_note if last is not None else str(e.get_status_display())
    if p.status == PetitionStatus.LINKED:
        note = _("已与同一问题的信访件合并办理。") + " " + note
    return note


def request_json(p: Petition) -> dict[str, Any]:
    from .petitions import current_due, effective

    e = effective(p)
    return {
        "service_request_id": p.public_id,
        "status": open311_status(p),
        "status_notes": scrub(_status_notes(p), p),
        "service_name": str(p.get_category_display()),
        "service_code": p.category,
        "description": scrub(_published_summary(e), p),
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


def _notice(p: Petition) -> str:
    from .models import PetitionRules

    r = PetitionRules.current()
    return _(
        "您的查询码：%(code)s（请妥善保存，凭此查看办理进度）。我们将在 %(ack)s 内告知是否受理，"
        "受理后 %(handle)s 内办结答复。"
    ) % {"code": p.tracking_code, "ack": r.ack_rule.describe(), "handle": r.handle_rule.describe()}


def _service_json(code: str, label: Any) -> dict[str, Any]:
    return {
        "service_code": code,
        "service_name": str(label),
        "description": str(SERVICE_DESCRIPTIONS.get(code, "")),
        "metadata": code in SERVICE_ATTRIBUTES,
        "type": "realtime",
        "keywords": "环境,信访,举报",
        "group": "环境信访",
    }


def _attribute_json(order: int, a: dict[str, Any]) -> dict[str, Any]:
    return {
        "variable": True,
        "code": a["code"],
        "datatype": a["datatype"],
        "required": a["required"],
        "datatype_description": str(a["datatype_description"]),
        "order": order,
        "description": str(a["description"]),
        "values": [{"key": k, "name": str(n)} for k, n in a["values"]],
    }


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(request.path.rsplit("/", 1)[0] + "/v2")
    return respond(
        request,
        fmt,
        {
            "changeset": CHANGESET,
            "contact": str(_("环境信访举报：请通过本系统“我要举报”页面或 Open311 接口提交。")),
            "key_service": "",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        },
        "discovery",
    )


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return respond(
        request,
        fmt,
        [_service_json(code, label) for code, label in PetitionCategory.choices],
        "services",
    )


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    if service_code not in PetitionCategory.values:
        return error(request, fmt, 404, _("未知的 service_code：%(c)s") % {"c": service_code[:50]})
    attrs = SERVICE_ATTRIBUTES.get(service_code, [])
    return respond(
        request,
        fmt,
        {
            "service_code": service_code,
            "attributes": [_attribute_json(i, a) for i, a in enumerate(attrs, start=1)],
        },
        "service_definition",
    )


_TEXT_FIELDS = (
    "service_code",
    "description",
    "address_string",
    "first_name",
    "last_name",
    "phone",
    "email",
    "device_id",
    "account_id",
    "coordinate_system",
    "crs",
    "jurisdiction_id",
    "api_key",
    "media_url",
    "address_id",
)


def _params(request: HttpRequest) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The POST fields as strings (a JSON body or a form), and the `attribute[...]` values.
    A field of the wrong type is a 400, never a 500."""
    attrs: dict[str, list[str]] = {}
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ApplicationError(_("请求体不是有效的 JSON。"), code="bad_json") from None
        if not isinstance(data, dict):
            raise ApplicationError(_("请求体应为 JSON 对象。"), code="bad_json")
        raw_attrs = data.pop("attribute", None) or {}
        if not isinstance(raw_attrs, dict):
            raise ApplicationError(_("attribute 应为对象。"), code="bad_attribute")
        for key in [k for k in data if k.startswith("attribute[")]:
            raw_attrs[key[len("attribute[") :].split("]")[0]] = data.pop(key)
        for key, value in raw_attrs.items():
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
                raise ApplicationError(
                    _("attribute[%(k)s] 的值类型不正确。") % {"k": str(key)[:50]}, code="bad_type"
                )
            attrs[str(key)] = [str(v) for v in values]
        for key in ("lat", "long"):
            v = data.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, str | int | float)):
                raise ApplicationError(_("%(k)s 应为数字。") % {"k": key}, code="bad_type")
        for key in _TEXT_FIELDS:
            v = data.get(key)
            if v is not None and not isinstance(v, str):
                raise ApplicationError(_("%(k)s 应为字符串。") % {"k": key}, code="bad_type")
        return data, attrs
    post = request.POST
    data = {}
    for key in post:
        if key.startswith("attribute["):
            name = key[len("attribute[") :].split("]")[0]
            attrs.setdefault(name, []).extend(post.getlist(key))
        else:
            data[key] = post.get(key)
    return data, attrs


def _checked_attributes(service_code: str, given: dict[str, list[str]]) -> dict[str, Any]:
    """Attributes validated against the service definition: known codes, allowed keys,
    one value for a single-value list, required ones present."""
    definitions = {a["code"]: a for a in SERVICE_ATTRIBUTES.get(service_code, [])}
    out: dict[str, Any] = {}
    for code, values in given.items():
        a = definitions.get(code)
        if a is None:
            raise ApplicationError(
                _("服务 %(s)s 没有属性 %(a)s。") % {"s": service_code, "a": code[:50]},
                code="attribute_unknown",
            )
        allowed = {k for k, _n in a["values"]}
        values = [v.strip() for v in values if v.strip()]
        if any(v not in allowed for v in values):
            raise ApplicationError(
                _("属性 %(a)s 的取值只能是：%(v)s。")
                % {"a": code, "v": "、".join(sorted(allowed))},
                code="attribute_invalid",
            )
        if a["datatype"] == "singlevaluelist" and len(values) > 1:
            raise ApplicationError(
                _("属性 %(a)s 只能取一个值。") % {"a": code}, code="attribute_invalid"
            )
        if values:
            out[code] = values if a["datatype"] == "multivaluelist" else values[0]
    for code, a in definitions.items():
        if a["required"] and code not in out:
            raise ApplicationError(
                _("缺少必填属性 %(a)s。") % {"a": code}, code="attribute_required"
            )
    return out


@endpoint("GET", "POST")
def requests_endpoint(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    return _get_requests(request, fmt)


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    from .petitions import petition_submit

    retry = rate_limit_check(request)
    if retry is not None:
        resp = error(request, fmt, 429, _("提交过于频繁，请稍后再试。"))
        resp["Retry-After"] = str(retry)
        return resp
    data, attrs = _params(request)
    wanted = data.get("jurisdiction_id")
    if wanted not in (None, "") and wanted != jurisdiction():
        return error(request, fmt, 404, _("未知的 jurisdiction_id：%(j)s") % {"j": wanted[:100]})
    service_code = (data.get("service_code") or "").strip()
    if not service_code:
        return error(request, fmt, 400, _("缺少 service_code。"))
    if service_code not in PetitionCategory.values:
        return error(request, fmt, 404, _("未知的 service_code：%(c)s") % {"c": service_code[:50]})
    if data.get("lat") in (None, "") or data.get("long") in (None, ""):
        return error(request, fmt, 400, _("须提供 lat 和 long（本系统按坐标确定承办网格）。"))
    attributes = _checked_attributes(service_code, attrs)
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
            attributes=attributes,
        )
    except ApplicationError as exc:
        return error(request, fmt, exc.status if exc.status != 409 else 400, exc.message)
    return respond(
        request,
        fmt,
        # 200 as in the GeoReport v2 examples: some clients accept nothing else.
        [{"service_request_id": p.public_id, "service_notice": _notice(p), "account_id": None}],
        "service_requests",
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


def _get_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    from .selectors import public_petition_requests

    g = request.GET
    codes = [c.strip() for c in (g.get("service_request_id") or "").split(",") if c.strip()]
    if codes:  # service_request_id overrides every other filter (GeoReport v2)
        items = public_petition_requests(codes=codes[:100])
        return respond(request, fmt, [request_json(p) for p in items], "service_requests")
    status = g.get("status", "")
    if status and not {s.strip() for s in status.split(",")} <= {"open", "closed"}:
        return error(request, fmt, 400, _("status 只能是 open 或 closed。"))
    service_code = g.get("service_code", "")
    if service_code and not {s.strip() for s in service_code.split(",")} <= set(
        PetitionCategory.values
    ):
        return error(request, fmt, 400, _("未知的 service_code。"))
    start = _parse_date(g.get("start_date"), "start_date")
    end = _parse_date(g.get("end_date"), "end_date")
    if start and end and end < start:
        return error(request, fmt, 400, _("end_date 早于 start_date。"))
    items = public_petition_requests(service_code=service_code, status=status, start=start, end=end)
    return respond(request, fmt, [request_json(p) for p in items], "service_requests")


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    from .selectors import public_petition_by_public_id

    p = public_petition_by_public_id(code)
    if p is None:
        return error(request, fmt, 404, _("未找到该编号对应的信访件。"))
    return respond(request, fmt, [request_json(p)], "service_requests")


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found(request: HttpRequest, fmt: str, rest: str = "") -> HttpResponse:
    return error(request, fmt, 404, _("未知的 Open311 资源（支持 .json 与 .xml）。"))


@csrf_exempt
def not_found_any(request: HttpRequest, rest: str = "") -> HttpResponse:
    fmt = "xml" if rest.endswith(".xml") else "json"
    return not_found(request, fmt=fmt, rest=rest)


def framework_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """An error raised before an Open311 view runs (the request parser: too many fields,
    too large, undecodable) as the GeoReport error array, in the requested format; hooked
    into envgrid.core.error_views by DisclosureConfig.ready()."""
    fmt = "xml" if request.path.rstrip("/").endswith(".xml") else "json"
    return error(request, fmt, exc.status, exc.message)
