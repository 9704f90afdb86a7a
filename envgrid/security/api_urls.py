"""/api/auth/token/ (a token, with the TOTP second factor when set) and /api/auth/tokens/…:
list and revoke API tokens."""

from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.TokenWithTOTPView.as_view(), name="api-token"),
    path("auth/tokens/", api.ApiTokenListView.as_view(), name="api-token-list"),
    path("auth/tokens/<int:pk>/revoke/", api.ApiTokenRevokeView.as_view(), name="api-token-revoke"),
]
