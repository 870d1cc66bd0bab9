from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("results")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps, using=using)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(using).get_or_create(name="organizer")
    group.permissions.add(
        *Permission.objects.using(using).filter(content_type__app_label="results", codename="view_sessionresult")
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="organizer").first()
    if group:
        group.permissions.remove(*Permission.objects.filter(codename="view_sessionresult"))


class Migration(migrations.Migration):
    dependencies = [("results", "0003_session_result")]
    operations = [migrations.RunPython(grant, revoke)]
