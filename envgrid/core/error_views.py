"""One error path for every failure the request parser (or anything before a view) can
raise: too large, too many fields, a malformed multipart body, a body that cannot be
decoded, and the 404/500 Django answers itself (issue 16, part 3).

Under ``/api/`` the answer is JSON ``{code, message, fields}`` like every other API error;
pages get the error page. Another format can be hooked in per path prefix with
:func:`register_error_format` (the GeoReport error array under ``/open311/``)::

    register_error_format("/open311/", lambda request, error: JsonResponse(
        [{"code": error.status, "description": error.message}], safe=False,
        status=error.status))

``config/urls.py`` names these views as ``handler400``/``handler403``/``handler404``/
``handler500``; :class:`MethodNotAllowedPageMiddleware` gives a GET on a POST-only page the
same page (a 405 in the site's layout) instead of Django's empty answer (issue 20, part 2).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .errors import ApplicationError

ErrorFormat = Callable[[HttpRequest, ApplicationError], HttpResponse]
_FORMATS: dict[str, ErrorFormat] = {}


def register_error_format(prefix: str, fmt: ErrorFormat) -> None:
    """Answer errors under ``prefix`` with ``fmt(request, error)`` instead of JSON/page."""
    _FORMATS[prefix] = fmt


def as_application_error(exc: BaseException | None, status: int) -> ApplicationError:
    """The parser's (or Django's) exception as an ApplicationError with a stable code."""
    if isinstance(exc, ApplicationError):
        return exc
    if isinstance(exc, RequestDataTooBig):
        return ApplicationError(_("请求数据过大，已拒绝。"), code="request_too_large", status=413)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return ApplicationError(_("提交的字段或文件过多，已拒绝。"), code="too_many_fields")
    if isinstance(exc, MultiPartParserError):
        return ApplicationError(_("无法解析提交的表单数据。"), code="malformed_request")
    if isinstance(exc, UnicodeError):
        return ApplicationError(_("请求含有无法解码的字符。"), code="invalid_encoding")
    if isinstance(exc, RecursionError):
        return ApplicationError(_("请求数据嵌套过深。"), code="too_deep")
    if isinstance(exc, SuspiciousOperation) or status == 400:
        return ApplicationError(_("请求无效。"), code="bad_request")
    if status == 403:
        return ApplicationError(_("无权访问。"), code="permission_denied", status=403)
    if status == 404:
        return ApplicationError(_("未找到，或无权查看。"), code="not_found", status=404)
    if status == 405:
        return ApplicationError(
            _("此地址不接受这种请求方式：请使用页面上的按钮或表单提交。"),
            code="method_not_allowed",
            status=405,
        )
    return ApplicationError(_("服务器内部错误，请稍后重试。"), code="server_error", status=500)


# The page's heading per status; the message below it says why.
_HEADINGS = {
    400: _lazy("请求无效"),
    403: _lazy("无权访问"),
    404: _lazy("页面不存在"),
    405: _lazy("请求方式不正确"),
    413: _lazy("请求数据过大"),
    500: _lazy("系统出错了"),
}


def error_response(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    for prefix, fmt in _FORMATS.items():
        if request.path.startswith(prefix):
            return fmt(request, error)
    if request.path.startswith("/api/"):
        return JsonResponse(
            error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False}
        )
    try:
        return render(
            request,
            "web/error.html",
            {"error": error, "heading": _HEADINGS.get(error.status, _("操作未完成"))},
            status=error.status,
        )
    except Exception:  # the error page must not fail (a 500 inside the 500 handler)
        return HttpResponse(error.message, status=error.status, content_type="text/plain")


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return error_response(request, as_application_error(exception, 400))


def _formatted(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or any(request.path.startswith(p) for p in _FORMATS)


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    if isinstance(exception, ApplicationError):
        return error_response(request, exception)
    return error_response(request, as_application_error(None, 403))


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return error_response(request, as_application_error(None, 404))


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(request, as_application_error(None, 500))


class MethodNotAllowedPageMiddleware:
    """Django's ``require_POST`` answers a GET with an empty 405; a person who followed an
    old link or reloaded after a POST sees a blank page. Outside ``/api/`` (and the
    formats registered above) that empty answer becomes the 405 error page; its ``Allow``
    header is kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            isinstance(response, HttpResponseNotAllowed)
            and not response.content
            and not _formatted(request)
        ):
            page = error_response(request, as_application_error(None, 405))
            page["Allow"] = response["Allow"]
            return page
        return response
