"""Celery tasks: take ids, call one service, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(name="exams.tasks.sweep", ignore_result=True, autoretry_for=(OperationalError,),
             retry_backoff=1, max_retries=3)
def sweep() -> dict:
    from exams.services.collection import sweep as run_sweep

    report = run_sweep(now=timezone.now()).as_dict()
    if any(report.values()):
        logger.info("sweep: %s", report)
    return report
