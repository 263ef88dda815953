"""Documents on a case: add one (after the upload checks and the virus scanner of
casework/documents.py), remove one, hand one out for download. Files go through Django's
default storage under a random name; the person's file name is kept on the row."""

import secrets

from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership
from civicdesk.casework.documents import Upload, check_upload, clean_name, extension
from civicdesk.casework.errors import CaseRefused
from civicdesk.casework.models import ActionKind, Case, CaseDocument, PrivacyRelease

from ._common import require
from .cases import _action, touch

__all__ = ["add_document", "download_document", "remove_document"]


def _about(document: CaseDocument) -> dict:
    """What the audit log keeps of a document: never its contents."""
    return {
        "id": document.pk,
        "name": document.name,
        "size": document.size,
        "content_type": document.content_type,
        "sha256": document.sha256,
    }


@transaction.atomic
def add_document(
    case: Case, *, by: Membership | None, upload: Upload, is_public: bool = False
) -> CaseDocument:
    """Keep a file on the case. Refused with UploadRefused (nothing stored) when it is empty,
    too large, of a type not accepted or not what its name says, or refused by the scanner."""
    require(by, "case.edit", case.office_id)
    content_type, sha256 = check_upload(upload)
    name = clean_name(upload.name)
    document = CaseDocument(
        office_id=case.office_id,
        case=case,
        name=name,
        content_type=content_type,
        size=upload.size,
        sha256=sha256,
        is_public=is_public,
        uploaded_by=by,
    )
    # A random name in storage: the person's file name may say what the case is about.
    document.file.save(f"{secrets.token_hex(12)}{extension(name)}", upload, save=False)
    stored = document.file.name
    try:
        document.save()
        _action(case, by=by, kind=ActionKind.DOCUMENT,
                subject=_("Document added: %(name)s") % {"name": name},
                details={"document_id": document.pk})  # fmt: skip
        touch(case)
        audit.record(
            by, "case.document_added", case, changes={"document": [None, _about(document)]}
        )
    except BaseException:
        document.file.storage.delete(stored)  # the row is not kept, so neither is the file
        raise
    return document


@transaction.atomic
def remove_document(document: CaseDocument, *, by: Membership | None) -> None:
    """Delete a document and its file. A privacy release's signed form is kept with the release
    (revoked or not): it is the office's proof of consent."""
    require(by, "case.edit", document.office_id)
    if PrivacyRelease.objects.filter(document=document).exists():
        raise CaseRefused(
            _(
                "%(name)s is the signed form of a privacy release; it is kept with the release "
                "and cannot be removed."
            )
            % {"name": document.name},
            code="document_in_use",
        )
    case = document.case
    about = _about(document)
    storage, stored = document.file.storage, document.file.name
    document.delete()
    _action(case, by=by, kind=ActionKind.DOCUMENT,
            subject=_("Document removed: %(name)s") % {"name": about["name"]},
            details={"document_id": about["id"]})  # fmt: skip
    touch(case)
    audit.record(by, "case.document_removed", case, changes={"document": [about, None]})
    # Only once the row is surely gone: a rolled-back removal keeps its file.
    transaction.on_commit(lambda: storage.delete(stored))


def download_document(document: CaseDocument, *, by: Membership | None) -> File:
    """The document's file, opened for reading, for someone allowed to see the case (the door
    checks which cases they may see). Every download is audited. FileNotFoundError when the
    storage lost the file."""
    require(by, "case.view", document.office_id)
    handle = document.file.open("rb")
    audit.record(by, "case.document_downloaded", document.case,
                 changes={"document": [None, {"id": document.pk, "name": document.name}]})  # fmt: skip
    return handle
