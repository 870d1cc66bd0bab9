from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "organizer": ["grant_extra_time", "unlock_attempt", "message_attempt", "monitor_session"],
    "proctor": ["unlock_attempt", "message_attempt", "monitor_session"],
    "support": ["unlock_attempt", "message_attempt"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("exams")
    app_config.models_module = True  # the migration state's app stub: let create_permissions run
    create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="exams", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group = Group.objects.filter(name=group_name).first()
        if group:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="exams", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0005_attempt_action_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
