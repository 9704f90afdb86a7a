"""Public disclosure (I4): publications with their review workflow, emissions, hazards,
and environmental petitions (信访/举报) with their deadlines, routing and history."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import StoredFile, TimeStampedModel
from envgrid.core.workflow import StatusHistory

# --------------------------------------------------------------------------- publications


class PublicationKind(models.TextChoices):
    PLAN = "plan", _("网格化环境监管方案")
    DIVISION = "division", _("网格划分和建设情况")
    DUTIES = "duties", _("网格职责和责任人员")
    EMISSIONS = "emissions", _("污染物排放情况")
    PETITION = "petition", _("环境信访办理情况")
    HAZARD = "hazard", _("区域环境安全隐患")
    ADJUSTMENT = "adjustment", _("重大调整")


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REVIEWED = "reviewed", _("已审核")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class Publication(TimeStampedModel):
    """One item of disclosed information. The public sees only `payload` of published
    items: it is frozen when the draft is made, so what was reviewed is what is shown,
    and it holds only fields chosen for the public (never a petitioner's identity)."""

    kind = models.CharField(_("公开类别"), max_length=20, choices=PublicationKind.choices)
    title = models.CharField(_("标题"), max_length=300)
    summary = models.TextField(_("正文"), max_length=limits.HUGE, blank=True)
    payload = models.JSONField(_("公开内容"), default=dict, blank=True)
    # Publications of the same kind and topic replace each other: publishing a new one
    # withdraws the one before it (with the reason recorded), so history is kept.
    topic = models.CharField(_("主题键"), max_length=120, blank=True, db_index=True)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("公开单位"), on_delete=models.PROTECT, related_name="+"
    )
    document = models.FileField(_("文件"), upload_to="disclosure/documents/%Y/", blank=True)
    document_name = models.CharField(_("文件名"), max_length=200, blank=True)
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdraw_reason = models.CharField(_("撤回原因"), max_length=500, blank=True)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("公开信息")
        verbose_name_plural = _("公开信息")
        indexes = [models.Index(fields=["kind", "status", "topic"], name="pub_kind_status_topic")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="pub_published_is_dated",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdraw_reason=""),
                name="pub_withdrawn_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("disclosure:publication_public", args=[self.pk])


