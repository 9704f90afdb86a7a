"""Login security models: the TOTP authenticator of a login, and API tokens."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TOTPDevice(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret = models.CharField(_("密钥"), max_length=64)
    confirmed_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    # The newest time step accepted: a code is refused once used (RFC 6238 §5.2).
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("动态口令设备")
        verbose_name_plural = _("动态口令设备")

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class TokenRevokeReason(models.TextChoices):
    OWNER = "owner", _("本人撤销")
    ADMIN = "admin", _("管理员撤销")
    PASSWORD_CHANGED = "password_changed", _("密码已修改")
    TOTP_ENABLED = "totp_enabled", _("启用动态口令")


class ApiToken(models.Model):
    """An API token (`Authorization: Token <key>`): it expires, can be revoked, and is
    stored only as a digest, so a copy of the database gives no usable token."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the key
    prefix = models.CharField(_("令牌前缀"), max_length=8)  # to tell tokens apart in lists
    # The login's session hash at issue (it changes with the password): a token issued
    # before a password change stops working, whoever changed it and however.
    auth_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    created_ip = models.GenericIPAddressField(_("签发地址"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"))
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("最近使用地址"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_reason = models.CharField(
        _("撤销原因"), max_length=20, choices=TokenRevokeReason.choices, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"

    def state(self, now: dt.datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "active"
