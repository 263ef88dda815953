from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "civicdesk.jobs"
    label = "jobs"

    def ready(self) -> None:
        # Job handlers and periodic tasks register themselves in each app's tasks.py.
        autodiscover_modules("tasks")
