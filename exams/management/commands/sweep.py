from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from exams.services.collection import sweep


class Command(BaseCommand):
    help = (
        "Run the enforcement sweep once (collect due attempts, mark late/absent, publish "
        "passwords, expire sessions). Beat runs it every few seconds; this is for operators."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO 8601 instant with offset (default: the clock)")

    def handle(self, *args, **options):
        now = parse_datetime(options["now"]) if options["now"] else timezone.now()
        report = sweep(now=now)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in report.as_dict().items()))
