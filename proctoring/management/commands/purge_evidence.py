"""Data retention: remove a whole batch's proctoring evidence after its retention date."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from exams.models import ExamBatch
from examsite.exceptions import DomainError
from proctoring.services.retention import batch_evidence_purge


class Command(BaseCommand):
    help = (
        "Remove every evidence file (photos, snapshots) and proctoring event of one batch, "
        "once today (in the batch's time zone) is on or after the batch's "
        "evidence_retention_until date; refuses before it, or when no date is set. "
        "Review decisions and attempt audit history are kept. Run by an organizer "
        "(考务人员) responsible for the batch's data, e.g. "
        "`python manage.py purge_evidence --batch 2023-07-30`. This cannot be undone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", required=True, help="the batch's slug (网址标识)")
        parser.add_argument(
            "--now", help="ISO 8601 instant to act as 'now' (for rehearsals and tests); default: the clock"
        )

    def handle(self, *args, batch: str, now: str | None = None, **options) -> None:
        instant = timezone.now()
        if now:
            parsed = parse_datetime(now)
            if parsed is None:
                raise CommandError(f"--now: not an ISO 8601 date-time: {now!r}")
            instant = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        exam_batch = ExamBatch.objects.filter(slug=batch).first()
        if exam_batch is None:
            raise CommandError(f"--batch: no batch with slug {batch!r}")
        try:
            report = batch_evidence_purge(batch=exam_batch, now=instant)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.detail}") from None
        self.stdout.write(
            f"batch {exam_batch.slug}: removed {report.files} files, {report.evidence} evidence rows, "
            f"{report.events} events, {report.recordings} recording chunks"
        )
