"""The ``marker`` group (阅卷人) with only the marking permission; organizers read marks and publish.

Markers mark essay answers blind through the marking page and API; they see no candidate,
attempt or registration. The groups are shared with the other apps' migrations: add, never set.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "marker": ["mark_answers"],
    "organizer": ["view_markingtask", "view_mark", "view_resultpublication", "publish_results"],
}


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("results")
    app_config.models_module = True  # the migration state's app stub: let create_permissions run
    create_permissions(app_config, verbosity=0, apps=apps, using=using)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name)
        group.permissions.add(
            *Permission.objects.using(using).filter(content_type__app_label="results", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group = Group.objects.using(using).filter(name=group_name).first()
        if group:
            group.permissions.remove(
                *Permission.objects.using(using).filter(content_type__app_label="results", codename__in=codenames)
            )
            if group_name == "marker" and not group.permissions.exists():
                group.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("results", "0001_initial"),
        ("exams", "0002_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
