"""/api/auth/token/ with the second factor: an account that has enabled TOTP gets a token
only with a valid, unused code in `totp` (a password alone would bypass the web's
verify step)."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from envgrid.core.errors import ApplicationError

from . import throttle
from .services import login_complete, totp_check, totp_enabled
from .views import lockout_response


class TokenRequestSerializer(AuthTokenSerializer):
    totp = serializers.CharField(
        required=False, allow_blank=True, max_length=10, help_text="动态口令（已启用时必填）"
    )


def _locked(request: Request) -> Response:
    """The lockout answer of the login page, as a DRF response (429, same code)."""
    page = lockout_response(request)  # type: ignore[arg-type]
    headers = {"Retry-After": page["Retry-After"]} if page.has_header("Retry-After") else {}
    return Response(json.loads(page.content), status=page.status_code, headers=headers)


class TokenWithTOTPView(ObtainAuthToken):
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer("TokenOut", {"token": serializers.CharField()}),
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # A locked login is 429 here as on the login page (axes marks the request it
            # was given, which is DRF's, so its middleware never sees it).
            if getattr(request, "axes_locked_out", False):
                return _locked(request)
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        if totp_enabled(user):
            code = (serializer.validated_data.get("totp") or "").strip()
            if not code:
                raise ApplicationError(
                    _("请先输入动态口令。"),
                    code="totp_required",
                    fields={"totp": [_("必填")]},
                    status=403,
                )
            if not totp_check(user=user, code=code):
                throttle.totp_failed(request, user)
                if getattr(request, "axes_locked_out", False):
                    return _locked(request)
                raise ApplicationError(
                    _("动态口令不正确。"), code="totp_invalid", fields={"totp": [_("无效")]}
                )
        login_complete(request=request, user=user, via="token")
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
