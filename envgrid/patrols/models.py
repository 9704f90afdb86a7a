"""Patrols by grid staff (巡查, issue 10): plans per grid, patrols that are never voided,
checks with a result each, photos and a GPS track merged by time."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.models import StoredFile, TimeStampedModel

# Required frequency (days between checks) per entity category when a plan says nothing.
DEFAULT_EVERY_DAYS: dict[str, int] = {"key": 7, "general": 14, "registered": 14, "site": 14}


class PatrolPlan(TimeStampedModel):
    """The plan of one grid: the grid staff assigned and the frequency per category."""

    grid = models.OneToOneField(
        "grids.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="patrol_plan"
    )
    staff = models.ManyToManyField(
        "org.Person", verbose_name=_("巡查人员"), related_name="patrol_plans", blank=True
    )
    notes = models.TextField(_("备注"), max_length=limits.LONG, blank=True)

    class Meta:
        verbose_name = _("巡查计划")
        verbose_name_plural = _("巡查计划")

    def __str__(self) -> str:
        return str(self.grid)

    def every_days(self) -> dict[str, int]:
        days = dict(DEFAULT_EVERY_DAYS)
        days.update({r.category: r.every_days for r in self.requirements.all()})
        return days


class PlanRequirement(models.Model):
    plan = models.ForeignKey(PatrolPlan, on_delete=models.CASCADE, related_name="requirements")
    category = models.CharField(_("监管对象类别"), max_length=20)
    every_days = models.PositiveSmallIntegerField(_("每隔天数"))

    class Meta:
        verbose_name = _("巡查频次")
        verbose_name_plural = _("巡查频次")
        constraints = [
            models.UniqueConstraint(fields=["plan", "category"], name="patrol_plan_category")
        ]

    def __str__(self) -> str:
        return f"{self.category}/{self.every_days}"


class PatrolStatus(models.TextChoices):
    OPEN = "open", _("巡查中")
    FINISHED = "finished", _("已结束")


class Patrol(TimeStampedModel):
    """One patrol. An interrupted patrol stays open and resumes; nothing voids it."""

    staff = models.ForeignKey(
        "org.Person", verbose_name=_("巡查人员"), on_delete=models.PROTECT, related_name="patrols"
    )
    grid = models.ForeignKey(
        "grids.Grid", verbose_name=_("责任网格"), on_delete=models.PROTECT, related_name="patrols"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=PatrolStatus.choices, default=PatrolStatus.OPEN
    )
    started_at = models.DateTimeField(_("开始时间"), db_index=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    notes = models.TextField(_("巡查记录"), max_length=limits.LONG, blank=True)
    external_ref = models.CharField(max_length=64, blank=True, db_index=True)
    # Derived from the merged track (refreshed after each part).
    point_count = models.PositiveIntegerField(_("轨迹点数"), default=0)
    first_point_at = models.DateTimeField(null=True, blank=True)
    last_point_at = models.DateTimeField(null=True, blank=True)
    outside_seconds = models.PositiveIntegerField(_("网格外时长（秒）"), default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("巡查记录")
        verbose_name_plural = _("巡查记录")

    def __str__(self) -> str:
        return f"{self.staff} {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("patrols:detail", args=[self.pk])


class TrackPoint(models.Model):
    """One GPS point; (patrol, t) is unique, so parts merge by time and repeats drop out."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points")
    t = models.DateTimeField()
    lon = models.FloatField()
    lat = models.FloatField()
    # Leaf grid containing the point (grid_resolve_many), -1 outside every grid.
    grid_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["patrol", "t"]
        constraints = [
            models.UniqueConstraint(fields=["patrol", "t"], name="patrol_track_point_time")
        ]

    def __str__(self) -> str:
        return f"{self.t:%H:%M:%S} {self.lon:.5f},{self.lat:.5f}"


class CheckResult(models.TextChoices):
    OK = "ok", _("正常")
    FINDING = "finding", _("发现问题")
    ABSENT = "absent", _("停产/无人")


class PatrolCheck(TimeStampedModel):
    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="checks")
    entity = models.ForeignKey(
        "entities.SupervisedEntity",
        verbose_name=_("监管对象"),
        on_delete=models.PROTECT,
        related_name="patrol_checks",
    )
    checked_at = models.DateTimeField(_("检查时间"), db_index=True)
    result = models.CharField(_("检查结果"), max_length=10, choices=CheckResult.choices)
    notes = models.TextField(_("情况说明"), max_length=limits.LONG, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    # Where the check was made lies outside the entity's grid: reported, not counted.
    outside_grid = models.BooleanField(_("网格外检查"), default=False)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("案件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["checked_at", "id"]
        verbose_name = _("巡查检查")
        verbose_name_plural = _("巡查检查")

    def __str__(self) -> str:
        return f"{self.entity} {self.get_result_display()}"


class PatrolPhoto(StoredFile):
    """A patrol photo: stored content-addressed by core.uploads, the storage path kept as
    text (``path``) rather than as a FileField."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="photos")
    check_item = models.ForeignKey(
        PatrolCheck, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    file = None  # type: ignore[assignment]
    path = models.CharField(max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    mime = models.CharField(max_length=50)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("巡查照片")
        verbose_name_plural = _("巡查照片")
