import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from workshops.models import Membership, Organisation
from workshops.people import DEMO_ORG, setup_is_open, setup_key
from workshops.services import member_create, organisation_create


class Command(BaseCommand):
    help = (
        "Creates a demo organisation with a facilitator and a manager and prints their logins, "
        "and where to set up the installation's own organisation while that is still open."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default="8000", help="The port `make run` serves on.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(name=DEMO_ORG).first()
        if organisation is None:
            organisation = organisation_create(name=DEMO_ORG, time_zone="America/Bogota")
        logins = []
        for username, first, last, facilitator, manager in (
            ("facilitadora", "Lili", "Restrepo", True, False),
            ("gerente", "Milena", "Ortiz", False, True),
        ):
            password = secrets.token_urlsafe(9)
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                member_create(
                    organisation=organisation,
                    username=username,
                    password=password,
                    first_name=first,
                    last_name=last,
                    is_facilitator=facilitator,
                    is_manager=manager,
                )
            elif Membership.objects.filter(user=user, organisation=organisation).exists():
                # A fresh password each run, so the printed login always works.
                user.set_password(password)
                user.save(update_fields=["password"])
            else:
                self.stderr.write(f"User {username} exists outside the demo; left untouched.")
                continue
            logins.append((username, password, "facilitador/a" if facilitator else "gerente"))
        self.stdout.write(self.style.SUCCESS(f"Organización de demostración: {organisation.name}"))
        for username, password, role in logins:
            self.stdout.write(f"  {role:14} usuario: {username:14} contraseña: {password}")
        if setup_is_open():
            self.stdout.write(
                self.style.SUCCESS(
                    f"Para crear tu organización: http://localhost:{options['port']}"
                    f"/configurar/?clave={setup_key()}"
                )
            )
