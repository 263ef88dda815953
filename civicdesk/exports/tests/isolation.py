"""What the isolation walk (accounts/tests/test_isolation.py) needs to know about exports: one
finished full export of an office, with its file. (`person_id` is the constituents app's.)"""

from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from civicdesk.exports.models import OfficeExport


def _office_export(side, made: dict[str, Any]) -> OfficeExport:
    export = OfficeExport(
        office=side.office, started_by=side.admin, size=22, finished_at=timezone.now()
    )
    # An empty ZIP: the end-of-central-directory record alone.
    export.file.save("export.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=False)
    export.save()
    return export


OBJECT_MAKERS = {"export_id": _office_export}
