from django.apps import AppConfig

DRAFT_CHECK = "civicdesk.dedupe.services.check_draft"


class DedupeConfig(AppConfig):
    name = "civicdesk.dedupe"
    label = "dedupe"
    verbose_name = "Duplicates"

    def ready(self) -> None:
        from civicdesk.constituents import panels

        from . import tasks  # noqa: F401  (registers the scan job)

        # The warning of the person form: people like the one about to be added.
        if DRAFT_CHECK not in panels.DUPLICATE_CHECKS:
            panels.DUPLICATE_CHECKS.append(DRAFT_CHECK)
