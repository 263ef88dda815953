from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "civicdesk.exports"
    label = "exports"
    verbose_name = "Exports"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the export jobs)
