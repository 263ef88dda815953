"""The case's records: documents (upload, download, remove), privacy releases (record, revoke)
and the constituent's status links (make, revoke). The case page includes the panel
(casework/_panel_records.html, filled by `panel_context`); with htmx each form here answers
the panel again, without it a redirect to the case page, or the form again when refused."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from civicdesk.accounts.models import Membership
from civicdesk.casework import queries, services
from civicdesk.casework.documents import accepted_labels
from civicdesk.casework.models import Case, CaseDocument, CaseStatusLink, PrivacyRelease
from civicdesk.casework.record_forms import DocumentForm, ReleaseForm, StatusLinkForm
from civicdesk.core.access import require_member
from civicdesk.core.errors import DomainError

PANEL = "casework/_panel_records.html"

# What a release's state is called on the page, and its badge colour.
RELEASE_STATES = {
    "in_force": (gettext_lazy("in force"), "success"),
    "expired": (gettext_lazy("expired"), "secondary"),
    "revoked": (gettext_lazy("revoked"), "danger"),
    "other_agency": (gettext_lazy("covers another agency"), "warning"),
    "none": (gettext_lazy("none on file"), "warning"),
}


def release_state(release: PrivacyRelease, *, today: dt.date) -> str:
    if release.revoked_at is not None:
        return "revoked"
    if release.expires_on is not None and release.expires_on < today:
        return "expired"
    return "in_force"


def link_state(link: CaseStatusLink, *, now: dt.datetime) -> str:
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= now else "active"


def _releases(
    case: Case, today: dt.date
) -> tuple[list[PrivacyRelease], str, PrivacyRelease | None]:
    """The case's releases (newest first, each with its `state`), the state of the case as a
    whole ("in_force" when one covers its agency today) and the release in force."""
    releases = list(
        case.releases.select_related("person", "agency", "document", "recorded_by__user")
        .order_by("-signed_on", "-id")
    )  # fmt: skip
    for release in releases:
        release.state = release_state(release, today=today)
        release.state_label, release.state_tone = RELEASE_STATES[release.state]
    in_force = queries.valid_release(case, agency=case.agency)
    if in_force is not None:
        overall = "in_force"
    elif not releases:
        overall = "none"
    elif releases[0].state == "in_force":
        overall = "other_agency"  # in force, but for someone or something else
    else:
        overall = releases[0].state
    return releases, overall, in_force


def panel_context(
    member: Membership,
    case: Case,
    *,
    upload_form: DocumentForm | None = None,
    release_form: ReleaseForm | None = None,
    link_form: StatusLinkForm | None = None,
    new_link: str | None = None,
    notice: str = "",
    error: str = "",
) -> dict[str, Any]:
    """What the records panel shows. Names start with `records_`: the case page adds them to
    its own context. The forms given (bound, with their errors) replace the empty ones."""
    today, now = timezone.localdate(), timezone.now()
    documents = list(case.documents.select_related("uploaded_by__user").order_by("-id"))
    releases, release_state_now, in_force = _releases(case, today)
    release_documents = {r.document_id for r in releases if r.document_id}
    for document in documents:
        document.is_release_form = document.pk in release_documents
    links = list(
        case.status_links.select_related("person", "created_by__user").order_by("-id")
    )  # fmt: skip
    for link in links:
        link.state = link_state(link, now=now)
    can_edit, can_link = member.can("case.edit"), member.can("case.status_link")
    label, tone = RELEASE_STATES[release_state_now]
    return {
        "records_case": case,
        "records_can_edit": can_edit,
        "records_can_link": can_link,
        "records_notice": notice,
        "records_error": error,
        "records_documents": documents,
        "records_upload_form": upload_form or (DocumentForm() if can_edit else None),
        "records_max_mb": settings.CIVICDESK_UPLOAD_MAX_MB,
        "records_accepted": accepted_labels(),
        "records_releases": releases,
        "records_release_state": release_state_now,
        "records_release_label": label,
        "records_release_tone": tone,
        "records_release_in_force": in_force,
        "records_release_needed": case.case_type.needs_privacy_release and in_force is None,
        "records_release_form": release_form or (ReleaseForm(case=case) if can_edit else None),
        "records_links": links,
        "records_link_form": link_form or (StatusLinkForm(case=case) if can_link else None),
        "records_new_link": new_link,
    }


# ---------------------------------------------------------------- answering


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.boosted


def _case_url(case: Case) -> str:
    return reverse("casework:case-detail", args=[case.pk]) + "#records-panel"


def _panel(request: HttpRequest, case: Case, **extra: Any) -> HttpResponse:
    response = render(request, PANEL, panel_context(request.member, case, **extra))
    # The case page may refresh its history: a document or release also adds an entry there.
    response["HX-Trigger"] = "casework:records-changed"
    return response


def _done(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    if _is_htmx(request):
        return _panel(request, case, notice=message)
    messages.success(request, message)
    return redirect(_case_url(case))


def _not_done(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    if _is_htmx(request):
        return _panel(request, case, error=message)
    messages.error(request, message)
    return redirect(_case_url(case))


def _form_again(
    request: HttpRequest, case: Case, template: str, form_name: str, form: Any
) -> HttpResponse:
    """A refused form with what was typed and why: in the panel (htmx), or on its own page."""
    if _is_htmx(request):
        return _panel(request, case, **{form_name: form})
    context = panel_context(request.member, case, **{form_name: form})
    return render(request, template, {**context, "records_standalone": True}, status=400)


# ---------------------------------------------------------------- documents


@require_POST
@require_member("case.edit")
def document_upload(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_for_change(request.member, case_id)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = services.add_document(
                case, by=request.member, upload=form.cleaned_data["file"]
            )
        except DomainError as exc:
            form.show_refusal(exc)
        else:
            return _done(request, case, _("Added %(name)s.") % {"name": document.name})
    return _form_again(request, case, "casework/document_form.html", "upload_form", form)


@require_GET
@require_member("case.view")
def document_download(request: HttpRequest, case_id: int, document_id: int) -> FileResponse:
    case = queries.case_for_change(request.member, case_id, need="case.view")
    document = get_object_or_404(CaseDocument.objects.filter(case=case), pk=document_id)
    try:
        handle = services.download_document(document, by=request.member)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=document.name, content_type=document.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@require_member("case.edit")
def document_delete(request: HttpRequest, case_id: int, document_id: int) -> HttpResponse:
    case = queries.case_for_change(request.member, case_id)
    document = get_object_or_404(CaseDocument.objects.filter(case=case), pk=document_id)
    try:
        services.remove_document(document, by=request.member)
    except DomainError as exc:
        return _not_done(request, case, exc.message)
    return _done(request, case, _("Removed %(name)s.") % {"name": document.name})


# ---------------------------------------------------------------- privacy releases


@require_member("case.edit")
def release_record(request: HttpRequest, case_id: int) -> HttpResponse:
    """GET: the release form on its own page; POST: record the release."""
    case = queries.case_for_change(request.member, case_id)
    if request.method != "POST":
        context = {**panel_context(request.member, case), "records_standalone": True}
        return render(request, "casework/release_form.html", context)
    form = ReleaseForm(request.POST, request.FILES, case=case)
    if form.is_valid():
        try:
            services.record_release(case, by=request.member, **form.service_arguments())
        except DomainError as exc:
            form.show_refusal(exc)
        else:
            return _done(request, case, _("Privacy release recorded."))
    return _form_again(request, case, "casework/release_form.html", "release_form", form)


@require_POST
@require_member("case.edit")
def release_revoke(request: HttpRequest, case_id: int, release_id: int) -> HttpResponse:
    case = queries.case_for_change(request.member, case_id)
    release = get_object_or_404(PrivacyRelease.objects.filter(case=case), pk=release_id)
    try:
        services.revoke_release(release, by=request.member)
    except DomainError as exc:
        return _not_done(request, case, exc.message)
    return _done(request, case, _("Privacy release revoked."))


# ---------------------------------------------------------------- status links


@require_POST
@require_member("case.status_link")
def status_link_create(request: HttpRequest, case_id: int) -> HttpResponse:
    """Make a link and show it once (its token is not kept)."""
    case = queries.case_for_change(request.member, case_id, need="case.status_link")
    form = StatusLinkForm(request.POST, case=case)
    if form.is_valid():
        try:
            link, secret = services.create_status_link(
                case, by=request.member, **form.service_arguments()
            )
        except DomainError as exc:
            form.show_refusal(exc)
        else:
            return _link_made(request, case, link, secret, form.cleaned_data["send_email"])
    return _form_again(request, case, "casework/status_link_form.html", "link_form", form)


def _link_made(
    request: HttpRequest, case: Case, link: CaseStatusLink, secret: str, send_email: bool
) -> HttpResponse:
    emailed_to = services.status_link_recipient(link.person) if send_email else None
    if emailed_to:
        notice = _("Status link made and emailed to %(email)s.") % {"email": emailed_to}
    elif send_email:
        notice = _(
            "Status link made. It was not emailed: %(name)s has no email address we may use. "
            "Copy it and send it yourself."
        ) % {"name": link.person.display_name}
    else:
        notice = _("Status link made. It was not emailed: copy it and send it yourself.")
    url = services.status_link_url(secret)
    if _is_htmx(request):
        return _panel(request, case, new_link=url, notice=notice)
    context = panel_context(request.member, case, new_link=url, notice=notice)
    return render(
        request, "casework/status_link_created.html", {**context, "records_standalone": True}
    )


@require_POST
@require_member("case.status_link")
def status_link_revoke(request: HttpRequest, case_id: int, link_id: int) -> HttpResponse:
    case = queries.case_for_change(request.member, case_id, need="case.status_link")
    link = get_object_or_404(CaseStatusLink.objects.filter(case=case), pk=link_id)
    services.revoke_status_link(link, by=request.member)
    return _done(request, case, _("Status link revoked: it no longer opens."))


urlpatterns = [
    path("<int:case_id>/documents/", document_upload, name="document-upload"),
    path("<int:case_id>/documents/<int:document_id>/", document_download, name="document-download"),
    path(
        "<int:case_id>/documents/<int:document_id>/delete/",
        document_delete,
        name="document-delete",
    ),
    path("<int:case_id>/releases/", release_record, name="release-record"),
    path("<int:case_id>/releases/<int:release_id>/revoke/", release_revoke, name="release-revoke"),
    path("<int:case_id>/status-links/", status_link_create, name="status-link-create"),
    path(
        "<int:case_id>/status-links/<int:link_id>/revoke/",
        status_link_revoke,
        name="status-link-revoke",
    ),
]
