"""TOTP enrolment and checking: the one place that writes TOTPDevice rows, audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record
from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.org.selectors import actor_for

from . import totp
from .models import TokenRevokeReason, TOTPDevice
from .tokens import token_revoke_all

# Who may turn the second factor on: the accounts that see a whole leading group.
ELIGIBLE_ROLES = {"admin", "office"}


def totp_eligible(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and actor_for(user).role in ELIGIBLE_ROLES


def totp_enabled(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


@transaction.atomic
def totp_enrol_begin(*, user: Any) -> TOTPDevice:
    """A fresh, unconfirmed secret for `user` (replacing an earlier unconfirmed one)."""
    if not totp_eligible(user):
        raise PermissionDeniedError(_("只有领导小组办公室工作人员和系统管理员可以启用动态口令。"))
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed:
        raise ApplicationError(_("已启用动态口令，如需更换请先停用。"), code="totp_enabled")
    if device is None:
        device = TOTPDevice.objects.create(user=user, secret=totp.random_secret())
    else:
        device.secret = totp.random_secret()
        device.last_step = 0
        device.save(update_fields=["secret", "last_step"])
    return device


def _accept(device: TOTPDevice, code: str) -> bool:
    step = totp.match_step(device.secret, code)
    if step is None or step <= device.last_step:
        return False
    device.last_step = step
    return True


@transaction.atomic
def totp_enrol_confirm(*, user: Any, code: str) -> TOTPDevice:
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed:
        raise ApplicationError(_("请先生成密钥。"), code="totp_not_started")
    if not _accept(device, code):
        raise ApplicationError(
            _("动态口令不正确，请核对手机时间后重试。"), code="totp_invalid", fields={"code": []}
        )
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at", "last_step"])
    audit_record(actor=user, action="totp.enable", obj=device, after={"user": user.pk})
    # A token issued on the password alone would walk around the new second factor.
    token_revoke_all(user=user, actor=user, reason=TokenRevokeReason.TOTP_ENABLED)
    return device


@transaction.atomic
def totp_check(*, user: Any, code: str) -> bool:
    """True once per valid code of `user`'s confirmed device (a replayed code is refused)."""
    device = (
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    )
    if device is None or not _accept(device, code):
        return False
    device.save(update_fields=["last_step"])
    return True


@transaction.atomic
def totp_disable(*, user: Any, code: str) -> None:
    if not totp_check(user=user, code=code):
        raise ApplicationError(_("动态口令不正确。"), code="totp_invalid")
    device = TOTPDevice.objects.get(user=user)
    audit_record(actor=user, action="totp.disable", obj=device, before={"user": user.pk})
    device.delete()


def login_complete(*, request: Any, user: Any, via: str) -> None:
    """A login that passed every factor: its address's failures are forgiven and the
    login is audited with the client address (core.clientaddr), so a stolen password's
    use shows in the audit log."""
    from envgrid.core.clientaddr import client_ip

    from . import throttle

    throttle.login_succeeded(request, user)
    audit_record(
        actor=user,
        action="auth.login",
        obj=user,
        object_repr=user.get_username(),
        after={"ip": client_ip(request), "via": via},
    )
