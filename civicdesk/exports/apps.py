from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "civicdesk.exports"
    label = "exports"
    verbose_name = "Exports"
