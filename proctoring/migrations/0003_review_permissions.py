"""Review permissions for the staff groups (created by exams 0002_groups; get_or_create here
so this works whichever runs first).

- proctor: read events, evidence, phone pairings, registered photos and decisions; decide
  (clear, warning, propose or confirm a void).
- organizer: the same, plus unlocking from the review page and importing registered photos.
- support: nothing from proctoring (no evidence, no decisions).
Permissions are added, never set: other migrations grant these groups their own models'.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEW = [
    "view_proctorevent", "view_evidence", "view_phonepairing", "view_registeredphoto",
    "view_reviewdecision", "decide_attempt",
]
ROLES = {
    "proctor": REVIEW,
    "organizer": [*REVIEW, "unlock_attempt", "add_registeredphoto"],
}


def _permissions(apps, using, codenames):
    Permission = apps.get_model("auth", "Permission")
    return list(
        Permission.objects.using(using).filter(content_type__app_label="proctoring", codename__in=codenames)
    )


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("proctoring")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for role, codenames in ROLES.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        found = _permissions(apps, using, codenames)
        missing = set(codenames) - {p.codename for p in found}
        if missing:
            raise RuntimeError(f"proctoring permissions missing: {sorted(missing)}")
        group.permissions.add(*found)


def revoke(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    for role, codenames in ROLES.items():
        group = Group.objects.using(using).filter(name=role).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, using, codenames))


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("exams", "0002_groups"),
        ("proctoring", "0002_registeredphoto_reviewdecision_phonepairing"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
