"""Reads to a streaming read replica, everything else to the primary (docs/scaling.md §2).

When `DATABASE_REPLICA_URL` is set, settings add a `replica` alias and this router. A read
goes to the replica only when all of these hold:

- the request opted in: a GET/HEAD of a list page, a list/detail API action, an export or
  the overview (`ReplicaReadsMiddleware` decides from the URL; code may also use
  `replica_reads()`), so POSTs and management commands (the sweep, the assessment's
  finalisation, imports) read the primary;
- no transaction is open on the primary (a service's `transaction.atomic` block, its
  `select_for_update`, its policy checks before a write);
- the model is not one that must be current: sessions, login lockouts, API tokens, the
  cache table, notifications, the audit chain and the grid index version;
- the session or user has not written within `ENVGRID_REPLICA_STICKY_SECONDS`
  (read-your-writes): a successful unsafe request sets a cookie and, for a signed-in
  user, a cache key, so every app server that serves the next request knows.

Without a replica every read goes to `default`, exactly as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PRIMARY = "default"
STICKY_COOKIE = "envgrid_primary_until"

# Models whose reads must be current whatever the request: the app labels and the
# "app_label.model" names below always read the primary.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "authtoken", "django_cache", "security"})
PRIMARY_ONLY_MODELS = frozenset(
    {"grids.gridindexversion", "core.notification", "core.auditevent", "core.audithead"}
)

# URL names (namespace:name) whose GET reads may come from the replica; API list and
# detail actions (DRF router names ending in -list / -detail) are added by suffix.
REPLICA_VIEW_NAMES = frozenset(
    {
        "home",
        "cases:list",
        "cases:inbox",
        "cases:outbox",
        "cases:overdue",
        "cases:register_xlsx",
        "cases:disputes",
        "entities:list",
        "obligations:list",
        "obligations:register",
        "enforcement:list",
        "meetings:list",
        "meetings:task_reports",
        "patrols:list",
        "patrols:plans",
        "reporting:list",
        "reporting:schedule_list",
        "reporting:due_list",
        "org:unit_list",
        "org:person_list",
        "org:training_list",
        "org:group_list",
        "grids:map",
        "grids:geojson",
        "grids:export",
        "assessment:list",
        "assessment:plans",
        "disclosure:map",
        "disclosure:data_grids",
        "disclosure:data_hazards",
        "disclosure:data_petition_stats_csv",
        "disclosure:data_petition_stats_json",
    }
)
REPLICA_API_SUFFIXES = ("-list", "-detail")


class _ReadState:
    """Whether this request's eligible reads may use the replica, decided once, lazily:
    API token users are known only when DRF authenticates them inside the view."""

    __slots__ = ("_decided", "_deciding", "request")

    def __init__(self, request: HttpRequest | None) -> None:
        self.request = request
        self._decided: bool | None = None
        self._deciding = False

    def use_replica(self) -> bool:
        if self._decided is not None:
            return self._decided
        if self._deciding:  # the sticky check's own cache read
            return False
        self._deciding = True
        try:
            self._decided = not (self.request is not None and recently_wrote(self.request))
        finally:
            self._deciding = False
        return self._decided


_state: ContextVar[_ReadState | None] = ContextVar("envgrid_replica_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def sticky_seconds() -> float:
    from envgrid.core import rules

    return float(rules.get("core.replica_sticky_seconds"))


def _user_key(user_id: Any) -> str:
    return f"envgrid:primary-until:user:{user_id}"


def recently_wrote(request: HttpRequest) -> bool:
    """Did this browser (cookie) or this user (cache key) write in the last few seconds?"""
    now = time.time()
    try:
        if float(request.COOKIES.get(STICKY_COOKIE, "0")) > now:
            return True
    except ValueError:
        pass
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        until = cache.get(_user_key(user.pk))
        if until is not None and float(until) > now:
            return True
    return False


def mark_wrote(request: HttpRequest, response: HttpResponse) -> None:
    until = time.time() + sticky_seconds()
    response.set_cookie(
        STICKY_COOKIE,
        f"{until:.3f}",
        max_age=max(1, int(sticky_seconds()) + 1),
        httponly=True,
        samesite="Lax",
        secure=getattr(settings, "SESSION_COOKIE_SECURE", False),
    )
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        cache.set(_user_key(user.pk), until, timeout=max(1, int(sticky_seconds()) + 1))


@contextmanager
def replica_reads(request: HttpRequest | None = None) -> Iterator[None]:
    """Let the eligible reads inside go to the replica (unless `request` wrote lately)."""
    token = _state.set(_ReadState(request))
    try:
        yield
    finally:
        _state.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Every read inside goes to the primary, even within `replica_reads()`."""
    token = _state.set(None)
    try:
        yield
    finally:
        _state.reset(token)


def read_alias(model: Any = None) -> str:
    """Where a read of `model` goes now (the router's decision, also for raw SQL)."""
    if not replica_configured():
        return PRIMARY
    state = _state.get()
    if state is None:
        return PRIMARY
    if model is not None:
        meta = model._meta
        if meta.app_label in PRIMARY_ONLY_APPS or meta.label_lower in PRIMARY_ONLY_MODELS:
            return PRIMARY
    if connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return REPLICA if state.use_replica() else PRIMARY


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        instance = hints.get("instance")
        if instance is not None and instance._state.db == PRIMARY:
            return PRIMARY  # related objects of a row read from the primary
        return read_alias(model)

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one data set, two copies

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


def replica_eligible(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    name = match.view_name
    if name in REPLICA_VIEW_NAMES:
        return True
    return request.path.startswith("/api/") and name.endswith(REPLICA_API_SUFFIXES)


class ReplicaReadsMiddleware:
    """Opts the list/export/overview GETs into replica reads and, after any successful
    write request, pins that browser and user to the primary for a few seconds."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        finally:
            token = getattr(request, "_envgrid_replica_token", None)
            if token is not None:
                _state.reset(token)
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and response.status_code < 400
            and replica_configured()
        ):
            mark_wrote(request, response)
        return response

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        # The view and its template rendering run inside this request's context, so the
        # flag set here holds for them and is cleared in __call__.
        if replica_configured() and replica_eligible(request):
            request._envgrid_replica_token = _state.set(_ReadState(request))  # type: ignore[attr-defined]
        return None
