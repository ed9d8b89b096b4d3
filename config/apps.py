from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The project package as an app: the health check's heartbeat table lives here."""

    name = "config"
    label = "operations"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"
