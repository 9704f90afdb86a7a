from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "envgrid.security"
    label = "security"
    verbose_name = "登录安全"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401
