from typing import Any

from django.core.management.base import BaseCommand, CommandError

from facilitation.retention import erase_expired


class Command(BaseCommand):
    help = (
        "Erase the names and texts of sessions closed longer ago than their organisation's "
        "retention period (Ley 1581 de 2012), keeping agreements, owners and every count. "
        "Meant for a daily cron: running it again erases nothing new. A session that fails is "
        "logged and tried again on the next run; the others are still erased, and the exit "
        "status is 1."
    )

    def handle(self, *args: Any, **options: Any) -> None:
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
