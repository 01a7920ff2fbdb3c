import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agreements.services import reminders_send


class Command(BaseCommand):
    help = (
        "Email owners of agreements due soon or overdue; at most one reminder per owner and "
        "day, so running it again the same day sends nothing new. One that fails is logged "
        "and tried again on the next run; the others still go, and the exit status is 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            default=None,
            help="The day to remind for (YYYY-MM-DD); today by default.",
        )

    def handle(self, *args: Any, date: datetime.date | None = None, **options: Any) -> None:
        result = reminders_send(today=date)
        self.stdout.write(f"Recordatorios enviados: {result.sent}")
        if result.failed:
            # Every other owner was reminded; the failed ones are tried again on the next run.
            # A non-zero exit lets cron (or whatever runs this daily) say so.
            raise CommandError(f"Recordatorios que fallaron: {result.failed} (ver el registro)")
