"""/api/auth/token/ with the second factor: an account that has enabled TOTP gets a token
only with a valid, unused code in `totp` (a password alone would bypass the web's
verify step)."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from envgrid.core import limits
from envgrid.core.clientaddr import client_ip
from envgrid.core.errors import ApplicationError
from envgrid.core.serializer_fields import StrictCharField, StrictIntegerField

from . import throttle
from .services import login_complete, totp_check, totp_enabled
from .tokens import token_get, token_issue, token_list, token_revoke, token_state
from .views import lockout_response


class TokenRequestSerializer(AuthTokenSerializer):
    # AuthTokenSerializer's own fields have no maximum length (issue 16, part 3).
    username = StrictCharField(
        label=gettext_lazy("用户名"), write_only=True, max_length=limits.SHORT
    )
    password = StrictCharField(
        label=gettext_lazy("密码"),
        style={"input_type": "password"},
        trim_whitespace=False,
        write_only=True,
        max_length=limits.MEDIUM,
    )
    totp = StrictCharField(
        required=False, allow_blank=True, max_length=10, help_text="动态口令（已启用时必填）"
    )


def _locked(request: Request) -> Response:
    """The lockout answer of the login page, as a DRF response (429, same code)."""
    page = lockout_response(request)
    headers = {"Retry-After": page["Retry-After"]} if page.has_header("Retry-After") else {}
    return Response(json.loads(page.content), status=page.status_code, headers=headers)


class TokenWithTOTPView(ObtainAuthToken):
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer(
            "TokenOut",
            {
                "token": StrictCharField(max_length=limits.LONG),
                "expires_at": serializers.DateTimeField(),
            },
        ),
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
        token, key = token_issue(user=user, ip=client_ip(request))
        return Response({"token": key, "expires_at": token.expires_at})


class ApiTokenSerializer(serializers.Serializer):
    id = StrictIntegerField()
    user = StrictIntegerField(source="user_id")
    username = StrictCharField(source="user.username", max_length=limits.SHORT)
    prefix = StrictCharField(help_text="令牌前8位，用于区分", max_length=limits.SHORT)
    state = serializers.ChoiceField(choices=["active", "expired", "revoked"])
    created_at = serializers.DateTimeField()
    created_ip = serializers.IPAddressField(allow_null=True)
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    last_used_ip = serializers.IPAddressField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_reason = StrictCharField(max_length=limits.SHORT)


def _token_data(token: Any) -> dict[str, Any]:
    data = ApiTokenSerializer(token).data
    data["state"] = token_state(token)
    return data


class ApiTokenListView(APIView):
    """The caller's API tokens (an administrator: everyone's), newest first; never a key."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request: Request) -> Response:
        tokens = token_list(user=request.user)[:200]
        return Response([_token_data(t) for t in tokens])


class ApiTokenRevokeView(APIView):
    """Revoke a token: its owner or an administrator (others: 404)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ApiTokenSerializer)
    def post(self, request: Request, pk: int) -> Response:
        token = token_revoke(actor=request.user, token=token_get(user=request.user, pk=pk))
        return Response(_token_data(token))
