from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    name = "envgrid.accountability"
    label = "accountability"
    verbose_name = _("责任追究")

    def ready(self) -> None:
        from envgrid.obligations.annotations import register_register_annotator

        from .selectors import register_annotations

        register_register_annotator(register_annotations)
