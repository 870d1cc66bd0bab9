import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examsite.settings")

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
