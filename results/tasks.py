"""Celery tasks of results: take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import translation

WARM_DELAY_SECONDS = 30


@shared_task(name="results.tasks.statistics_warm", ignore_result=True)
def statistics_warm(session_id: int) -> None:
    """Compute a session's statistics and charts into the cache, so that the page's next render
    reads them instead of grouping every answer (about a second at 5,000 x 100)."""
    from exams.models import ExamSession
    from results import charts
    from results.selectors_statistics import session_statistics

    session = ExamSession.objects.select_related("paper").filter(pk=session_id).first()
    if session is None:
        return
    stats = session_statistics(session=session)
    with translation.override(settings.LANGUAGE_CODE):
        charts.session_charts(session_id=session_id, stats=stats)


def statistics_warm_soon(*, session_id: int) -> None:
    """Queue ``statistics_warm`` after this transaction commits, at most once per
    ``WARM_DELAY_SECONDS`` per session (a marking session gives many marks a minute)."""
    try:
        first = cache.add(f"results:statistics-warm:{session_id}", 1, timeout=WARM_DELAY_SECONDS)
    except Exception:  # the cache is an optimization: no warm-up then
        return
    if first:
        transaction.on_commit(
            lambda: statistics_warm.apply_async(args=[session_id], countdown=WARM_DELAY_SECONDS)
        )
