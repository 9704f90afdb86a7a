from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "envgrid.meetings"
    label = "meetings"
    verbose_name = _("联席会议")

    def ready(self) -> None:
        from envgrid.obligations.registry import register_overdue_handler, register_sweep_hook

        from .models import Decision
        from .registry import register_participant_suggester
        from .services import (
            decision_owner_units,
            on_decision_obligations_overdue,
            on_supervision_responses_overdue,
            task_reports_on_sweep,
        )

        # M5: an overdue decision obligation → one supervision notice; an unanswered
        # notice about a decision → the decision escalates.
        register_overdue_handler("meeting.decision", on_decision_obligations_overdue)
        register_overdue_handler("supervision.respond", on_supervision_responses_overdue)
        # M3: a decision on the agenda (e.g. a 督办 item) brings its owner units.
        register_participant_suggester(decision_owner_units, model=Decision)
        # M6: each sweep opens the current period's task reports (idempotent), so the
        # reporting interval runs without a separate cron entry.
        register_sweep_hook(task_reports_on_sweep)
        # M5/M6: decisions and task reports are discharged by their own reports.
        from envgrid.obligations.registry import register_workflow_kind

        register_workflow_kind(
            "meeting.decision",
            instead=_("请在会议决定事项页面报告办理进展和完成情况"),
            app=self.label,
        )
        register_workflow_kind(
            "meeting.task_report", instead=_("请在环保任务汇报页面报送本期汇报"), app=self.label
        )
