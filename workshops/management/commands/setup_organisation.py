"""The first-run setup for scripted installs: the same form and service as /configurar/."""

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from workshops import people
from workshops.people_forms import SetupForm
from workshops.services import DEFAULT_AREAS

# The form's field → the option that sets it, to say which option a message is about.
OPTION_OF = {
    "is_manager": "--manager",
    "is_facilitator": "--facilitator",
    "password": "the password",
    "__all__": "",
}


class Command(BaseCommand):
    help = (
        "Sets up this installation's organisation and its first account (a manager), as the "
        "setup page does. Refuses once the installation has its organisation. The password "
        "comes from a file or standard input, never the command line (it would show in ps)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The organisation's name.")
        parser.add_argument("--time-zone", default="America/Bogota")
        parser.add_argument(
            "--areas",
            default=", ".join(DEFAULT_AREAS),
            help="Area names separated by commas (default: %(default)s).",
        )
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--password-file", help="A file whose first line is the password.")
        source.add_argument(
            "--password-stdin", action="store_true", help="Read the password from stdin."
        )
        parser.add_argument("--facilitator", action="store_true", help="Also a facilitator.")
        parser.add_argument(
            "--manager",
            action="store_true",
            help="A manager (required: the first account administers the organisation).",
        )

    def _password(self, options: dict[str, Any]) -> str:
        if options["password_stdin"]:
            text = sys.stdin.readline()
        else:
            try:
                with open(options["password_file"], encoding="utf-8") as handle:
                    text = handle.readline()
            except OSError as error:
                raise CommandError(f"Cannot read the password file: {error}") from None
        return text.rstrip("\r\n")

    def handle(self, *args: Any, **options: Any) -> None:
        if not people.setup_is_open():
            raise CommandError("This installation is already set up; nothing was changed.")
        password = self._password(options)
        form = SetupForm(
            {
                "name": options["name"],
                "time_zone": options["time_zone"],
                "areas": options["areas"],
                "first_name": options["first_name"] or options["username"],
                "last_name": options["last_name"],
                "username": options["username"],
                "email": options["email"],
                "password": password,
                "password_confirm": password,
                "is_facilitator": options["facilitator"],
                "is_manager": options["manager"],
            }
        )
        if form.is_valid():
            try:
                membership = people.organisation_setup(**form.service_fields())
            except people.SetupClosed:
                raise CommandError(
                    "This installation is already set up; nothing was changed."
                ) from None
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Organisation {membership.organisation.name!r} set up; "
                        f"{membership.user.get_username()!r} can log in."
                    )
                )
                return
        lines = [
            f"  {OPTION_OF.get(field, '--' + field.replace('_', '-'))}: {message}"
            for field, messages in form.errors.items()
            for message in messages
        ]
        raise CommandError("Nothing was set up:\n" + "\n".join(lines))
