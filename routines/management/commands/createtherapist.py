import getpass
import sys

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalogue.roles import ensure_therapists_group
from routines import two_factor


class Command(BaseCommand):
    help = (
        "Create a therapist: a staff account in the Therapists group. The password is asked "
        "for, or read from standard input with --password-stdin."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--no-qr",
            action="store_true",
            help="Do not draw the enrolment QR code in the terminal.",
        )
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input.",
        )

    def handle(
        self,
        *args,
        username,
        email,
        first_name,
        last_name,
        password_stdin,
        no_qr,
        **options,
    ):
        User = get_user_model()
        username = username.strip()
        if not username:
            raise CommandError("The username is empty.", returncode=2)
        if User.objects.filter(username=username).exists():
            raise CommandError(
                f"A user called {username!r} already exists.", returncode=2
            )
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords do not match.", returncode=2)
        user = User(
            username=username, email=email, first_name=first_name, last_name=last_name
        )
        try:
            User._meta.get_field("username").run_validators(username)
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=2) from None
        with transaction.atomic():
            user.is_staff = True
            user.set_password(password)
            user.save()
            user.groups.add(ensure_therapists_group())
            device, codes = two_factor.enrol(user)
        self.stdout.write(
            f"Therapist {username!r} created. They sign in at /admin/ with their password "
            "and a code from an authenticator app.\n\n"
            "Give them this key privately, to add to the app (or let them scan the code):\n"
            f"  Key: {two_factor.secret(device)}\n"
            f"  URI: {device.config_url}\n"
        )
        if not no_qr:
            two_factor.qr_code_for_terminal(device, self.stdout)
        self.stdout.write(
            "\nRecovery codes (each works once, instead of the app):\n  "
            + "  ".join(codes)
        )