class PublicationEvent(StatusHistory):
    """Append-only history of a publication's status (STYLE rule 4)."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="events")

    def __str__(self) -> str:
        return f"{self.publication_id} {self.from_status}→{self.to_status}"


# --------------------------------------------------------------------------- emissions


class EmissionMeasure(models.TextChoices):
    CONCENTRATION = "concentration", _("浓度")
    TOTAL = "total", _("排放总量")


class EmissionBatch(models.Model):
    """One import of emission data (an .xlsx or CSV file); published as a whole."""

    title = models.CharField(_("名称"), max_length=200)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("导入单位"), on_delete=models.PROTECT, related_name="+"
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    row_count = models.PositiveIntegerField(_("记录数"), default=0)
    exceedance_count = models.PositiveIntegerField(_("超标数"), default=0)
    publication = models.OneToOneField(
        Publication,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emission_batch",
    )

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("排放数据批次")
        verbose_name_plural = _("排放数据批次")

    def __str__(self) -> str:
        return self.title


class EmissionRecord(models.Model):
    batch = models.ForeignKey(EmissionBatch, on_delete=models.CASCADE, related_name="records")
    entity = models.ForeignKey(
        "entities.SupervisedEntity",
        verbose_name=_("监管对象"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entity_name = models.CharField(_("监管对象名称"), max_length=200)
    pollutant = models.CharField(_("污染物"), max_length=100)
    measure = models.CharField(_("指标类型"), max_length=20, choices=EmissionMeasure.choices)
    value = models.DecimalField(_("数值"), max_digits=16, decimal_places=4)
    unit_label = models.CharField(_("计量单位"), max_length=30)
    limit = models.DecimalField(_("限值"), max_digits=16, decimal_places=4, null=True, blank=True)
    exceeded = models.BooleanField(_("超标"), default=False)
    period_start = models.DateField(_("期间起"))
    period_end = models.DateField(_("期间止"))
    outlet = models.CharField(_("排放口"), max_length=100, blank=True)

    class Meta:
        ordering = ["entity_name", "pollutant", "period_start"]
        verbose_name = _("排放记录")
        verbose_name_plural = _("排放记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="emission_period_ordered",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="emission_value_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_name} {self.pollutant}"


# --------------------------------------------------------------------------- hazards


class HazardKind(models.TextChoices):
    CHEMICAL = "chemical", _("危险化学品")
    WASTE = "waste", _("危险废物与固体废物")
    WATER = "water", _("饮用水水源")
    TAILINGS = "tailings", _("尾矿库")
    HEAVY_METAL = "heavy_metal", _("涉重金属")
    SEWAGE = "sewage", _("污水处理设施")
    RADIATION = "radiation", _("辐射源")
    OTHER = "other", _("其他")


class HazardLevel(models.TextChoices):
    MAJOR = "major", _("重大")
    SERIOUS = "serious", _("较大")
    GENERAL = "general", _("一般")


class HazardStatus(models.TextChoices):
    IDENTIFIED = "identified", _("已排查")
    RECTIFYING = "rectifying", _("整改中")
    RECTIFIED = "rectified", _("已整改")
    CLOSED = "closed", _("已销号")


class Hazard(TimeStampedModel):
    """A regional environmental safety hazard (区域环境安全隐患) in the register."""

    place = models.CharField(_("地点"), max_length=200)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("所属网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("隐患类型"), max_length=20, choices=HazardKind.choices)
    level = models.CharField(_("隐患等级"), max_length=10, choices=HazardLevel.choices)
    description = models.TextField(_("隐患描述"), max_length=limits.LONG, blank=True)
    measures = models.TextField(_("防控措施"), max_length=limits.LONG)
    status = models.CharField(
        _("状态"), max_length=12, choices=HazardStatus.choices, default=HazardStatus.IDENTIFIED
    )
    responsible_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    found_on = models.DateField(_("发现日期"))
    rectify_due = models.DateField(_("整改期限"), null=True, blank=True)

    class Meta:
        ordering = ["-found_on", "place"]
        verbose_name = _("环境安全隐患")
        verbose_name_plural = _("环境安全隐患")
        constraints = [
            models.CheckConstraint(
                condition=Q(lon__gte=-180, lon__lte=180, lat__gte=-90, lat__lte=90),
                name="hazard_point_in_range",
            )
        ]

    def __str__(self) -> str:
        return self.place


# --------------------------------------------------------------------------- petitions


class PetitionCategory(models.TextChoices):
    """Also the Open311 service codes."""

    AIR = "air", _("大气污染")
    WATER = "water", _("水污染")
    NOISE = "noise", _("噪声污染")
    WASTE = "waste", _("固体废物")
    SOIL = "soil", _("土壤污染")
    RADIATION = "radiation", _("辐射")
    ECOLOGY = "ecology", _("生态破坏")
    OTHER = "other", _("其他")


class PetitionStatus(models.TextChoices):
    RECEIVED = "received", _("已登记待受理")
    ACCEPTED = "accepted", _("已受理办理中")
    OBJECTED = "objected", _("已退回待重新交办")
    REPLIED = "replied", _("已办结答复")
    DECLINED = "declined", _("不予受理")
    LINKED = "linked", _("已并案")


class PetitionSource(models.TextChoices):
    WEB = "web", _("网上信访")
    OPEN311 = "open311", _("Open311 接口")
    STAFF = "staff", _("来信来访登记")


class PetitionRules(models.Model):
    """Deadlines and linking window (SPEC I4, 信访工作条例 2022): data with defaults,
    one row edited by an administrator. Defaults: acknowledge within 15 days (art. 24),
    conclude within 60 days of acceptance, extendable once by up to 30 days with approval
    (art. 32), a unit that received a petition outside its remit objects within 5
    working days, the office re-routes within 15 days (art. 22)."""

    ack_amount = models.PositiveIntegerField(_("受理告知时限"), default=15)
    ack_kind = models.CharField(
        _("受理告知时限单位"), max_length=10, choices=RuleKind.choices, default=RuleKind.DAYS
    )
    handle_amount = models.PositiveIntegerField(_("办结时限"), default=60)
    handle_kind = models.CharField(
        _("办结时限单位"), max_length=10, choices=RuleKind.choices, default=RuleKind.DAYS
    )
    extension_max = models.PositiveIntegerField(_("延期上限"), default=30)
    extension_times = models.PositiveIntegerField(_("可延期次数"), default=1)
    objection_amount = models.PositiveIntegerField(_("异议时限"), default=5)
    objection_kind = models.CharField(
        _("异议时限单位"), max_length=10, choices=RuleKind.choices, default=RuleKind.WORKDAYS
    )
    reroute_amount = models.PositiveIntegerField(_("重新交办时限"), default=15)
    reroute_kind = models.CharField(
        _("重新交办时限单位"), max_length=10, choices=RuleKind.choices, default=RuleKind.DAYS
    )
    duplicate_window_days = models.PositiveIntegerField(_("重复信访合并窗口（天）"), default=30)
    duplicate_radius_m = models.PositiveIntegerField(_("同一地点半径（米）"), default=150)

    class Meta:
        verbose_name = _("信访办理时限规则")
        verbose_name_plural = _("信访办理时限规则")

    def __str__(self) -> str:
        return str(_("信访办理时限规则"))

    @classmethod
    def current(cls) -> PetitionRules:
        found = cls.objects.order_by("pk").first()
        return found if found is not None else cls()

    @property
    def ack_rule(self) -> DeadlineRule:
        return DeadlineRule(self.ack_kind, self.ack_amount)

    @property
    def handle_rule(self) -> DeadlineRule:
        return DeadlineRule(self.handle_kind, self.handle_amount)

    @property
    def objection_rule(self) -> DeadlineRule:
        return DeadlineRule(self.objection_kind, self.objection_amount)

    @property
    def reroute_rule(self) -> DeadlineRule:
        return DeadlineRule(self.reroute_kind, self.reroute_amount)


class Petition(models.Model):
    """An environmental petition or report from the public. The contact fields are
    internal: no public page or API renders them (see services.public_petition)."""

    tracking_code = models.CharField(_("查询码"), max_length=20, unique=True)
    # The tracking code is the petitioner's secret key; public lists and Open311 name a
    # petition by this separate random id instead.
    public_id = models.CharField(_("公开编号"), max_length=20, unique=True, null=True, blank=True)
    category = models.CharField(_("类别"), max_length=20, choices=PetitionCategory.choices)
    description = models.TextField(_("反映内容"), max_length=limits.LONG)
    place_text = models.CharField(_("地点描述"), max_length=300, blank=True)
    # Open311 service attributes (e.g. odour intensity), checked against the definition.
    attributes = models.JSONField(_("附加属性"), default=dict, blank=True)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    input_crs = models.CharField(_("坐标系"), max_length=10, default="wgs84")
    input_lon = models.FloatField(_("原始经度"))
    input_lat = models.FloatField(_("原始纬度"))
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("所属网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("承办单位"),
        on_delete=models.PROTECT,
        related_name="petitions",
    )
    office_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("交办机构"),
        on_delete=models.PROTECT,
        related_name="petitions_as_office",
    )
    contact_name = models.CharField(_("姓名"), max_length=100, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_email = models.CharField(_("电子邮箱"), max_length=200, blank=True)
    source = models.CharField(
        _("来源"), max_length=10, choices=PetitionSource.choices, default=PetitionSource.WEB
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=PetitionStatus.choices,
        default=PetitionStatus.RECEIVED,
        db_index=True,
    )
    received_at = models.DateTimeField(_("登记时间"), default=timezone.now, db_index=True)
    routed_at = models.DateTimeField(_("交办时间"), default=timezone.now)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    reply = models.TextField(_("答复意见"), max_length=limits.LONG, blank=True)
    extension_count = models.PositiveIntegerField(_("延期次数"), default=0)
    # Screened out as spam (垃圾信息): declined, and counted apart in public statistics.
    is_spam = models.BooleanField(_("垃圾信息"), default=False)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("并入信访件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    # The case this petition became (cases.services.case_create); kept as an id so this
    # app does not depend on the case tables' migrations.
    case_id = models.PositiveBigIntegerField(_("案件编号"), null=True, blank=True)
    case_label = models.CharField(_("案件"), max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("信访件")
        verbose_name_plural = _("信访件")
        indexes = [
            models.Index(fields=["category", "received_at"], name="petition_cat_received"),
            models.Index(fields=["unit", "status"], name="petition_unit_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="linked") | Q(duplicate_of__isnull=False),
                name="petition_linked_has_primary",
            ),
            models.CheckConstraint(
                condition=Q(lon__gte=-180, lon__lte=180, lat__gte=-90, lat__lte=90),
                name="petition_point_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.get_category_display()}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("disclosure:petition_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in (
            PetitionStatus.RECEIVED,
            PetitionStatus.ACCEPTED,
            PetitionStatus.OBJECTED,
        )


class PetitionEvent(StatusHistory):
    """Append-only history of a petition. `public_note` is what the petitioner sees on the
    tracking page (written by staff, never the contact data)."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="events")
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    public_note = models.CharField(max_length=500, blank=True)
    # Only reviewed public notes reach the tracking page and Open311: the system's own
    # wording is reviewed by construction; a note written by staff is reviewed by the
    # office (a later "note_reviewed" event carries the approved text).
    public_reviewed = models.BooleanField(_("公开说明已审核"), default=False)

    def __str__(self) -> str:
        return f"{self.petition_id} {self.action}"


