from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "envgrid.cases"
    label = "cases"
    verbose_name = _("案件移送")

    def ready(self) -> None:
        from envgrid.obligations.registry import register_overdue_handler

        from .services import mark_overdue

        # The sweep marks transfer obligations overdue in bulk; flag their cases and
        # transfers so the list's "overdue" filter stays an indexed column.
        register_overdue_handler("transfer.", mark_overdue)

        # Issue 15 part 2: every transfer step's obligation (T1, T2, T4, T6) is discharged
        # only by the step itself, never marked done by hand.
        from envgrid.obligations.registry import register_workflow_kind

        for prefix, instead in (
            ("transfer.make", _("请在案件页面办理移送（或作出是否移送的决定）")),
            ("transfer.handover", _("请在案件页面向司法机关办理移送")),
            ("transfer.decide", _("请在移送页面受理或退回")),
            ("transfer.handle", _("请在移送页面登记查处完成")),
            ("transfer.feedback", _("请在移送页面提交反馈")),
        ):
            register_workflow_kind(prefix, instead=instead, app=self.label)
        # T2: the office's decision on a request to clear a "suspected crime" flag.
        register_workflow_kind(
            "case.crime_flag_review",
            instead=_("请在案件页面审批取消“涉嫌犯罪”标记的申请"),
            app=self.label,
        )

        # The default transfer time limits are seeded by migration 0002. A flush (tests,
        # `manage.py flush`) empties the table and re-sends post_migrate; put back any
        # default that is missing without touching rows an administrator has edited.
        post_migrate.connect(seed_missing_transfer_rules, sender=self)


def seed_missing_transfer_rules(sender, using="default", **kwargs) -> None:
    import importlib

    from django.db import connections

    if "cases_transferrule" not in connections[using].introspection.table_names():
        return
    seed = importlib.import_module("envgrid.cases.migrations.0002_transfer_rules")
    TransferRule = sender.get_model("TransferRule")
    have = set(TransferRule.objects.using(using).values_list("transfer_type", "step"))
    rows = [
        TransferRule(
            transfer_type=transfer_type,
            step=step,
            rule_kind=kind,
            amount=amount,
            start_event=start,
            legal_basis=basis,
            is_active=active,
        )
        for table, active in ((seed.DEFAULTS, True), (seed.INACTIVE, False))
        for transfer_type, step, kind, amount, start, basis in table
        if (transfer_type, step) not in have
    ]
    TransferRule.objects.using(using).bulk_create(rows)
