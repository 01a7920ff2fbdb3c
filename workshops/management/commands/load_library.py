from typing import Any

from django.core.management.base import BaseCommand

from workshops.services import library_load


class Command(BaseCommand):
    help = "Loads the method library and the question bank (idempotent; keeps admin edits)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = library_load()
        summary = ", ".join(f"{k}: {v}" for k, v in created.items())
        self.stdout.write(self.style.SUCCESS(f"Library loaded (new rows: {summary})."))
