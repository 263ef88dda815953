from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "civicdesk.casework"
    label = "casework"

    def ready(self) -> None:
        from civicdesk.tags import registry

        # Tags on cases count as usages and follow tag merges (tags imports no casework).
        if "casework.CaseTag" not in registry.TAGGED_MODELS:
            registry.TAGGED_MODELS.append("casework.CaseTag")
        from . import tasks  # noqa: F401  (registers the job handlers and the daily digest)
