"""Pages: turn the TOTP second factor on or off; give the code after the password."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.core.exports import xlsx_response

from . import services, throttle, totp
from . import tokens as tokens_mod
from .middleware import TOTP_PENDING_KEY
from .models import TOTPDevice


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not services.totp_eligible(user):
        raise PermissionDeniedError(_("只有领导小组办公室工作人员和系统管理员可以启用动态口令。"))
    device = TOTPDevice.objects.filter(user_id=user.pk).first()  # type: ignore[misc]
    error = ""
    status = 200
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "start":
                device = services.totp_enrol_begin(user=user)
            elif op == "confirm":
                device = services.totp_enrol_confirm(user=user, code=request.POST.get("code", ""))
                return HttpResponseRedirect(reverse("security:totp-setup"))
            elif op == "disable":
                services.totp_disable(user=user, code=request.POST.get("code", ""))
                return HttpResponseRedirect(reverse("security:totp-setup"))
            else:
                error, status = _("未知操作。"), 400
        except ApplicationError as exc:
            error, status = exc.message, exc.status
    uri = ""
    if device is not None and not device.confirmed:
        uri = totp.provisioning_uri(device.secret, account=user.get_username())
    return render(
        request,
        "security/totp_setup.html",
        {"device": device, "uri": uri, "error": error},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def totp_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect(reverse("login"))
    if not request.session.get(TOTP_PENDING_KEY):
        return HttpResponseRedirect(_safe_next(request))
    error = ""
    status = 200
    if request.method == "POST":
        # Codes are limited like passwords (issue 16): a locked login ends the half-open
        # session, and each wrong code counts as a failed login.
        if not throttle.login_allowed(request, user):
            logout(request)
            return lockout_response(request)
        if services.totp_check(user=user, code=request.POST.get("code", "")):
            request.session.pop(TOTP_PENDING_KEY, None)
            request.session.cycle_key()
            services.login_complete(request=request, user=user, via="web")
            return HttpResponseRedirect(_safe_next(request))
        throttle.totp_failed(request, user)
        if getattr(request, "axes_locked_out", False):
            logout(request)
            return lockout_response(request)
        error, status = _("动态口令不正确或已使用，请输入新的动态口令。"), 400
    return render(
        request,
        "security/totp_verify.html",
        {"error": error, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=status,
    )


STATE_LABELS = {"active": _lazy("有效"), "expired": _lazy("已过期"), "revoked": _lazy("已撤销")}


@login_required
@require_http_methods(["GET"])
def token_list_page(request: HttpRequest) -> HttpResponse:
    """The caller's API tokens (an administrator: everyone's), with an .xlsx beside it."""
    tokens = list(tokens_mod.token_list(user=request.user)[:500])
    rows = [(t, tokens_mod.token_state(t)) for t in tokens]
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("接口令牌"),
            [
                _("账号"),
                _("令牌前缀"),
                _("状态"),
                _("签发时间"),
                _("签发地址"),
                _("过期时间"),
                _("最近使用时间"),
                _("最近使用地址"),
                _("撤销时间"),
                _("撤销原因"),
            ],
            [
                (
                    t.user.get_username(),
                    t.prefix,
                    str(STATE_LABELS[state]),
                    t.created_at,
                    t.created_ip,
                    t.expires_at,
                    t.last_used_at,
                    t.last_used_ip,
                    t.revoked_at,
                    t.get_revoked_reason_display(),
                )
                for t, state in rows
            ],
        )
    return render(
        request,
        "security/token_list.html",
        {
            "rows": [(t, state, STATE_LABELS[state]) for t, state in rows],
            "is_admin": request.user.is_superuser,
        },
    )


@login_required
@require_http_methods(["POST"])
def token_revoke_page(request: HttpRequest, pk: int) -> HttpResponse:
    token = tokens_mod.token_get(user=request.user, pk=pk)
    try:
        tokens_mod.token_revoke(actor=request.user, token=token)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("令牌已撤销。"))
    return HttpResponseRedirect(reverse("security:token-list"))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: object = None
) -> HttpResponse:
    """What a locked login answers (AXES_LOCKOUT_CALLABLE, and the token endpoint): 429 with
    Retry-After, a page or JSON {code, message, fields}. The reason is axes's pair lock
    unless security.throttle marked the request with another one."""
    from django.conf import settings
    from django.http import JsonResponse

    from .throttle import REASON_ATTR

    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60) if cooloff else 0
    reason, retry_after = getattr(request, REASON_ATTR, None) or ("pair", minutes * 60)
    if reason == "account":
        code = "login_slowed"
        message = _("该账号近期登录失败次数过多，请 %(s)d 秒后再试。") % {"s": retry_after}
    elif reason == "address":
        code = "address_locked"
        message = _("本机地址登录失败次数过多，已暂时锁定。") + _(
            "请 %(m)d 分钟后再试，或联系系统管理员解锁。"
        ) % {"m": max(1, math.ceil(retry_after / 60))}
    else:
        code = "login_locked"
        message = _("连续 %(n)d 次登录失败，该账号在本机的登录已暂时锁定。") % {
            "n": settings.AXES_FAILURE_LIMIT
        }
        if minutes:
            message += _("请 %(m)d 分钟后再试，或联系系统管理员解锁。") % {"m": minutes}
        else:
            message += _("请联系系统管理员解锁。")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": code, "message": message, "fields": {}}, status=429
        )
    else:
        response = render(request, "security/lockout.html", {"message": message}, status=429)
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response
