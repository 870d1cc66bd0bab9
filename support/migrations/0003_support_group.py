"""Least permissions for the support app's models, per group.

- support: work tickets (view/change, reply), read the FAQ and staffed hours. Unlocking and
  messaging an attempt from a ticket also need exams.unlock_attempt / exams.message_attempt,
  which the exams migrations grant (the organizer may revoke them). Never answers, papers,
  evidence or review decisions.
- organizer: manages the FAQ (SPEC: organizer-managed) and reads tickets.

Another app's migration creates these groups too; get_or_create then add makes the order
irrelevant.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPPORT_PERMISSIONS = [
    "view_ticket",
    "change_ticket",
    "view_ticketmessage",
    "add_ticketmessage",
    "view_ticketaction",
    "view_faqentry",
    "view_staffedperiod",
]


ORGANIZER_PERMISSIONS = [
    "add_faqentry",
    "change_faqentry",
    "delete_faqentry",
    "view_faqentry",
    "view_ticket",
    "view_ticketmessage",
    "view_ticketaction",
]
GRANTS = {"support": SUPPORT_PERMISSIONS, "organizer": ORGANIZER_PERMISSIONS}


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; create this app's now so they can be granted.
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("support")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.using(using).filter(content_type__app_label="support", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="support", codename__in=codenames)
            )


class Migration(migrations.Migration):

    dependencies = [
        ("support", "0002_tickets_faq"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
