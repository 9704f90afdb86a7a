"""The grid tree (G1): levels, codes, owner units, boundaries as GeoJSON in WGS84 lon/lat;
the named roster of each grid (G2); its history and major adjustments (G5)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.models import TimeStampedModel

# Used when neither the grid nor a StaffingRule for its level says otherwise (G2).
DEFAULT_MIN_STAFF = 2


class Grid(TimeStampedModel):
    code = models.CharField(_("网格编码"), max_length=50, unique=True)
    name = models.CharField(_("网格名称"), max_length=200)
    level = models.PositiveSmallIntegerField(_("层级"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("网格主体单位"), on_delete=models.PROTECT, related_name="grids"
    )
    leading_group = models.ForeignKey(
        "org.LeadingGroup",
        verbose_name=_("领导小组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grids",
    )
    # GeoJSON geometry (Polygon or MultiPolygon), WGS84 lon/lat.
    boundary = models.JSONField(_("边界"))
    # Materialised path of ancestor ids ("/1/5/23/"): subtree reads are one indexed prefix filter.
    path = models.CharField(max_length=500, db_index=True, default="/")
    min_lon = models.FloatField(default=0)
    min_lat = models.FloatField(default=0)
    max_lon = models.FloatField(default=0)
    max_lat = models.FloatField(default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    # Written duties of the grid as a whole (G2); each person's share is on GridAssignment.
    duties = models.TextField(_("网格职责"), max_length=limits.LONG, blank=True)
    # Overrides the StaffingRule of the grid's level when set.
    min_staff = models.PositiveSmallIntegerField(_("网格员最少人数"), null=True, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("网格")
        verbose_name_plural = _("网格")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("grids:detail", args=[self.pk])

    def ancestors_ids(self) -> list[int]:
        return [int(x) for x in self.path.strip("/").split("/") if x][:-1]

    def path_ids(self) -> list[int]:
        """Ids from the root down to this grid, itself included."""
        return [int(x) for x in self.path.strip("/").split("/") if x]


class GridRole(models.TextChoices):
    """The named roles of a grid (G2; 主要行政领导负责制, 责任到人)."""

    LEADER = "leader", _("主要行政领导")
    HEAD = "head", _("网格长")
    STAFF = "staff", _("网格员")
    SUPERVISOR = "supervisor", _("监管员")


# Roles that one person holds at a time; assigning another replaces the holder.
SINGLE_HOLDER_ROLES = (GridRole.LEADER, GridRole.HEAD)


class GridAssignment(TimeStampedModel):
    """A person named in a role of a grid, with the duties decomposed to them.
    Never deleted: ending an assignment keeps it, so the roster has a history."""

    grid = models.ForeignKey(
        Grid, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("岗位"), max_length=20, choices=GridRole.choices)
    person = models.ForeignKey(
        "org.Person",
        verbose_name=_("人员"),
        on_delete=models.PROTECT,
        related_name="grid_assignments",
    )
    duties = models.TextField(_("个人职责"), max_length=limits.LONG, blank=True)
    started_at = models.DateTimeField(_("任职时间"))
    ended_at = models.DateTimeField(_("离任时间"), null=True, blank=True)
    end_reason = models.CharField(_("离任原因"), max_length=300, blank=True)

    class Meta:
        ordering = ["grid", "role", "started_at"]
        verbose_name = _("网格人员")
        verbose_name_plural = _("网格人员")
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "role"],
                condition=Q(ended_at__isnull=True, role__in=["leader", "head"]),
                name="grid_single_holder_role",
            ),
            models.UniqueConstraint(
                fields=["grid", "role", "person"],
                condition=Q(ended_at__isnull=True),
                name="grid_assignment_active_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grid.name} {self.get_role_display()} {self.person.name}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class StaffingRule(models.Model):
    """The minimum number of grid staff (网格员) for grids of one level (G2): data, not code."""

    level = models.PositiveSmallIntegerField(_("层级"), unique=True)
    min_staff = models.PositiveSmallIntegerField(_("网格员最少人数"), default=DEFAULT_MIN_STAFF)

    class Meta:
        ordering = ["level"]
        verbose_name = _("网格员配备要求")
        verbose_name_plural = _("网格员配备要求")

    def __str__(self) -> str:
        return f"L{self.level} ≥ {self.min_staff}"


class HistoryKind(models.TextChoices):
    CREATED = "created", _("设立网格")
    DIVISION = "division", _("网格划分调整")
    BOUNDARY = "boundary", _("边界调整")
    INFO = "info", _("基本信息调整")
    DUTIES = "duties", _("职责调整")
    PEOPLE = "people", _("人员调整")
    ENTITY_IN = "entity_in", _("监管对象划入")
    ENTITY_OUT = "entity_out", _("监管对象划出")


class GridHistory(models.Model):
    """Append-only record of every change to a grid's division, duties or people and of
    every supervised entity entering or leaving it (G5): who, when, what, before/after."""

    grid = models.ForeignKey(
        Grid, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="history"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=HistoryKind.choices)
    summary = models.CharField(_("摘要"), max_length=500)
    before = models.JSONField(_("调整前"), null=True, blank=True)
    after = models.JSONField(_("调整后"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_repr = models.CharField(_("操作人名称"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    is_major = models.BooleanField(_("重大调整"), default=False)
    # Set for entity_in / entity_out rows (entities sit above grids, so no FK here).
    entity_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("网格动态记录")
        verbose_name_plural = _("网格动态记录")
        indexes = [models.Index(fields=["grid", "-at"], name="grid_history_grid_at")]

    def __str__(self) -> str:
        return f"{self.grid.code} {self.get_kind_display()} {self.at:%Y-%m-%d}"


class MajorAdjustment(models.Model):
    """A change marked as a major adjustment (重大调整, SPEC G5 / I4).

    Contract for the reporting and disclosure apps, which read this table (grids
    imports neither of them):

    - One row per major change, written in the same transaction as the change and
      its GridHistory row (`history`). `grid`, `kind` (a HistoryKind value),
      `summary`, `before` / `after` (JSON snapshots of what changed), `made_by`
      and `made_at` never change after creation.
    - Upward report (信息报送): the reporting app picks rows with `reported_at` null
      (see selectors.major_adjustments_pending(kind="report")), creates its report and
      then sets `report_ref` (its report's id, as text) and `reported_at`.
    - Public disclosure (信息公开): the disclosure app picks rows with `disclosed_at`
      null, creates a disclosure *draft*, sets `disclosure_ref` when the draft exists and
      `disclosed_at` when it is published.
    - Apps that want to act at once rather than poll register a callback with
      envgrid.grids.hooks.register_major_adjustment_listener(fn(adj)); it runs inside the
      creating transaction, so a failing listener undoes the change.
    """

    grid = models.ForeignKey(
        Grid, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="major_adjustments"
    )
    history = models.OneToOneField(
        GridHistory,
        verbose_name=_("动态记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="major_adjustment",
    )
    kind = models.CharField(_("类型"), max_length=20, choices=HistoryKind.choices)
    summary = models.CharField(_("调整说明"), max_length=500)
    before = models.JSONField(_("调整前"), null=True, blank=True)
    after = models.JSONField(_("调整后"), null=True, blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    made_at = models.DateTimeField(_("调整时间"), db_index=True)
    report_ref = models.CharField(_("上报记录"), max_length=64, blank=True)
    reported_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    disclosure_ref = models.CharField(_("公开记录"), max_length=64, blank=True)
    disclosed_at = models.DateTimeField(_("公开时间"), null=True, blank=True)

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = _("重大调整")
        verbose_name_plural = _("重大调整")

    def __str__(self) -> str:
        return f"{self.grid.name}：{self.summary}"


class GridIndexVersion(models.Model):
    """Single row whose token changes with every grid write: each server process compares
    it with the token of its in-memory point→grid index before a lookup (G3) and rebuilds
    the index when it differs. A token (not only a counter) so that a rolled-back change
    can never be mistaken for a later committed one."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    counter = models.BigIntegerField(default=0)
    token = models.CharField(max_length=36, default="")

    def __str__(self) -> str:
        return f"grid index v{self.counter}"

    @staticmethod
    def new_token() -> str:
        return str(uuid.uuid4())
