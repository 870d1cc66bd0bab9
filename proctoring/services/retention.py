"""Data retention: a batch's evidence is purged after its retention date."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from exams.models import ExamBatch
from examsite.storage import evidence_storage
from proctoring import exceptions as exc
from proctoring.models import Evidence, ProctorEvent, RecordingChunk

logger = logging.getLogger(__name__)


@dataclass
class PurgeReport:
    files: int
    evidence: int
    events: int
    recordings: int = 0


def batch_evidence_purge(*, batch: ExamBatch, now: datetime) -> PurgeReport:
    """Remove a whole batch's evidence files and rows (recordings too) and its events, once its retention
    date (``ExamBatch.evidence_retention_until``, a date in the batch's time zone) has come.

    The only path that deletes proctoring records (see ``AppendOnlyQuerySet.purge``).
    Review decisions and the attempts' audit history stay.
    """
    until = batch.evidence_retention_until
    if until is None:
        raise exc.RetentionNotSet()
    today = now.astimezone(batch.tz).date()
    if today < until:
        raise exc.RetentionNotDue(
            _("批次“%(batch)s”的监控资料保留至 %(until)s，今天（%(today)s）还不能清除。")
            % {"batch": batch.name, "until": until.isoformat(), "today": today.isoformat()}
        )
    evidence = Evidence.objects.filter(attempt__session__batch=batch)
    events = ProctorEvent.objects.filter(attempt__session__batch=batch)
    chunks = RecordingChunk.objects.filter(attempt__session__batch=batch)
    names = list(evidence.values_list("storage_name", "thumb_name"))
    names += [(name, "") for name in chunks.values_list("storage_name", flat=True)]
    with transaction.atomic():
        evidence_count = evidence.purge()
        event_count = events.purge()
        recording_count = chunks.purge()
    removed = 0
    for name, thumbnail in names:  # after the rows: a failed delete leaves an orphan, never a dangling row
        try:
            evidence_storage.delete(name)
            if thumbnail:
                evidence_storage.delete(thumbnail)
            removed += 1
        except OSError:
            logger.warning("could not delete evidence file %s", name, exc_info=True)
    logger.info(
        "purged batch %s evidence: %d files, %d evidence rows, %d events, %d recording chunks",
        batch.slug,
        removed,
        evidence_count,
        event_count,
        recording_count,
    )
    return PurgeReport(files=removed, evidence=evidence_count, events=event_count, recordings=recording_count)
