from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "envgrid.reporting"
    label = "reporting"
    verbose_name = _("信息报送")

    def ready(self) -> None:
        from envgrid.obligations.registry import register_workflow_kind

        from .metric_defs import register_all

        # I2/I3: a report due is discharged by sending the report.
        register_workflow_kind("report.due", instead=_("请在信息报送页面报送信息"), app=self.label)
        # G5/I4: a major adjustment's report is discharged by sending that report.
        register_workflow_kind(
            "adjustment.report", instead=_("请在信息报送页面报送重大调整报告"), app=self.label
        )
        # I4: a major adjustment's report deadline in a year the calendar does not know
        # yet opens provisional instead of being dropped (obligations.registry).
        from envgrid.obligations.registry import register_provisional_kind

        register_provisional_kind("adjustment.report")
        # Issue 15 part 5: the due's copy of the deadline follows a calendar recompute.
        from envgrid.obligations.registry import register_due_moved_handler

        from .services import on_due_moved

        register_due_moved_handler("report.due", on_due_moved)
        # Issue 20: a fixed due date reads "次年1月14日前", not "年度开始 + 379 自然日".
        from envgrid.obligations.registry import register_rule_text

        from .periods import report_due_rule_text

        register_rule_text("report.due", report_due_rule_text)

        # The overview's figures for every area that is installed (reporting.metric_defs).
        register_all()
        # G5: a major adjustment drafts its upward report at once, in the same transaction;
        # services.major_adjustments_sync (run by `envgrid reporting-schedule` and the report
        # pages) picks up rows made before this listener existed.
        from envgrid.grids.hooks import register_major_adjustment_listener

        from .services import report_from_major_adjustment

        def _on_major_adjustment(adjustment: object) -> None:
            report_from_major_adjustment(adjustment=adjustment)

        register_major_adjustment_listener(_on_major_adjustment)
