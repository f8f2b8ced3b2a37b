"""Create the four role groups of DOMAIN.md §7.

Their permissions are applied after every migrate by ``contracts.apps._sync_roles`` from
``contracts.roles.ROLE_PERMISSIONS`` (permissions exist only once every app has migrated).
"""

from django.db import migrations

ROLES = ["team member", "project manager", "project accountant", "administrator"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
