"""Unlock and message from a ticket use exams' own permissions (exams.unlock_attempt,
exams.message_attempt), so the ticket's copies of them go, rows and grants included."""

from django.db import migrations

DROPPED = ["unlock_attempt", "message_attempt"]


def drop_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.using(schema_editor.connection.alias).filter(
        content_type__app_label="support", content_type__model="ticket", codename__in=DROPPED
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('support', '0003_support_group'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='ticket',
            options={'ordering': ['-created_at', '-id'], 'verbose_name': '工单', 'verbose_name_plural': '工单'},
        ),
        migrations.RunPython(drop_permissions, migrations.RunPython.noop),
    ]
