"""python manage.py load_faq [--batch SLUG] — load the demo FAQ (the notice's 16 questions)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from exams.models import ExamBatch
from support.demo_faq import load_demo_faq


class Command(BaseCommand):
    help = "Load the demo FAQ entries, globally or for one batch; running it again updates them."

    def add_arguments(self, parser):
        parser.add_argument("--batch", help="batch slug; default: global entries shown for every batch")

    def handle(self, *args, batch: str | None, **options):
        target = None
        if batch:
            target = ExamBatch.objects.filter(slug=batch).first()
            if target is None:
                raise CommandError(f"unknown batch: {batch}")
        count = load_demo_faq(target)
        scope = target.name if target else "所有批次 / all batches"
        self.stdout.write(f"已载入常见问题 {count} 条（{scope}） / loaded {count} FAQ entries")
