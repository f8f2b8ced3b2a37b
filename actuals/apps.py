from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActualsConfig(AppConfig):
    name = "actuals"
    verbose_name = _("Time, expenses and actuals")
