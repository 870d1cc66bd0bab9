from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Give a staff user a TOTP device for the admin's two-factor login and print the "
        "otpauth:// link (and a QR code) to load into an authenticator app."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--name", default="authenticator", help="device name shown in the admin")
        parser.add_argument("--replace", action="store_true", help="delete the user's other TOTP devices")
        parser.add_argument("--no-qr", action="store_true", help="print only the link")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None or not user.is_staff:
            raise CommandError(f"no staff user named {options['username']!r}")
        if options["replace"]:
            TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=options["name"], confirmed=True)
        self.stdout.write(device.config_url)
        if not options["no_qr"]:
            import segno

            segno.make(device.config_url, error="m").terminal(out=self.stdout, compact=True)
