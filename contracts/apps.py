from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    from django.contrib.auth.models import Group, Permission

    from contracts.roles import sync_role_permissions

    # Runs after every app's migrations; the last call sees every app's permissions.
    sync_role_permissions(Group.objects.db_manager(using).model, Permission)


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Master data and contracts")

    def ready(self) -> None:
        from contracts.seals import pin_trigger_bypass

        post_migrate.connect(_sync_roles, dispatch_uid="contracts.sync_roles")
        post_migrate.connect(pin_trigger_bypass, dispatch_uid="contracts.pin_trigger_bypass")
