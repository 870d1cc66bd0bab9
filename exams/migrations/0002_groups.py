"""The staff roles of SPEC.md as groups, each with the least permissions it needs.

- organizer (考务人员): builds batches, sessions, papers, candidates and registrations;
  reads attempts, answers and their audit trail (evidence is never edited in the admin).
- proctor: reads sessions, papers, candidates, registrations, attempts and their audit
  trail; no answers, no edits.
- support (技术支持): reads sessions, attempts, candidates and registrations only.

Registrations are never deleted (their attempt keeps the evidence), so no role may.
Permissions of models in other apps (proctoring, tickets) are granted by those apps'
migrations; the groups are shared, so each migration only adds (get_or_create, then add).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDIT = ("add", "change", "delete", "view")
VIEW = ("view",)

ROLES = {
    "organizer": {
        "exams": {
            "exambatch": EDIT, "examsession": EDIT, "paper": EDIT, "question": EDIT,
            "attempt": VIEW, "answer": VIEW, "lateanswer": VIEW, "attemptaudit": VIEW,
        },
        "candidates": {"candidate": EDIT, "registration": ("add", "change", "view")},
        "support": {"staffedperiod": EDIT},
    },
    "proctor": {
        "exams": {"examsession": VIEW, "paper": VIEW, "attempt": VIEW, "attemptaudit": VIEW},
        "candidates": {"candidate": VIEW, "registration": VIEW},
    },
    "support": {
        "exams": {"examsession": VIEW, "attempt": VIEW},
        "candidates": {"candidate": VIEW, "registration": VIEW},
    },
}


def _ensure_permissions(apps, using):
    """Permissions are normally created after migrate; this migration needs them now."""
    for label in ("exams", "candidates", "support"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None


def _role_permissions(apps, using, by_app):
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.using(using).get(
            content_type__app_label=app_label, content_type__model=model, codename=f"{action}_{model}"
        )
        for app_label, models in by_app.items()
        for model, actions in models.items()
        for action in actions
    ]


def groups_create(apps, schema_editor):
    using = schema_editor.connection.alias
    _ensure_permissions(apps, using)
    Group = apps.get_model("auth", "Group")
    for role, by_app in ROLES.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        # add, not set: other apps' migrations grant their own models' permissions to these groups.
        group.permissions.add(*_role_permissions(apps, using, by_app))


def groups_remove(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    for role, by_app in ROLES.items():
        group = Group.objects.using(using).filter(name=role).first()
        if group is None:
            continue
        group.permissions.remove(*_role_permissions(apps, using, by_app))
        if not group.permissions.exists():
            group.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("exams", "0001_initial"),
        ("candidates", "0002_initial"),
        ("support", "0001_initial"),
    ]
    # Keeps one line of exams migrations (0001 -> 0002 -> 0003 ...) without editing 0003.
    run_before = [("exams", "0003_keys")]

    operations = [migrations.RunPython(groups_create, groups_remove)]
