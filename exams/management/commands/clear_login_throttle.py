from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from exams.services.login_throttle import login_throttle_clear
from examsite.exceptions import DomainError


class Command(BaseCommand):
    help = (
        "Give a throttled candidate a fresh login budget at once: --id-number clears that ID "
        "number in every session; --password clears a session password's counter; --ip an address's."
    )

    def add_arguments(self, parser):
        parser.add_argument("--id-number", dest="id_number", help="the candidate's ID number (证件号)")
        parser.add_argument("--password", help="a session password (考试口令)")
        parser.add_argument("--ip", help="a client address (e.g. an exam centre's NAT address)")

    def handle(self, *args, **options):
        try:
            cleared = login_throttle_clear(
                id_number=options["id_number"],
                password=options["password"],
                ip=options["ip"],
                actor="manage.py clear_login_throttle",
                now=timezone.now(),
            )
        except DomainError as error:
            raise CommandError(error.detail) from None
        self.stdout.write("cleared " + ", ".join(cleared))
