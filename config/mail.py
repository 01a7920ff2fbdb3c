"""The laptop's mailer: Django's console backend without the links.

With no mail server (the embedded default), an email is printed to standard output, which is
daphne's log. The emails Puente sends carry private links: an owner's `/acuerdo/<token>/`
opens their agreement to whoever holds it, with no account. A log is read and kept by other
people than the addressee (whoever reads the terminal, the journal, a support bundle), so the
console prints each message with every link cut to its scheme and host: a developer still
sees that mail went, to whom, about what, and where the link pointed.

Like Django's console backend it delivers nothing (agreements.services asks isinstance), and
`check --deploy` refuses it (puente.E001) as Django refuses its own development backends
(mail.E001).
"""

import copy
import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks.mail import NON_PRODUCTION_EMAIL_BACKENDS
from django.core.mail import DEFAULT_MAILER_ALIAS, EmailMessage
from django.core.mail.backends import console, dummy, filebased, locmem
from django.utils.module_loading import import_string

HIDDEN = "/[link hidden from the log]"
# Scheme and host are kept; path, query and fragment (where a token lives) are cut.
LINK = re.compile(r"(?P<origin>https?://[^/\s<>\"'?#]+)[^\s<>\"']*", re.IGNORECASE)
# Django's mail.E001 names these by their exact paths; a subclass of one is just as idle.
DEVELOPMENT_BACKENDS = (
    console.EmailBackend,
    dummy.EmailBackend,
    filebased.EmailBackend,
    locmem.EmailBackend,
)


def hide_links(text: str) -> str:
    return LINK.sub(lambda match: match["origin"] + HIDDEN, text)


class ConsoleEmailBackend(console.EmailBackend):
    """Prints each message with its body's links hidden (its text alternatives' too)."""

    def write_message(self, message: EmailMessage) -> None:
        shown = copy.copy(message)
        shown.body = hide_links(message.body)
        if hasattr(message, "alternatives"):
            shown.alternatives = [
                alternative._replace(content=hide_links(alternative.content))
                if isinstance(alternative.content, str)
                else alternative
                for alternative in message.alternatives
            ]
        super().write_message(shown)


@register(Tags.mail, deploy=True)
def check_default_mailer_delivers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Django's mail.E001 for subclasses of its development backends, this module's first.
    Django's check knows only its own paths: without this one, a production site left on the
    laptop's default would pass `check --deploy` and silently mail nobody."""
    backend = getattr(settings, "MAILERS", {}).get(DEFAULT_MAILER_ALIAS, {}).get("BACKEND", "")
    if backend in NON_PRODUCTION_EMAIL_BACKENDS:
        return []  # one of Django's own: its mail.E001 already says so
    try:
        backend_class = import_string(backend)
    except ImportError:
        return []  # Django reports a BACKEND it cannot import when mail is sent
    if not (isinstance(backend_class, type) and issubclass(backend_class, DEVELOPMENT_BACKENDS)):
        return []
    return [
        Error(
            f"The default mailer ({backend}) does not send email, "
            "so owners never get their private links.",
            hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the "
            "EMAIL_* settings (docs/deploy.md).",
            id="puente.E001",
        )
    ]
