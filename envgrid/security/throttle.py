"""Login throttling beyond django-axes's pair lock: per address and per account.

django-axes locks one (username, address) pair after AXES_FAILURE_LIMIT failures. That
alone lets one address try a few passwords on every account (password spraying), and a
lock per username alone would let anyone lock a user out from anywhere. So, within the
cool-off time, counted from axes's own AccessAttempt rows (the client address comes from
envgrid.core.clientaddr, as for every other use):

- "address": ENVGRID_LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the
  usernames, lock that address for the cool-off time;
- "account": after ENVGRID_LOGIN_ACCOUNT_FAILURE_LIMIT failures for one username from all
  addresses, that account takes one attempt per ENVGRID_LOGIN_ACCOUNT_DELAY_SECONDS
  (counted from its latest failure) from any address the user has not logged in from
  within ENVGRID_LOGIN_KNOWN_ADDRESS_DAYS. A distributed guesser is slowed to that pace;
  the user is not held back at their usual address, and at most that delay elsewhere.

A wrong second-factor code counts as a failed login (`totp_failed`), so the same limits
hold for TOTP codes."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Sum
from django.utils import timezone

from envgrid.core import rules
from envgrid.core.clientaddr import client_ip

# The attribute a refused request carries, read by security.views.lockout_response.
REASON_ATTR = "envgrid_lockout"


def _cooloff() -> dt.timedelta:
    return settings.AXES_COOLOFF_TIME or dt.timedelta(minutes=15)


def account_delay() -> dt.timedelta:
    return dt.timedelta(seconds=int(rules.get("security.login_account_delay_seconds")))


def _recent(now: dt.datetime) -> Any:
    return AccessAttempt.objects.filter(attempt_time__gte=now - _cooloff())


def address_failures(ip: str, *, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return _recent(now).filter(ip_address=ip).aggregate(n=Sum("failures_since_start"))["n"] or 0


def known_address(username: str, ip: str, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    days = int(rules.get("security.login_known_address_days"))
    return AccessLog.objects.filter(
        username=username, ip_address=ip, attempt_time__gte=now - dt.timedelta(days=days)
    ).exists()


def refusal(request: Any, username: str | None) -> tuple[str, int] | None:
    """Why a login attempt from this request for `username` must be refused now, and in
    how many seconds it may be tried again; None when it may go ahead."""
    now = timezone.now()
    ip = client_ip(request)
    address_limit = int(rules.get("security.login_address_failure_limit"))
    if address_limit and address_failures(ip, now=now) >= address_limit:
        latest = _recent(now).filter(ip_address=ip).aggregate(t=Max("attempt_time"))["t"]
        return "address", _seconds_until((latest or now) + _cooloff(), now)
    account_limit = int(rules.get("security.login_account_failure_limit"))
    if not (username and account_limit):
        return None
    stats = (
        _recent(now)
        .filter(username=username)
        .aggregate(n=Sum("failures_since_start"), t=Max("attempt_time"))
    )
    if (stats["n"] or 0) < account_limit or stats["t"] is None:
        return None
    retry_at = stats["t"] + account_delay()
    if retry_at <= now or known_address(username, ip, now=now):
        return None
    return "account", _seconds_until(retry_at, now)


def _seconds_until(at: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((at - now).total_seconds()))


def refuse(request: Any, reason: str, retry_after: int) -> None:
    """Mark the request locked: axes's middleware (pages) and the token view (API) then
    answer with security.views.lockout_response, and axes does not count the attempt."""
    request.axes_locked_out = True
    setattr(request, REASON_ATTR, (reason, retry_after))


def totp_failed(request: Any, user: Any) -> None:
    """A wrong second-factor code: recorded by axes as a failed login of this user from
    this address, so it counts towards every limit above."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )


def login_allowed(request: Any, user: Any) -> bool:
    """Whether `user` may try a second-factor code from this request (same locks as a
    password); when not, the request is marked as refused."""
    username = user.get_username()
    if not AxesProxyHandler.is_allowed(request, {"username": username}):
        refuse(request, "pair", int(_cooloff().total_seconds()))
        return False
    found = refusal(request, username)
    if found is not None:
        refuse(request, *found)
        return False
    return True


def login_succeeded(request: Any, user: Any) -> None:
    """A complete login (password, and code where enabled): this address's failures for
    this user are forgiven. Not on the password alone — with AXES_RESET_ON_SUCCESS a
    password holder could otherwise reset the count between guesses of the code."""
    AccessAttempt.objects.filter(
        username=user.get_username(), ip_address=client_ip(request)
    ).delete()
