"""Celery tasks: take ids, call one service, safe to run twice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from exams.services.collection import deadlines_within, session_collect
from exams.services.collection import sweep as run_sweep

logger = logging.getLogger(__name__)


@shared_task(name="exams.tasks.sweep", ignore_result=True, autoretry_for=(OperationalError,),
             retry_backoff=1, max_retries=3)
def sweep() -> dict:
    now = timezone.now()
    report = run_sweep(now=now).as_dict()
    if any(report.values()):
        logger.info("sweep: %s", report)
    schedule_collections(now=now)
    return report


def schedule_collections(*, now: datetime) -> None:
    """A collection task at the very instant of each deadline within the next two sweeps, so
    `collected` does not wait up to a sweep interval. The ETA is seconds ahead (far below the
    broker's visibility timeout); the sweep still collects whatever such a task missed."""
    within = timedelta(seconds=settings.SWEEP_INTERVAL_SECONDS * 2)
    for session_id, deadline in deadlines_within(now=now, within=within):
        # Once per session and deadline, however many sweeps see it coming.
        if cache.add(f"collect-at:{session_id}:{deadline.timestamp()}", 1, timeout=int(within.total_seconds()) + 60):
            collect_session.apply_async(args=[session_id], eta=deadline, expires=deadline + timedelta(seconds=60))


@shared_task(name="exams.tasks.collect_session", ignore_result=True, autoretry_for=(OperationalError,),
             retry_backoff=1, max_retries=3)
def collect_session(session_id: int) -> int:
    collected = session_collect(session_id=session_id, now=timezone.now())
    logger.info("session %s collected at its end: %s attempts", session_id, collected)
    return collected
