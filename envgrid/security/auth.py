"""`Authorization: Token <key>` for the API, on envgrid's expiring, revocable tokens
(security.tokens) instead of DRF's never-expiring authtoken."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from envgrid.core.clientaddr import client_ip

from .tokens import token_authenticate

MESSAGES = {
    "invalid": "令牌无效。",
    "expired": "令牌已过期，请重新获取。",
    "revoked": "令牌已撤销，请重新获取。",
    "inactive": "账号已停用。",
    "password_changed": "密码已修改，令牌已失效，请重新获取。",
}


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确。"), code="token_invalid")
        try:
            key = parts[1].decode("ascii")
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(
                _("令牌格式不正确。"), code="token_invalid"
            ) from exc
        token, why = token_authenticate(key=key, ip=client_ip(request))
        if token is None:
            raise exceptions.AuthenticationFailed(_(MESSAGES[why]), code=f"token_{why}")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class TokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes the header (the same as DRF's authtoken had)."""

    target_class = "envgrid.security.auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token <key>（令牌有效期见 ENVGRID_TOKEN_HOURS）",
        }
