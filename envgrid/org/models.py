"""Organisations and people: units, persons (with enforcement certificates), leading
groups with their office and members, and recorded delegations (委托授权, SPEC M4)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from envgrid.core.models import TimeStampedModel


class UnitKind(models.TextChoices):
    GOVERNMENT = "government", _("人民政府")
    BUREAU = "bureau", _("政府部门")
    SUBDISTRICT = "subdistrict", _("街道办事处")
    PARK = "park", _("工业园区")
    COMMUNITY = "community", _("社区")
    POLICE = "police", _("公安机关")
    DISCIPLINE = "discipline", _("纪检监察机关")
    JUDICIAL = "judicial", _("司法机关")
    PROCURATORATE = "procuratorate", _("检察机关")
    OTHER = "other", _("其他")


class Unit(TimeStampedModel):
    code = models.CharField(_("单位代码"), max_length=50, unique=True)
    name = models.CharField(_("单位名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    kind = models.CharField(_("单位类型"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # The person responsible for information (I2); a unit without one is a visible gap.
    information_officer = models.ForeignKey(
        "Person",
        verbose_name=_("信息工作负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Prefix for the unit's document numbers, e.g. 站环 → 站环移〔2026〕12号.
    doc_prefix = models.CharField(_("文号前缀"), max_length=20, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self) -> str:
        return self.name


class DelegationScope(models.TextChoices):
    """What a 委托授权 covers (issue 16: the scope was any string)."""

    MEETING_CONVENE = "meeting.convene", _("召集联席会议")


class PersonRole(models.TextChoices):
    OFFICE = "office", _("领导小组办公室人员")
    LEADER = "leader", _("领导")
    UNIT = "unit", _("成员单位人员")
    GRID = "grid", _("网格人员")


class Person(TimeStampedModel):
    name = models.CharField(_("姓名"), max_length=100)
    unit = models.ForeignKey(
        Unit, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="persons"
    )
    title = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    public_phone = models.CharField(_("公开电话"), max_length=30, blank=True)
    role = models.CharField(
        _("系统角色"), max_length=10, choices=PersonRole.choices, default=PersonRole.UNIT
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    cert_number = models.CharField(_("执法证号"), max_length=50, blank=True)
    cert_valid_from = models.DateField(_("执法证有效期起"), null=True, blank=True)
    cert_valid_to = models.DateField(_("执法证有效期止"), null=True, blank=True)
    is_active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        ordering = ["unit__code", "name"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        constraints = [
            models.CheckConstraint(
                condition=Q(cert_valid_from__isnull=True)
                | Q(cert_valid_to__isnull=True)
                | Q(cert_valid_to__gte=models.F("cert_valid_from")),
                name="person_cert_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit.short_name or self.unit.name}）"

    def cert_valid_on(self, day: dt.date) -> bool:
        """An enforcement certificate counts only with a number and a period covering `day`."""
        return bool(
            self.cert_number
            and self.cert_valid_from
            and self.cert_valid_to
            and self.cert_valid_from <= day <= self.cert_valid_to
        )

    def cert_valid_through(self, first: dt.date, last: dt.date) -> bool:
        return self.cert_valid_on(first) and self.cert_valid_on(last)


class LeadingGroup(TimeStampedModel):
    """领导小组: leader, deputies, office (办公室) and member units. Groups nest
    (a city's above its districts') so scopes nest down."""

    name = models.CharField(_("名称"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级领导小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    leader = models.ForeignKey(
        Person, verbose_name=_("组长"), on_delete=models.PROTECT, related_name="+"
    )
    deputies = models.ManyToManyField(
        Person, verbose_name=_("副组长"), blank=True, related_name="+"
    )
    office_unit = models.ForeignKey(
        Unit, verbose_name=_("办公室所在单位"), on_delete=models.PROTECT, related_name="+"
    )
    office_director = models.ForeignKey(
        Person,
        verbose_name=_("办公室主任"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    member_units = models.ManyToManyField(
        Unit, verbose_name=_("成员单位"), related_name="leading_groups", blank=True
    )
    doc_prefix = models.CharField(_("文号前缀"), max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("领导小组")
        verbose_name_plural = _("领导小组")

    def __str__(self) -> str:
        return self.name

    def is_convener(self, person: Person) -> bool:
        return person.pk == self.leader_id or self.deputies.filter(pk=person.pk).exists()


class Delegation(TimeStampedModel):
    """A recorded delegation (委托授权) from the leader or a deputy to the office director,
    for a purpose and a period (SPEC M4)."""

    leading_group = models.ForeignKey(
        LeadingGroup,
        verbose_name=_("领导小组"),
        on_delete=models.PROTECT,
        related_name="delegations",
    )
    grantor = models.ForeignKey(
        Person, verbose_name=_("委托人"), on_delete=models.PROTECT, related_name="delegations_given"
    )
    grantee = models.ForeignKey(
        Person,
        verbose_name=_("受托人"),
        on_delete=models.PROTECT,
        related_name="delegations_received",
    )
    purpose = models.CharField(_("委托事项"), max_length=300)
    # Which kind of act it covers; "meeting.convene" for convening joint meetings.
    scope = models.CharField(
        _("授权范围"),
        max_length=50,
        choices=DelegationScope.choices,
        default=DelegationScope.MEETING_CONVENE,
    )
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"))
    document_ref = models.CharField(_("授权文件"), max_length=200, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("委托授权")
        verbose_name_plural = _("委托授权")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")), name="delegation_period_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grantor.name} → {self.grantee.name}：{self.purpose}"

    def covers(self, *, day: dt.date, scope: str) -> bool:
        return (
            self.revoked_at is None
            and self.scope == scope
            and self.valid_from <= day <= self.valid_to
        )


class TrainingKind(models.TextChoices):
    TRAINING = "training", _("业务培训")
    ASSESSMENT = "assessment", _("业务考核")


class TrainingResult(models.TextChoices):
    PASSED = "passed", _("合格")
    FAILED = "failed", _("不合格")


class TrainingRecord(models.Model):
    """A training course or an assessment an enforcement officer took (业务熟练, SPEC E5).

    Hours of passed records in the last months count towards the proficiency minimum
    (envgrid.org.proficiency). Append-only: a wrong record is voided with a reason, never
    deleted, so the history of what was counted stays readable."""

    person = models.ForeignKey(
        Person,
        verbose_name=_("执法人员"),
        on_delete=models.PROTECT,
        related_name="training_records",
    )
    kind = models.CharField(
        _("类别"), max_length=12, choices=TrainingKind.choices, default=TrainingKind.TRAINING
    )
    course = models.CharField(_("课程或考核名称"), max_length=200)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1)
    held_on = models.DateField(_("日期"))
    result = models.CharField(_("结果"), max_length=10, choices=TrainingResult.choices)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    void_reason = models.CharField(_("作废原因"), max_length=300, blank=True)

    class Meta:
        ordering = ["person_id", "-held_on", "-id"]
        verbose_name = _("培训考核记录")
        verbose_name_plural = _("培训考核记录")
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0), name="training_hours_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.person.name} {self.held_on.isoformat()} {self.course}"
