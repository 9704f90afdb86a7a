"""API tokens: issue, use, list, revoke — the one place that writes ApiToken rows, audited.

A token lives ENVGRID_TOKEN_HOURS (12) from issue; it is refused once expired, revoked,
its login deactivated, or its login's password changed (the session hash it was issued
under no longer matches). Enabling TOTP revokes every token of the login. Use is
audited as "token.use" on first use, whenever the client address changes, and otherwise
at most once per ENVGRID_TOKEN_USE_AUDIT_SECONDS (300) — every request would serialise
all API traffic on the audit chain's head row."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core import rules
from envgrid.core.audit import audit_record
from envgrid.core.errors import ApplicationError, NotFoundError

from .models import ApiToken, TokenRevokeReason


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def token_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=float(rules.get("security.token_hours")))


def _brief(token: ApiToken) -> dict[str, Any]:
    return {
        "user": token.user_id,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat(),
        "revoked_reason": token.revoked_reason,
    }


@transaction.atomic
def token_issue(*, user: Any, ip: str | None) -> tuple[ApiToken, str]:
    """A new token for `user`; the key is returned once and never stored."""
    key = secrets.token_hex(20)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        digest=digest(key),
        prefix=key[:8],
        auth_hash=user.get_session_auth_hash(),
        created_at=now,
        created_ip=ip,
        expires_at=now + token_lifetime(),
    )
    audit_record(actor=user, action="token.issue", obj=token, after={**_brief(token), "ip": ip})
    return token, key


def password_unchanged(token: ApiToken) -> bool:
    return secrets.compare_digest(token.auth_hash, token.user.get_session_auth_hash())


def token_state(token: ApiToken, now: dt.datetime | None = None) -> str:
    """ "active", "expired" or "revoked" (a password changed since issue is a revocation,
    recorded on the token's next use)."""
    state = token.state(now)
    if state == "active" and not password_unchanged(token):
        return "revoked"
    return state


def token_authenticate(*, key: str, ip: str | None) -> tuple[ApiToken | None, str]:
    """The live token for `key` and "", or None and why it is refused ("invalid",
    "expired", "revoked", "inactive", "password_changed")."""
    token = ApiToken.objects.select_related("user").filter(digest=digest(key)).first()
    if token is None:
        return None, "invalid"
    now = timezone.now()
    if token.revoked_at is not None:
        return None, "revoked"
    if token.expires_at <= now:
        return None, "expired"
    if not token.user.is_active:
        return None, "inactive"
    if not password_unchanged(token):
        with transaction.atomic():
            locked = ApiToken.objects.select_for_update().get(pk=token.pk)
            if locked.revoked_at is None:
                _revoke(locked, actor=None, reason=TokenRevokeReason.PASSWORD_CHANGED)
        return None, "password_changed"
    _record_use(token, ip=ip, now=now)
    return token, ""


def _record_use(token: ApiToken, *, ip: str | None, now: dt.datetime) -> None:
    every = dt.timedelta(seconds=int(rules.get("security.token_use_audit_seconds")))
    due = (
        token.last_used_at is None or token.last_used_ip != ip or now - token.last_used_at >= every
    )
    if not due:
        return
    with transaction.atomic():
        # Only one of several concurrent first uses records it.
        updated = ApiToken.objects.filter(pk=token.pk, last_used_at=token.last_used_at).update(
            last_used_at=now, last_used_ip=ip
        )
        if updated:
            token.last_used_at, token.last_used_ip = now, ip
            audit_record(
                actor=token.user,
                action="token.use",
                obj=token,
                after={"prefix": token.prefix, "ip": ip},
            )


def _revoke(token: ApiToken, *, actor: Any, reason: str) -> ApiToken:
    before = _brief(token)
    token.revoked_at = timezone.now()
    token.revoked_by = actor if getattr(actor, "is_authenticated", False) else None
    token.revoked_reason = reason
    token.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    audit_record(actor=actor, action="token.revoke", obj=token, before=before, after=_brief(token))
    return token


def token_list(*, user: Any, qs: QuerySet | None = None) -> QuerySet:
    """Tokens `user` may see: their own; an administrator's, everyone's."""
    qs = ApiToken.objects.select_related("user", "revoked_by") if qs is None else qs
    if getattr(user, "is_superuser", False):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(user_id=user.pk)


def token_get(*, user: Any, pk: int) -> ApiToken:
    token = token_list(user=user).filter(pk=pk).first()
    if token is None:
        raise NotFoundError(_("未找到该令牌。"))
    return token


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke one token: its owner or an administrator."""
    token = ApiToken.objects.select_for_update().get(pk=token_get(user=actor, pk=token.pk).pk)
    if token.revoked_at is not None:
        raise ApplicationError(_("该令牌已撤销。"), code="token_revoked", status=409)
    reason = TokenRevokeReason.OWNER if token.user_id == actor.pk else TokenRevokeReason.ADMIN
    return _revoke(token, actor=actor, reason=reason)


@transaction.atomic
def token_revoke_all(*, user: Any, actor: Any, reason: str) -> int:
    """Revoke every live token of `user` (TOTP enabled, password changed)."""
    live = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    n = 0
    for token in live:
        _revoke(token, actor=actor, reason=reason)
        n += 1
    return n
