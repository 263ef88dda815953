"""Background work of the tags app: usage counts stay right even if a tagging app forgets."""

from datetime import timedelta

from civicdesk.accounts.models import Office
from civicdesk.jobs.registry import periodic

from . import services


@periodic("tags.refresh_usage_counts", every=timedelta(hours=6))
def refresh_all_usage_counts() -> int:
    """Recount every office's tag usage; returns how many tags' counts changed."""
    changed = 0
    for office_id in list(Office.objects.values_list("pk", flat=True)):
        changed += services.refresh_usage_counts(Office.objects.get(pk=office_id))
    return changed
