from typing import Any

from django.core.management.base import BaseCommand, CommandError

from workshops import method
from workshops.services import library_load


class Command(BaseCommand):
    help = (
        "Checks the method's guides and templates, then loads the method library and the "
        "question bank (the shipped wording replaces the library's; organisations' own "
        "questions are kept)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            method.guides()
            method.escalation()
            method.templates()
        except method.MethodDataError as error:
            raise CommandError(str(error)) from error
        counts = library_load()
        summary = ", ".join(f"{k}: {v}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Library loaded ({summary})."))
