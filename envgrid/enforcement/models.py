"""Joint law enforcement (联合执法, SPEC E1–E6): actions and their plans, participants,
officers and liaisons, assignments to lower grids, inspections, photos and findings."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import StoredFile, TimeStampedModel
from envgrid.core.workflow import StatusHistory

from . import rules


class ActionCategory(models.TextChoices):
    """E2: what joint enforcement covers (seed 二、第二条)."""

    KEY_PROBLEM = "key_problem", _("重点、难点、热点问题")
    LINKAGE = "linkage", _("行政执法与刑事司法衔接案件")
    CAMPAIGN = "campaign", _("上级部署的专项行动")
    INCIDENT = "incident", _("突发环境事件")


class CampaignLevel(models.TextChoices):
    STATE = "state", _("国家")
    PROVINCE = "province", _("省")
    CITY = "city", _("市")


class IncidentType(models.TextChoices):
    WATER = "water", _("水污染")
    AIR = "air", _("大气污染")
    SOIL = "soil", _("土壤污染")
    HAZMAT = "hazmat", _("危险化学品、危险废物泄漏")
    RADIATION = "radiation", _("辐射")
    ECOLOGY = "ecology", _("生态破坏")
    OTHER = "other", _("其他")


class IncidentLevel(models.TextChoices):
    """Grading of the national emergency plan for sudden environmental incidents."""

    I = "1", _("特别重大（Ⅰ级）")  # noqa: E741
    II = "2", _("重大（Ⅱ级）")
    III = "3", _("较大（Ⅲ级）")
    IV = "4", _("一般（Ⅳ级）")


class ActionMode(models.TextChoices):
    GRID = "grid", _("网格主体组织")  # E3
    MEMBERS = "members", _("成员单位之间")  # E6


class ActionStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    APPROVED = "approved", _("已批准")
    DEPLOYED = "deployed", _("已部署")
    IN_PROGRESS = "in_progress", _("实施中")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


class EnforcementAction(TimeStampedModel):
    """联合执法行动 and its action plan (行动方案, E3)."""

    number = models.CharField(_("方案文号"), max_length=60, blank=True, db_index=True)
    title = models.CharField(_("行动名称"), max_length=200)
    category = models.CharField(_("行动类别"), max_length=20, choices=ActionCategory.choices)
    mode = models.CharField(
        _("组织方式"), max_length=10, choices=ActionMode.choices, default=ActionMode.GRID
    )
    leading_group = models.ForeignKey(
        "org.LeadingGroup",
        verbose_name=_("领导小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enforcement_actions",
    )
    organiser_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("组织单位"),
        on_delete=models.PROTECT,
        related_name="organised_actions",
    )
    organiser_grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("组织网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organised_actions",
    )

    # E2 details per category.
    campaign_level = models.CharField(
        _("部署层级"), max_length=10, choices=CampaignLevel.choices, blank=True
    )
    campaign_doc_ref = models.CharField(_("部署文件文号"), max_length=100, blank=True)
    campaign_doc_title = models.CharField(_("部署文件标题"), max_length=200, blank=True)
    incident_at = models.DateTimeField(_("事件发生时间"), null=True, blank=True)
    incident_place = models.CharField(_("事件发生地点"), max_length=300, blank=True)
    incident_type = models.CharField(
        _("事件类型"), max_length=20, choices=IncidentType.choices, blank=True
    )
    incident_level = models.CharField(
        _("事件级别"), max_length=2, choices=IncidentLevel.choices, blank=True
    )
    linkage_ref = models.CharField(_("衔接案件编号"), max_length=100, blank=True)

    # The plan (E3).
    objectives = models.TextField(_("行动目标"), max_length=limits.LONG)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    schedule = models.TextField(_("时间安排"), max_length=limits.LONG, blank=True)
    requirements = models.TextField(_("工作要求"), max_length=limits.LONG, blank=True)
    # E4: acknowledgement deadline rule, data with a default (rules.ack_rule_default()).
    ack_rule_kind = models.CharField(
        _("签收时限规则"), max_length=10, choices=RuleKind.choices, default=rules.ack_rule_kind
    )
    ack_rule_amount = models.PositiveIntegerField(_("签收时限"), default=rules.ack_rule_amount)

    status = models.CharField(
        _("状态"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.DRAFT
    )
    created_by = models.ForeignKey(
        "org.Person",
        verbose_name=_("方案起草人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        "org.Person",
        verbose_name=_("批准人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    deployed_at = models.DateTimeField(_("部署时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    summary = models.TextField(_("行动总结"), max_length=limits.LONG, blank=True)
    cancel_reason = models.CharField(_("撤销原因"), max_length=500, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("联合执法行动")
        verbose_name_plural = _("联合执法行动")
        indexes = [models.Index(fields=["status", "start_date"], name="enf_action_status_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="enf_action_period_ordered"
            ),
            # E2: a campaign names its level and the deploying document.
            models.CheckConstraint(
                condition=~Q(category="campaign")
                | (~Q(campaign_level="") & ~Q(campaign_doc_ref="")),
                name="enf_campaign_has_document",
            ),
            # E2: an incident names time, place, type and level.
            models.CheckConstraint(
                condition=~Q(category="incident")
                | (
                    Q(incident_at__isnull=False)
                    & ~Q(incident_place="")
                    & ~Q(incident_type="")
                    & ~Q(incident_level="")
                ),
                name="enf_incident_has_facts",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("enforcement:detail", args=[self.pk])

    @property
    def ack_rule(self) -> DeadlineRule:
        return DeadlineRule(self.ack_rule_kind, self.ack_rule_amount)

    @property
    def is_open(self) -> bool:
        return self.status not in (ActionStatus.COMPLETED, ActionStatus.CANCELLED)

    @property
    def is_running(self) -> bool:
        return self.status in (ActionStatus.DEPLOYED, ActionStatus.IN_PROGRESS)


class ActionStatusChange(StatusHistory):
    """Append-only status history of an action (STYLE rule 4). Here `action` is the
    enforcement action itself (the table predates the kernel); the step is not stored."""

    action = models.ForeignKey(  # type: ignore[assignment]
        EnforcementAction, on_delete=models.PROTECT, related_name="status_changes"
    )

    class Meta(StatusHistory.Meta):
        verbose_name = _("行动状态变更")
        verbose_name_plural = _("行动状态变更")

    def __str__(self) -> str:
        return f"{self.action_id}: {self.from_status} → {self.to_status}"

    def get_from_status_display(self) -> str:
        return str(dict(ActionStatus.choices).get(self.from_status, self.from_status))

    def get_to_status_display(self) -> str:
        return str(dict(ActionStatus.choices).get(self.to_status, self.to_status))


class ParticipantRole(models.TextChoices):
    ORGANISER = "organiser", _("组织单位")
    LOWER_GRID = "lower_grid", _("下级网格")
    PARTNER = "partner", _("协作单位")


class ActionParticipant(models.Model):
    """A unit taking part, with its division of labour (职责分工) and its one liaison (E5)."""

    action = models.ForeignKey(
        EnforcementAction, on_delete=models.CASCADE, related_name="participants"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("参与单位"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("角色"), max_length=12, choices=ParticipantRole.choices)
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("所辖网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    duties = models.TextField(_("职责分工"), max_length=limits.LONG, blank=True)
    # One field, so "exactly one liaison per unit" holds by construction (E5).
    liaison = models.ForeignKey(
        "org.Person",
        verbose_name=_("联络人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["action_id", "id"]
        verbose_name = _("参与单位")
        verbose_name_plural = _("参与单位")
        constraints = [
            models.UniqueConstraint(fields=["action", "unit"], name="enf_participant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.unit_id}"


class ActionOfficer(models.Model):
    """An officer a participating unit assigns (E5), with the certificate as checked."""

    action = models.ForeignKey(EnforcementAction, on_delete=models.CASCADE, related_name="officers")
    participant = models.ForeignKey(
        ActionParticipant, on_delete=models.CASCADE, related_name="officers"
    )
    person = models.ForeignKey(
        "org.Person", verbose_name=_("执法人员"), on_delete=models.PROTECT, related_name="+"
    )
    cert_number = models.CharField(_("执法证号"), max_length=50)
    cert_valid_to = models.DateField(_("执法证有效期止"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["participant_id", "id"]
        verbose_name = _("执法人员")
        verbose_name_plural = _("执法人员")
        constraints = [
            models.UniqueConstraint(fields=["action", "person"], name="enf_officer_unique")
        ]

    def __str__(self) -> str:
        return str(self.person)


class ActionTarget(models.Model):
    """What the action is aimed at: an entity (with the grid it lies in) or a whole area."""

    action = models.ForeignKey(EnforcementAction, on_delete=models.CASCADE, related_name="targets")
    entity = models.ForeignKey(
        "entities.SupervisedEntity",
        verbose_name=_("监管对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # For an entity: the grid it lay in when targeted; for an area: the area itself.
    grid = models.ForeignKey(
        "grids.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+"
    )
    is_key = models.BooleanField(_("重点督办"), default=False)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    supervision = models.ForeignKey(
        "obligations.Supervision",
        verbose_name=_("督办通知"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["action_id", "id"]
        verbose_name = _("行动对象")
        verbose_name_plural = _("行动对象")
        constraints = [
            models.UniqueConstraint(
                fields=["action", "entity"],
                condition=Q(entity__isnull=False),
                name="enf_target_entity_unique",
            ),
            models.UniqueConstraint(
                fields=["action", "grid"],
                condition=Q(entity__isnull=True),
                name="enf_target_area_unique",
            ),
        ]

    def __str__(self) -> str:
        return str(self.entity) if self.entity_id else str(self.grid)

    @property
    def kind_label(self) -> str:
        return str(_("监管对象")) if self.entity_id else str(_("区域（网格）"))


class AssignmentStatus(models.TextChoices):
    # E4: there is deliberately no "declined" — a lower grid cannot refuse.
    PENDING = "pending", _("待签收")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


class Assignment(models.Model):
    """A task deployed to a lower grid's owner unit (E4): acknowledged, then carried out."""

    action = models.ForeignKey(
        EnforcementAction, on_delete=models.CASCADE, related_name="assignments"
    )
    participant = models.ForeignKey(
        ActionParticipant, on_delete=models.PROTECT, related_name="assignments"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("承办单位"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    instructions = models.TextField(_("任务内容"), max_length=limits.LONG)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.PENDING,
    )
    issued_at = models.DateTimeField(_("下达时间"))
    ack_due_at = models.DateTimeField(_("签收截止"))
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "org.Person",
        verbose_name=_("签收人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ack_note = models.CharField(_("签收意见"), max_length=500, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        "org.Person",
        verbose_name=_("报告人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completion_report = models.TextField(_("完成情况"), max_length=limits.LONG, blank=True)
    ack_obligation = models.ForeignKey(
        "obligations.Obligation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    report_obligation = models.ForeignKey(
        "obligations.Obligation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalated_at = models.DateTimeField(_("逾期升级时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        "org.Unit",
        verbose_name=_("升级至"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["action_id", "id"]
        verbose_name = _("执法任务")
        verbose_name_plural = _("执法任务")
        indexes = [models.Index(fields=["unit", "issued_at"], name="enf_assignment_unit_issued")]
        constraints = [
            models.UniqueConstraint(fields=["action", "unit"], name="enf_assignment_unique"),
            models.CheckConstraint(
                condition=~Q(status__in=["acknowledged", "completed"])
                | Q(acknowledged_at__isnull=False),
                name="enf_assignment_ack_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} → {self.unit}"

    @property
    def ack_late(self) -> bool:
        """Acknowledged after the deadline, or still silent past it (E4)."""
        if self.acknowledged_at is not None:
            return self.acknowledged_at > self.ack_due_at
        if self.status == AssignmentStatus.CANCELLED:
            return False
        return timezone.now() > self.ack_due_at


class AssignmentEvent(StatusHistory):
    """Append-only history of an assignment: status changes and escalations."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="events")

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.action}"


class Inspection(models.Model):
    """An on-site inspection of one target entity by at least two certified officers."""

    action = models.ForeignKey(
        EnforcementAction, on_delete=models.CASCADE, related_name="inspections"
    )
    target = models.ForeignKey(
        ActionTarget, null=True, blank=True, on_delete=models.PROTECT, related_name="inspections"
    )
    entity = models.ForeignKey(
        "entities.SupervisedEntity",
        verbose_name=_("检查对象"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    inspected_at = models.DateTimeField(_("检查时间"))
    place = models.CharField(_("检查地点"), max_length=300, blank=True)
    officers = models.ManyToManyField(ActionOfficer, verbose_name=_("检查人员"), related_name="+")
    summary = models.TextField(_("检查情况"), max_length=limits.LONG)
    created_by = models.ForeignKey(
        "org.Person",
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-inspected_at", "-id"]
        verbose_name = _("现场检查")
        verbose_name_plural = _("现场检查")

    def __str__(self) -> str:
        return f"{self.entity} {timezone.localtime(self.inspected_at):%Y-%m-%d %H:%M}"


def photo_upload_to(instance: Any, filename: str) -> str:
    # A random name: the client's filename never reaches the filesystem.
    ext = PurePosixPath(filename).suffix.lower()[:8]
    now = timezone.localtime()
    return f"enforcement/{now:%Y/%m}/{uuid.uuid4().hex}{ext}"


class InspectionPhoto(StoredFile):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("文件"), upload_to=photo_upload_to, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小"))
    caption = models.CharField(_("说明"), max_length=200, blank=True)

    mime_field = "content_type"

    class Meta:
        ordering = ["inspection_id", "id"]
        verbose_name = _("现场照片")
        verbose_name_plural = _("现场照片")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    CASE_CREATED = "case_created", _("已立案")


class Finding(models.Model):
    """A suspected violation found in an inspection; it becomes a case in one step."""

    action = models.ForeignKey(EnforcementAction, on_delete=models.CASCADE, related_name="findings")
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    entity = models.ForeignKey(
        "entities.SupervisedEntity",
        verbose_name=_("涉及对象"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("问题"), max_length=200)
    description = models.TextField(_("违法事实"), max_length=limits.LONG)
    responsible_person = models.CharField(_("违法责任人"), max_length=100, blank=True)
    suspected_crime = models.BooleanField(_("涉嫌犯罪"), default=False)
    is_key = models.BooleanField(_("重点案件"), default=False)
    photos = models.ManyToManyField(
        InspectionPhoto, verbose_name=_("证据照片"), blank=True, related_name="findings"
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    # Set when the finding became a case (services.finding_to_case).
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case_number = models.CharField(_("案件编号"), max_length=60, blank=True)
    case_created_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    supervision = models.ForeignKey(
        "obligations.Supervision",
        verbose_name=_("督办通知"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["action_id", "id"]
        verbose_name = _("检查发现")
        verbose_name_plural = _("检查发现")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="case_created") | Q(case__isnull=False),
                name="enf_finding_case_has_id",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ConsultationForm(models.TextChoices):
    MEETING = "meeting", _("会商会议")
    CALL = "call", _("电话会商")
    SITE_VISIT = "site_visit", _("联合踏勘")


class Consultation(models.Model):
    """A consultation among the participating units (积极沟通会商, SPEC E5): when, how,
    which units were present and what was agreed. Append-only: a record is corrected by
    recording another, never by deleting one."""

    action = models.ForeignKey(
        EnforcementAction,
        verbose_name=_("执法行动"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    held_on = models.DateField(_("会商日期"))
    form = models.CharField(_("会商形式"), max_length=12, choices=ConsultationForm.choices)
    units = models.ManyToManyField(
        "org.Unit", verbose_name=_("参加单位"), related_name="enforcement_consultations"
    )
    conclusions = models.TextField(_("会商结论"), max_length=limits.LONG)
    recorded_by = models.ForeignKey(
        "org.Person",
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        ordering = ["action_id", "held_on", "id"]
        verbose_name = _("会商记录")
        verbose_name_plural = _("会商记录")

    def __str__(self) -> str:
        return f"{self.held_on.isoformat()} {self.get_form_display()}"