class CaseInformant(models.Model):
    """The petitioner's identity for the case a petition became: kept here, restricted to
    staff who may see the petition, never in the case's facts or description."""

    petition = models.OneToOneField(Petition, on_delete=models.PROTECT, related_name="informant")
    case_id = models.PositiveBigIntegerField(_("案件编号"), db_index=True)
    name = models.CharField(_("姓名"), max_length=100, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    email = models.CharField(_("电子邮箱"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("案件举报人信息（限办案人员）")
        verbose_name_plural = _("案件举报人信息（限办案人员）")

    def __str__(self) -> str:
        return f"{self.case_id}"


class PetitionPhoto(StoredFile):
    """A photo checked by its content and stored without its metadata under MEDIA_ROOT;
    served only to staff who may see the petition. Sent anonymously by the public: no
    uploader, and no client name or hash kept."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("文件"), upload_to="petitions/%Y/%m/")
    mime = models.CharField(max_length=50)
    size = models.PositiveIntegerField(_("大小"))
    original_name = None  # type: ignore[assignment]
    sha256 = None  # type: ignore[assignment]
    uploaded_by = None

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.name or ""


# --------------------------------------------------------------------------- timeliness (I4)

# The six items I4 says the portal discloses; each has a refresh rule (RefreshRule).
PUBLIC_ITEMS: tuple[str, ...] = (
    PublicationKind.PLAN,
    PublicationKind.DIVISION,
    PublicationKind.DUTIES,
    PublicationKind.EMISSIONS,
    PublicationKind.PETITION,
    PublicationKind.HAZARD,
)


class RefreshRule(models.Model):
    """I4 "kept current": the office owes a fresh publication of one public item at least
    every `every_days` days. While active it holds exactly one live obligation
    (`disclosure.refresh.<kind>`, subject: this rule); publishing the item by the office
    or a unit of its leading group discharges it and starts the next period."""

    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("领导小组办公室"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("公开类别"), max_length=20, choices=PublicationKind.choices)
    every_days = models.PositiveIntegerField(_("更新周期（天）"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        ordering = ["unit_id", "kind"]
        verbose_name = _("公开信息更新时限")
        verbose_name_plural = _("公开信息更新时限")
        constraints = [
            models.UniqueConstraint(fields=["unit", "kind"], name="refresh_rule_unique"),
            models.CheckConstraint(condition=Q(every_days__gte=1), name="refresh_rule_days"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.kind} {self.every_days}"
