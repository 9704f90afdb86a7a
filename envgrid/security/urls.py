"""/security/…: the TOTP second factor."""

from django.urls import path

from . import views

urlpatterns = [
    path("totp/", views.totp_setup, name="totp-setup"),
    path("totp/verify/", views.totp_verify, name="totp-verify"),
]
