from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "civicdesk.imports"
    label = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the import job and the periodic resume)
