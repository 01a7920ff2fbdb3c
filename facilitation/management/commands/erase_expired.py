from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from facilitation.models import LiveSession
from facilitation.retention import erase_expired, expired_sessions


class Command(BaseCommand):
    help = (
        "Erase the names and texts of sessions closed longer ago than their organisation's "
        "retention period (Ley 1581 de 2012), keeping agreements, owners and every count. "
        "Meant for a daily cron: running it again erases nothing new. A session that fails is "
        "logged and tried again on the next run; the others are still erased, and the exit "
        "status is 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the sessions that would be erased and erase nothing (run it once before "
            "scheduling the command: sessions closed long ago are erased on its first run).",
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        if dry_run:
            due = LiveSession.objects.filter(pk__in=expired_sessions()).select_related(
                "workshop__organisation"
            )
            for live in due.order_by("pk"):
                self.stdout.write(
                    f"Se borraría: sesión {live.pk} «{live.workshop.title}» "
                    f"({live.workshop.organisation.name})"
                )
            self.stdout.write(f"Sesiones que se borrarían: {due.count()} (no se borró nada)")
            return
        result = erase_expired()
        for session in result.erased:
            self.stdout.write(
                f"Sesión {session.live_id} «{session.title}» ({session.organisation}), "
                f"cerrada el {session.closed_on:%d/%m/%Y}: nombres borrados: {session.names}; "
                f"textos borrados: {session.texts}"
            )
        self.stdout.write(f"Sesiones con nombres y textos borrados: {len(result.erased)}")
        if result.failed:
            # The others were erased; the failed ones are tried again on the next run. A
            # non-zero exit lets cron (or whatever runs this daily) say so.
            raise CommandError(f"Sesiones que fallaron: {result.failed} (ver el registro)")
