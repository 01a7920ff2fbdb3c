#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A bad setting (PUBLIC_URL, ROOM_ADDRESS, …): its message, not a traceback.
        sys.exit(f"Puente no puede iniciar: {error}")


if __name__ == "__main__":
    main()
