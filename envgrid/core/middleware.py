"""Cross-cutting request handling: admin for administrators only; rule errors as 4xx pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils.translation import gettext as _

from .errors import ApplicationError, PermissionDeniedError


class AdminOnlyMiddleware:
    """Django admin is for administrators (superusers) only; staff flags are not enough."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/") and not request.path.startswith("/admin/login"):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and not user.is_superuser:
                from .error_views import error_response

                return error_response(
                    request,
                    PermissionDeniedError(_("仅系统管理员可访问管理后台。")),
                )
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ApplicationError) and not request.path.startswith("/api/"):
            return render(request, "web/error.html", {"error": exception}, status=exception.status)
        return None


class PagesChineseByDefaultLocaleMiddleware(LocaleMiddleware):
    """Pages are in Chinese unless the user chose English (the language switch sets a
    cookie); the browser's Accept-Language is not consulted for them, so an office PC with
    an English browser still shows the Chinese UI. The API keeps content negotiation: a
    client may ask for English messages with Accept-Language."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            return super().process_request(request)
        saved = request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        try:
            return super().process_request(request)
        finally:
            if saved is not None:
                request.META["HTTP_ACCEPT_LANGUAGE"] = saved
