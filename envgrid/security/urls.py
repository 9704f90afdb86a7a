"""/security/…: the TOTP second factor and API tokens."""

from django.urls import path

from . import views

urlpatterns = [
    path("totp/", views.totp_setup, name="totp-setup"),
    path("totp/verify/", views.totp_verify, name="totp-verify"),
    path("tokens/", views.token_list_page, name="token-list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_page, name="token-revoke"),
]
