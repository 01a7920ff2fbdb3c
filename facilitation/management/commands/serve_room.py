"""`make run`'s last step: say where phones join (address and QR code), then serve.

The address is the one the join pages and QR codes use (config/room.py): the laptop's own
network address, never 127.0.0.1, or PUBLIC_URL when one is set. daphne then replaces this
process, listening on BIND_HOST:PORT.
"""

import io
import os
import shutil
import sys
from typing import Any

import segno
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from config.room import is_loopback_host, room_origins


def room_lines() -> tuple[str, list[str]]:
    """The join address phones should open, and what to tell the facilitator about it."""
    join_path = reverse("join")
    notes: list[str] = []
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL + join_path, notes
    ips = [address.ip for address in settings.ROOM_ADDRESSES]
    if not settings.ROOM_ADDRESS:
        if is_loopback_host(settings.BIND_HOST):
            notes.append(
                f"Puente solo acepta conexiones desde este computador (HOST={settings.BIND_HOST}): "
                "los celulares no pueden entrar. Para la sesión, ejecuta `make run` sin HOST."
            )
        else:
            notes.append(
                "Este computador no tiene una dirección de red que los celulares puedan usar "
                "(solo 127.0.0.1). Conéctalo a la Wi-Fi de la sala o al punto de acceso de tu "
                "celular y vuelve a ejecutar `make run`."
            )
        return f"http://localhost:{settings.PORT}{join_path}", notes
    if len(ips) > 1:
        others = ", ".join(ip for ip in ips if ip != settings.ROOM_ADDRESS)
        notes.append(
            f"Este computador tiene varias direcciones; los celulares van a usar "
            f"{settings.ROOM_ADDRESS}. Si no logran entrar, usa la de la Wi-Fi de la sala "
            f"({others}) con `make run ROOM_ADDRESS=<dirección>`, o elígela en la sala de "
            "control."
        )
    origin = room_origins([settings.ROOM_ADDRESS], settings.PORT)[0]
    return origin + join_path, notes


class Command(BaseCommand):
    help = "Prints the address and QR code phones join with, then serves Puente with daphne."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--print-only", action="store_true", help="Print the address and QR code only."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        join_url, notes = room_lines()
        qr = io.StringIO()
        segno.make(join_url, error="m").terminal(out=qr, compact=True)
        self.stdout.write("")
        self.stdout.write(qr.getvalue())
        self.stdout.write(f"Los participantes entran en:  {join_url}")
        self.stdout.write(f"Quien facilita abre:          http://localhost:{settings.PORT}/")
        for note in notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write("(Ctrl+C para detener)")
        self.stdout.flush()
        if options["print_only"]:
            return
        daphne = shutil.which("daphne", path=os.path.dirname(sys.executable)) or shutil.which(
            "daphne"
        )
        if daphne is None:
            raise CommandError("daphne is not installed in this environment (make setup).")
        sys.stdout.flush()
        os.execv(  # noqa: S606 - our own virtualenv's daphne, fixed arguments
            daphne,
            [daphne, "-b", settings.BIND_HOST, "-p", str(settings.PORT), "config.asgi:application"],
        )
