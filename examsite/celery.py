import os
import sys

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examsite.settings")
if os.path.basename(sys.argv[0]) == "celery" or sys.argv[0].endswith(os.path.join("celery", "__main__.py")):
    # Worker children are forked: a database pool must not be shared across the fork, and a
    # sweep every few seconds gains nothing from one (see DATABASES in settings).
    os.environ.setdefault("DB_POOL", "0")

app = Celery("examsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule_sweep(sender: Celery, **kwargs) -> None:
    """The one beat schedule: an idempotent sweep every few seconds."""
    from django.conf import settings

    sender.add_periodic_task(
        settings.SWEEP_INTERVAL_SECONDS,
        sender.signature("exams.tasks.sweep", expires=settings.SWEEP_INTERVAL_SECONDS * 4),
        name="exam sweep",
    )
