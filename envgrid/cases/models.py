"""Cases (案件) with evidence and status history, transfers (移送) carrying frozen copies of
the materials, jurisdiction disputes (T5) and the configurable transfer time limits (T1–T4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import StoredFile, TimeStampedModel
from envgrid.core.workflow import StatusHistory


class CaseSource(models.TextChoices):
    PATROL = "patrol", _("网格巡查")
    PETITION = "petition", _("信访举报")
    JOINT_ENFORCEMENT = "joint_enforcement", _("联合执法")
    INSPECTION = "inspection", _("监督检查")
    TRANSFER_RECEIVED = "transfer_received", _("移送接收")
    HOTLINE = "hotline", _("热线举报")
    OTHER = "other", _("其他")


class CaseStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    INVESTIGATING = "investigating", _("立案调查")
    TRANSFERRED = "transferred", _("已移送管辖")
    HANDLED = "handled", _("查处完成")
    CLOSED = "closed", _("已结案")
    WITHDRAWN = "withdrawn", _("已撤销")


class CaseOutcome(models.TextChoices):
    ADMINISTRATIVE_PENALTY = "administrative_penalty", _("行政处罚")
    ORDER_CORRECTION = "order_correction", _("责令改正")
    CRIMINAL = "criminal", _("移送司法机关追究刑事责任")
    NO_VIOLATION = "no_violation", _("违法事实不成立")
    TRANSFERRED = "transferred", _("移送有管辖权单位")
    DESIGNATED_ELSEWHERE = "designated_elsewhere", _("指定其他单位管辖")
    OTHER = "other", _("其他")


class CriminalDecision(models.TextChoices):
    NONE = "", _("未决定")
    TRANSFER = "transfer", _("批准移送")
    NO_TRANSFER = "no_transfer", _("不予移送")


class Case(TimeStampedModel):
    number = models.CharField(_("案件编号"), max_length=60, unique=True)
    title = models.CharField(_("案件名称"), max_length=200)
    source = models.CharField(_("案件来源"), max_length=20, choices=CaseSource.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.REGISTERED
    )

    # Place of the polluting act (T5), stored in WGS84; the input system is kept for provenance.
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    input_crs = models.CharField(_("录入坐标系"), max_length=10, blank=True)
    input_lon = models.FloatField(_("录入经度"), null=True, blank=True)
    input_lat = models.FloatField(_("录入纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    occurrence_grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("违法行为发生地网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    # The owner of the lowest grid containing the place: the system's proposal (T5).
    proposed_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("建议管辖单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The unit that holds and handles this case record.
    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("办理单位"), on_delete=models.PROTECT, related_name="cases"
    )
    handler = models.ForeignKey(
        "org.Person",
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # First discovery / first report decide jurisdiction between grid units (T5).
    discovered_at = models.DateTimeField(_("发现时间"))
    discovered_by_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("发现单位"),
        on_delete=models.PROTECT,
        related_name="discovered_cases",
    )
    discovered_by_person = models.ForeignKey(
        "org.Person",
        verbose_name=_("发现人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("接报时间"), null=True, blank=True)
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    description = models.TextField(_("案情描述"), max_length=limits.LONG, blank=True)
    entity = models.ForeignKey(
        "entities.SupervisedEntity",
        verbose_name=_("违法主体（监管对象）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    entity_name = models.CharField(_("违法主体"), max_length=200, blank=True)
    entity_uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    responsible_person = models.CharField(_("违法责任人"), max_length=100, blank=True)
    facts = models.TextField(_("违法事实"), max_length=limits.LONG, blank=True)

    suspected_crime = models.BooleanField(_("涉嫌犯罪"), default=False)
    detention_needed = models.BooleanField(_("需行政拘留"), default=False)
    discipline_breach = models.BooleanField(_("涉嫌违反党纪政纪"), default=False)
    criminal_decision = models.CharField(
        _("移送司法机关决定"),
        max_length=20,
        choices=CriminalDecision.choices,
        blank=True,
        default=CriminalDecision.NONE,
    )
    criminal_decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    criminal_decision_note = models.TextField(_("决定说明"), max_length=limits.LONG, blank=True)

    handling_result = models.TextField(_("查处结果"), max_length=limits.LONG, blank=True)
    handled_at = models.DateTimeField(_("查处完成时间"), null=True, blank=True)
    outcome = models.CharField(
        _("结案方式"), max_length=30, choices=CaseOutcome.choices, blank=True
    )
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    close_note = models.TextField(_("结案说明"), max_length=limits.LONG, blank=True)
    withdraw_reason = models.TextField(_("撤销原因"), max_length=limits.LONG, blank=True)

    # Cases opened by several units on the same matter share a key (T5 first discoverer).
    matter_key = models.UUIDField(_("同一事项"), null=True, blank=True)
    # Set on the receiver's case created when a transfer is accepted.
    origin_transfer = models.OneToOneField(
        "Transfer",
        verbose_name=_("来源移送"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="received_case",
    )
    # Denormalised for the list filter at scale: a live transfer obligation is past due.
    overdue = models.BooleanField(_("有逾期事项"), default=False)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        indexes = [
            # The list's default sort and the filters it is benchmarked with (1M rows).
            models.Index(fields=["-registered_at", "-id"], name="case_reg_desc"),
            models.Index(fields=["owner_unit", "-registered_at"], name="case_owner_reg"),
            models.Index(fields=["discovered_by_unit", "-registered_at"], name="case_disc_reg"),
            models.Index(fields=["status", "-registered_at"], name="case_status_reg"),
            models.Index(fields=["source", "-registered_at"], name="case_source_reg"),
            models.Index(fields=["occurrence_grid", "-registered_at"], name="case_grid_reg"),
            models.Index(fields=["-discovered_at"], name="case_discovered"),
            models.Index(fields=["matter_key"], name="case_matter"),
            models.Index(
                fields=["-registered_at"],
                name="case_crime_reg",
                condition=Q(suspected_crime=True),
            ),
            models.Index(
                fields=["-registered_at"],
                name="case_detention_reg",
                condition=Q(detention_needed=True),
            ),
            models.Index(
                fields=["-registered_at"],
                name="case_discipline_reg",
                condition=Q(discipline_breach=True),
            ),
            models.Index(
                fields=["-registered_at"], name="case_overdue_reg", condition=Q(overdue=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(lon__isnull=True) & Q(lat__isnull=True))
                | (Q(lon__gte=-180) & Q(lon__lte=180) & Q(lat__gte=-90) & Q(lat__lte=90)),
                name="case_point_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="case_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.pk])

    @property
    def responsible_entity(self) -> str:
        return self.entity_name or (self.entity.name if self.entity_id and self.entity else "")

    @property
    def first_known_at(self):
        """The earlier of discovery and receipt of the report (T5: 最先发现或者最先接到举报)."""
        if self.reported_at and self.reported_at < self.discovered_at:
            return self.reported_at
        return self.discovered_at


class CaseStatusChange(StatusHistory):
    """Append-only status history (STYLE rule 4): the current status is the newest row."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="status_changes")

    class Meta(StatusHistory.Meta):
        indexes = [models.Index(fields=["case", "at"], name="case_status_hist")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} → {self.to_status}"


