from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitorConfig(AppConfig):
    """The city's monitor: public statistics, circularity targets, the waste picture.

    It sits above ``matching`` in the layering: it reads accounts, marketplace and matching,
    and none of them imports it.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "monitor"
    verbose_name = _("City monitor")
