"""Security headers (CSP and friends), the idle-session timeout and the TOTP gate."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from envgrid.core import rules

SEEN_KEY = "security.seen"
TOTP_PENDING_KEY = "security.totp_pending"
# Paths a half-logged-in user (password given, TOTP not yet) may still reach.
TOTP_OPEN_PREFIXES = (
    "/security/totp/verify/",
    "/accounts/login/",
    "/accounts/logout/",
    "/static/",
    "/i18n/",
    "/jsi18n/",
    "/healthz",
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response (Django 5.2 has
    no CSP of its own; SecurityMiddleware sends nosniff, referrer policy, COOP, HSTS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csp = rules.get("security.csp")
        self.permissions = rules.get("security.permissions_policy")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.csp and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.csp
        if self.permissions and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.permissions
        return response


class SessionSecurityMiddleware:
    """Ends a session left idle longer than ENVGRID_SESSION_IDLE_SECONDS, and holds a login
    whose account has TOTP on at the verify page until the code is given."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._idle_expired(request)
            if expired is not None:
                return expired
            if request.session.get(TOTP_PENDING_KEY) and not request.path.startswith(
                TOTP_OPEN_PREFIXES
            ):
                return self._totp_required(request)
        return self.get_response(request)

    def _idle_expired(self, request: HttpRequest) -> HttpResponse | None:
        limit = int(rules.get("security.session_idle_seconds"))
        seen = request.session.get(SEEN_KEY)
        if not limit or seen is None:
            return None
        now = int(time.time())
        if now - int(seen) > limit:
            logout(request)
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "session_expired",
                        "message": _("长时间未操作，请重新登录。"),
                        "fields": {},
                    },
                    status=401,
                )
            return HttpResponseRedirect(
                f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
            )
        if now - int(seen) > 60:  # refresh at most once a minute: one session write
            request.session[SEEN_KEY] = now
        return None

    def _totp_required(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": "totp_required", "message": _("请先输入动态口令。"), "fields": {}},
                status=403,
            )
        return HttpResponseRedirect(
            f"{reverse('security:totp-verify')}?{urlencode({'next': request.get_full_path()})}"
        )


class RejectNulMiddleware:
    """A NUL character in the path or the query string is refused with a 400.

    PostgreSQL cannot store or compare text containing NUL (psycopg raises DataError),
    so such a value reaching a search or filter would be a 500 on PostgreSQL only —
    schemathesis found one on the case list. Form and JSON fields already refuse NUL
    (Django's and DRF's CharField validators); this covers what bypasses them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            message = _("请求参数含有空字符（NUL），已拒绝。")
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "invalid", "message": message, "fields": {}}, status=400
                )
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
