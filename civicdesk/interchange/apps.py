from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "civicdesk.interchange"
    label = "interchange"
    verbose_name = "Interchange"

    def ready(self) -> None:
        from . import handlers, tasks  # noqa: F401  (tasks registers the job handlers)

        handlers.load_builtin()
        handlers.discover()
