"""The Django app: with ``PARTNERKREIS["VERIFY_ON_STARTUP"] = True`` the server refuses
to start with a wrong base URL or API key (``Client.verify``), instead of rendering
empty blocks.  Off by default: a start must not depend on the network."""

from django.apps import AppConfig


class PartnerkreisConfig(AppConfig):
    name = "partnerkreis.integrations.django"
    label = "partnerkreis"
    verbose_name = "Partnerkreis"

    def ready(self) -> None:
        from . import get_client, options

        if options().get("VERIFY_ON_STARTUP"):
            get_client().verify()