class Evidence(StoredFile):
    """An evidence file: type checked from its content, stored content-addressed under
    MEDIA_ROOT (outside the web root) and served only through a view that checks the case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("文件"), max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    ext = models.CharField(_("类型"), max_length=10)
    mime = models.CharField(max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("证据材料")
        verbose_name_plural = _("证据材料")


class TransferType(models.TextChoices):
    JURISDICTION = "jurisdiction", _("移送有管辖权单位")
    DETENTION = "detention", _("移送公安机关（行政拘留）")
    DISCIPLINE = "discipline", _("移送纪检监察机关")
    CRIMINAL = "criminal", _("移送司法机关（涉嫌犯罪）")
    GOVERNMENT_PROPOSAL = "government_proposal", _("报请本级人民政府（责令停产整顿、停业、关闭）")


class TransferStatus(models.TextChoices):
    SENT = "sent", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    RETURNED = "returned", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")
    HANDLED = "handled", _("查处完成")
    FED_BACK = "fed_back", _("已反馈")


class Transfer(TimeStampedModel):
    """One registered transfer (移送登记, T3): number, date, sender, handler, receiver, and
    a copy of the case materials frozen at send time."""

    number = models.CharField(_("移送编号"), max_length=60)
    year = models.PositiveSmallIntegerField(_("年度"))
    transfer_type = models.CharField(_("移送类型"), max_length=30, choices=TransferType.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=TransferStatus.choices, default=TransferStatus.SENT
    )
    case = models.ForeignKey(
        Case, verbose_name=_("移送案件"), on_delete=models.PROTECT, related_name="transfers"
    )
    sender_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("移送单位"),
        on_delete=models.PROTECT,
        related_name="transfers_sent",
    )
    sender_handler = models.ForeignKey(
        "org.Person",
        verbose_name=_("移送经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receiver_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("接收单位"),
        on_delete=models.PROTECT,
        related_name="transfers_received",
    )
    copy_to_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("抄送单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_copied",
    )
    receiver_handler = models.ForeignKey(
        "org.Person",
        verbose_name=_("接收经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("移送时间"), default=timezone.now)
    reason = models.TextField(_("移送理由"), max_length=limits.LONG, blank=True)
    proposal = models.TextField(_("处理建议"), max_length=limits.LONG, blank=True)
    # 如无其他要求 the receiver feeds back; the sender may say it needs no feedback.
    feedback_required = models.BooleanField(_("要求反馈"), default=True)

    # Frozen at send time: later edits of the sender's case never change what was sent.
    facts = models.TextField(_("违法事实（移送时）"), max_length=limits.LONG)
    responsible_person = models.CharField(_("违法责任人（移送时）"), max_length=100)
    entity_name = models.CharField(_("违法主体（移送时）"), max_length=200)
    case_snapshot = models.JSONField(_("案件材料副本"), default=dict)

    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    return_explanation = models.TextField(_("退回说明"), max_length=limits.LONG, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdraw_reason = models.TextField(_("撤回原因"), max_length=limits.LONG, blank=True)
    handled_at = models.DateTimeField(_("查处完成时间"), null=True, blank=True)
    handling_result = models.TextField(_("查处结果"), max_length=limits.LONG, blank=True)
    fed_back_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    feedback_text = models.TextField(_("反馈内容"), max_length=limits.LONG, blank=True)
    overdue = models.BooleanField(_("有逾期事项"), default=False)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("案件移送")
        verbose_name_plural = _("案件移送")
        indexes = [
            models.Index(fields=["sender_unit", "-sent_at"], name="transfer_sender"),
            models.Index(fields=["receiver_unit", "status", "-sent_at"], name="transfer_receiver"),
            models.Index(fields=["copy_to_unit", "-sent_at"], name="transfer_copy"),
            models.Index(fields=["status", "-sent_at"], name="transfer_status"),
            models.Index(fields=["-sent_at", "-id"], name="transfer_sent_desc"),
        ]
        constraints = [
            # Numbers run per sending unit and year (站环移〔2026〕12号).
            models.UniqueConstraint(fields=["sender_unit", "number"], name="transfer_number_unique")
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("cases:transfer_detail", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.status not in (TransferStatus.RETURNED, TransferStatus.WITHDRAWN)


class TransferEvidence(StoredFile):
    """A copy of an evidence reference as sent: name, hash and stored file at send time
    (who uploaded it and when stay on the source evidence)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="evidence")
    source_evidence = models.ForeignKey(
        Evidence, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("文件"), max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    ext = models.CharField(_("类型"), max_length=10)
    mime = models.CharField(max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    uploaded_by = None
    uploaded_at = None  # type: ignore[assignment]

    class Meta:
        ordering = ["id"]
        verbose_name = _("移送材料副本")
        verbose_name_plural = _("移送材料副本")


class TransferStatusChange(StatusHistory):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="status_changes")

    class Meta(StatusHistory.Meta):
        indexes = [models.Index(fields=["transfer", "at"], name="transfer_status_hist")]

    def __str__(self) -> str:
        return f"{self.transfer_id}: {self.from_status} → {self.to_status}"


class TransferStep(models.TextChoices):
    MAKE = "make", _("移送（发现单位）")
    HANDOVER = "handover", _("移交材料（批准移送后）")
    DECIDE = "decide", _("受理或退回（接收单位）")
    HANDLE = "handle", _("查处办结（接收单位）")
    FEEDBACK = "feedback", _("反馈查处结果（接收单位）")


class TransferRule(models.Model):
    """A time limit for one step of one transfer route (T1–T4): data an administrator edits.

    Seeded by a data migration with the defaults in SPEC T. Per Administrative Penalty Law
    art. 85, short periods in days ("3日", "5日") count working days."""

    transfer_type = models.CharField(_("移送类型"), max_length=30, choices=TransferType.choices)
    step = models.CharField(_("环节"), max_length=20, choices=TransferStep.choices)
    rule_kind = models.CharField(_("计算方式"), max_length=10, choices=RuleKind.choices)
    amount = models.PositiveIntegerField(_("时限"))
    start_event = models.CharField(_("起算事件"), max_length=200)
    legal_basis = models.CharField(_("依据"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["transfer_type", "step"]
        verbose_name = _("移送时限规则")
        verbose_name_plural = _("移送时限规则")
        constraints = [
            models.UniqueConstraint(fields=["transfer_type", "step"], name="transfer_rule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_transfer_type_display()} · {self.get_step_display()}：{self.rule.describe()}"

    @property
    def rule(self) -> DeadlineRule:
        return DeadlineRule(self.rule_kind, self.amount)


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("待指定管辖")
    DESIGNATED = "designated", _("已指定管辖")


class JurisdictionDispute(models.Model):
    """A jurisdiction dispute (T5): recorded with the discovery evidence, decided by the
    owner unit of the lowest common parent grid, whose designation is final."""

    cases = models.ManyToManyField(Case, verbose_name=_("争议案件"), related_name="disputes")
    parties = models.ManyToManyField(
        "org.Unit", verbose_name=_("争议单位"), related_name="jurisdiction_disputes"
    )
    transfer = models.ForeignKey(
        Transfer,
        verbose_name=_("相关移送"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes",
    )
    raised_by_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("报请单位"), on_delete=models.PROTECT, related_name="+"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(_("报请时间"), default=timezone.now)
    reason = models.TextField(_("争议事由"), max_length=limits.LONG)
    common_grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("共同上一级网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    designating_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("指定管辖单位"),
        on_delete=models.PROTECT,
        related_name="disputes_to_designate",
    )
    # What the recorded timestamps say (first discoverer / first report), kept as shown.
    suggested_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("按最先发现建议"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    evidence = models.JSONField(_("管辖依据"), default=dict)
    status = models.CharField(
        _("状态"), max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    designated_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("被指定管辖单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    designated_at = models.DateTimeField(_("指定时间"), null=True, blank=True)
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    designation_reason = models.TextField(_("指定理由"), max_length=limits.LONG, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("管辖争议")
        verbose_name_plural = _("管辖争议")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="designated")
                | (Q(designated_unit__isnull=False) & Q(designated_at__isnull=False)),
                name="dispute_designated_complete",
            )
        ]

    def __str__(self) -> str:
        return f"管辖争议 #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("cases:dispute_detail", args=[self.pk])


class ClearanceStatus(models.TextChoices):
    PENDING = "pending", _("待办公室审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class CrimeFlagClearance(models.Model):
    """A request to clear a case's "suspected crime" flag (T2). The owning unit asks, the
    leading group's office decides: a unit never clears its own flag, so a suspected crime
    is not turned into an administrative case without a second pair of eyes."""

    case = models.ForeignKey(
        Case,
        verbose_name=_("案件"),
        on_delete=models.PROTECT,
        related_name="crime_flag_clearances",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ClearanceStatus.choices, default=ClearanceStatus.PENDING
    )
    reason = models.TextField(_("申请理由"), max_length=limits.LONG)
    requested_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("申请单位"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), max_length=limits.LONG, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("取消涉嫌犯罪标记申请")
        verbose_name_plural = _("取消涉嫌犯罪标记申请")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="crime_clearance_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_status_display()}"


class CrimeFlagClearanceEvent(StatusHistory):
    """Append-only history of a request to clear the crime flag (STYLE rule 4), written by
    the workflow kernel: filed, approved or refused, by whom and why."""

    clearance = models.ForeignKey(
        CrimeFlagClearance, on_delete=models.PROTECT, related_name="events"
    )

    class Meta(StatusHistory.Meta):
        verbose_name = _("取消涉嫌犯罪标记申请记录")
        verbose_name_plural = _("取消涉嫌犯罪标记申请记录")

    def __str__(self) -> str:
        return f"{self.clearance_id}: {self.from_status} → {self.to_status}"
