from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnforcementConfig(AppConfig):
    name = "envgrid.enforcement"
    label = "enforcement"
    verbose_name = _("联合执法")

    def ready(self) -> None:
        from envgrid.obligations.registry import (
            register_escalation_resolver,
            register_overdue_handler,
        )

        from .services import ACK_KIND, escalation_target, on_assignments_overdue

        register_escalation_resolver(escalation_target)
        # E4: an assignment's acknowledgement and report are discharged on the assignment.
        from envgrid.obligations.registry import register_workflow_kind

        from .services import REPORT_KIND

        register_workflow_kind(ACK_KIND, instead=_("请在联合执法任务页面确认任务"), app=self.label)
        register_workflow_kind(
            REPORT_KIND, instead=_("请在联合执法任务页面报送执法情况"), app=self.label
        )
        register_overdue_handler(ACK_KIND, on_assignments_overdue)
        # Issue 15 part 5: the assignment's copy of the deadline follows a calendar recompute.
        from envgrid.obligations.registry import register_due_moved_handler

        from .services import on_ack_due_moved

        register_due_moved_handler(ACK_KIND, on_ack_due_moved)
