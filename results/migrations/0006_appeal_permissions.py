from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    # Markers re-mark appealed essays on the appeal page (blind: it shows no candidate).
    "marker": ["view_appeal"],
    "organizer": ["view_appeal", "change_appeal"],
}


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("results")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps, using=using)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.using(using).filter(content_type__app_label="results", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="results", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [("results", "0005_appeals")]
    operations = [migrations.RunPython(grant, revoke)]
