from django.apps import AppConfig


class PartnerkreisConfig(AppConfig):
    name = "partnerkreis.integrations.django"
    label = "partnerkreis"
    verbose_name = "Partnerkreis"
