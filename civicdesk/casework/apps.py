from django.apps import AppConfig

CASES_PANEL = "civicdesk.casework.views.cases.person_panel"


class CaseworkConfig(AppConfig):
    name = "civicdesk.casework"
    label = "casework"

    def ready(self) -> None:
        from civicdesk.constituents import panels
        from civicdesk.tags import registry

        from . import tasks  # noqa: F401  (registers the daily digest)

        # Tags on cases count as usages and follow tag merges (tags imports no casework).
        if "casework.CaseTag" not in registry.TAGGED_MODELS:
            registry.TAGGED_MODELS.append("casework.CaseTag")
        # The "Cases" section of a person's page, and links from timeline entries to cases.
        if CASES_PANEL not in panels.PERSON_PANELS:
            panels.PERSON_PANELS.append(CASES_PANEL)
        panels.SOURCE_LINKS["casework.case"] = "casework:case-detail"
