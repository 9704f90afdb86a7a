"""Cross-cutting request handling: admin for administrators only; rule errors as 4xx pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render

from .errors import ApplicationError


class AdminOnlyMiddleware:
    """Django admin is for administrators (superusers) only; staff flags are not enough."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/") and not request.path.startswith("/admin/login"):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and not user.is_superuser:
                return HttpResponseForbidden("仅系统管理员可访问管理后台。")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ApplicationError) and not request.path.startswith("/api/"):
            return render(request, "web/error.html", {"error": exception}, status=exception.status)
        return None
