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
        register_overdue_handler(ACK_KIND, on_assignments_overdue)
