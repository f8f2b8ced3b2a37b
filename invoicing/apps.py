from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Invoicing")

    def ready(self) -> None:
        from invoicing.services.tax_groups import follow_journal_tax_groups
        from ledger.services import journal_tax_groups_changed

        journal_tax_groups_changed.connect(
            follow_journal_tax_groups, dispatch_uid="invoicing.follow_journal_tax_groups"
        )
