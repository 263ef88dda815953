from django.apps import AppConfig


class DedupeConfig(AppConfig):
    name = "civicdesk.dedupe"
    label = "dedupe"
    verbose_name = "Duplicates"
