import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from agreements.services import reminders_send


class Command(BaseCommand):
    help = (
        "Email owners of agreements due soon or overdue; at most one reminder per owner and "
        "day, so running it again the same day sends nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            default=None,
            help="The day to remind for (YYYY-MM-DD); today by default.",
        )

    def handle(self, *args: Any, date: datetime.date | None = None, **options: Any) -> None:
        sent = reminders_send(today=date)
        self.stdout.write(f"Recordatorios enviados: {sent}")
