from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = _("Matching")

    def ready(self) -> None:
        # Registers the Celery tasks in every process (web, worker, commands): the modules that
        # queue them send them by name (``matching.enqueue``) rather than importing this one.
        from . import (
            report_cache,
            tasks,  # noqa: F401
        )

        report_cache.connect()
