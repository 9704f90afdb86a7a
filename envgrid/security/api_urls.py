"""/api/auth/tokens/…: list and revoke API tokens."""

from django.urls import path

from . import api

urlpatterns = [
    path("auth/tokens/", api.ApiTokenListView.as_view(), name="api-token-list"),
    path("auth/tokens/<int:pk>/revoke/", api.ApiTokenRevokeView.as_view(), name="api-token-revoke"),
]
