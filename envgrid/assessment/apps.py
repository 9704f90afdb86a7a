from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "envgrid.assessment"
    label = "assessment"
    verbose_name = _("考核")

    def ready(self) -> None:
        from .indicators import register_builtin_metrics
        from .sources import register_sources

        register_builtin_metrics()
        register_sources()
