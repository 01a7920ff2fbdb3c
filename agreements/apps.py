from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Acuerdos")

    def ready(self) -> None:
        # Owners' private links go by email: `check --deploy` refuses a mailer that sends
        # nothing, the laptop's console included (config is not an app, so it registers here).
        from config import mail  # noqa: F401
