"""Letters and email: the office's letter library (with the merge fields beside the editor),
letters on a case (draft, edit, mark sent, print, .docx) and sending an email from a case.
`panel_context` and casework/_panel_letters.html are the case page's letters-and-emails panel.

Pages that show a case fetch it with queries.get_case (which audits the view); doors that
change it with queries.case_for_change. A letter of another case or office is a 404."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicdesk.accounts.models import Membership
from civicdesk.casework import queries, services
from civicdesk.casework.letter_forms import CaseEmailForm, CaseLetterForm, LetterTemplateForm
from civicdesk.casework.letters import MergeFieldError, letter_layout, merge_fields, primary_email
from civicdesk.casework.models import (
    Case,
    CaseLetter,
    LetterKind,
    LetterRecipient,
    LetterTemplate,
)
from civicdesk.core.access import get_for_member, require_member
from civicdesk.core.errors import DomainError

EMAIL_FORM_IDS = "letters-email-%s"  # the panel's form sits on the case page beside others


def _case_url(case: Case) -> str:
    return reverse("casework:case-detail", kwargs={"case_id": case.pk})


def _letter_url(letter: CaseLetter) -> str:
    return reverse(
        "casework:case-letter-detail", kwargs={"case_id": letter.case_id, "letter_id": letter.pk}
    )


def _letter_of(case: Case, letter_id: int) -> CaseLetter:
    """The case's letter: one of another case (or office) is a 404 like a missing one."""
    letters = CaseLetter.objects.filter(case=case, office_id=case.office_id)
    letter = get_object_or_404(letters.select_related("by__user", "template"), pk=letter_id)
    letter.case = case  # already fetched (and access-checked) with its relations
    return letter


def _refusal_on(form, exc: DomainError) -> None:
    """Put a service's refusal where it belongs: on the subject or body a merge field is in."""
    part = exc.part if isinstance(exc, MergeFieldError) else None
    form.add_error(part if part in form.fields else None, exc.message)


# ---------------------------------------------------------------- the letter library


@require_member("letter.manage")
def letter_template_list(request: HttpRequest) -> HttpResponse:
    """The office's letters. The first visit to an empty library puts in the two standard
    letters (agency inquiry, constituent update), so there is always something to start from."""
    office = request.member.office
    if not queries.letter_templates(office).exists():
        services.ensure_standard_letters(office)
    context = {"letter_templates": list(queries.letter_templates(office))}
    return render(request, "casework/letter_template_list.html", context)


def _template_form_page(request: HttpRequest, template: LetterTemplate | None) -> HttpResponse:
    member = request.member
    initial = {"is_active": True, "kind": LetterKind.OTHER, "recipient": LetterRecipient.AGENCY}
    if template is not None:
        initial = {name: getattr(template, name) for name in LetterTemplateForm.base_fields}
    form = LetterTemplateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.save_letter_template(
                    member.office, by=member, template=template, **form.cleaned_data
                )
            except DomainError as exc:
                _refusal_on(form, exc)
                status = exc.status
            else:
                messages.success(request, _("“%(name)s” is saved.") % {"name": saved.name})
                return redirect("casework:letter-template-list")
        else:
            status = 400
    context = {"form": form, "letter_template": template, "merge_fields": merge_fields()}
    return render(request, "casework/letter_template_form.html", context, status=status)


@require_member("letter.manage")
def letter_template_create(request: HttpRequest) -> HttpResponse:
    return _template_form_page(request, None)


@require_member("letter.manage")
def letter_template_edit(request: HttpRequest, letter_template_id: int) -> HttpResponse:
    template = get_for_member(
        request.member, LetterTemplate.objects.all(), letter_template_id, need="letter.manage"
    )
    return _template_form_page(request, template)


# ---------------------------------------------------------------- letters on a case


@require_POST
@require_member("case.edit")
def case_letter_create(request: HttpRequest, case_id: int) -> HttpResponse:
    """Draft a letter on the case from the chosen template, then open it for editing."""
    member = request.member
    case = queries.case_for_change(member, case_id)
    chosen = request.POST.get("template", "")
    template = (
        LetterTemplate.objects.for_office(member.office).filter(pk=int(chosen)).first()
        if chosen.isdigit()
        else None
    )
    if template is None:
        messages.error(request, _("Choose a letter from the library."))
        return redirect(_case_url(case) + "#letters")
    try:
        letter = services.draft_letter(case, by=member, template=template)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_case_url(case) + "#letters")
    messages.success(request, _("Draft ready: check it, then print or download it."))
    return redirect(_letter_url(letter))


def _letter_page(
    request: HttpRequest, case: Case, letter: CaseLetter, form: CaseLetterForm, status: int = 200
) -> HttpResponse:
    context = {
        "case": case,
        "letter": letter,
        "form": form,
        "layout": letter_layout(letter),
        "is_draft": letter.sent_at is None,
        "merge_fields": merge_fields(),
    }
    return render(request, "casework/letter_detail.html", context, status=status)


@require_member("case.view")
def case_letter_detail(request: HttpRequest, case_id: int, letter_id: int) -> HttpResponse:
    """A letter on the case. A draft is edited here and marked sent (or thrown away); a sent
    letter is shown as it was sent, to print or download again."""
    member = request.member
    if request.method != "POST":
        case = queries.get_case(member, case_id)
        letter = _letter_of(case, letter_id)
        initial = {"subject": letter.subject, "body": letter.body, "addressee": letter.addressee}
        return _letter_page(request, case, letter, CaseLetterForm(initial=initial))
    case = queries.case_for_change(member, case_id)
    letter = _letter_of(case, letter_id)
    if request.POST.get("action") == "delete":
        try:
            services.delete_draft(letter, by=member)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(_letter_url(letter))
        messages.success(request, _("The draft was deleted."))
        return redirect(_case_url(case) + "#letters")
    form = CaseLetterForm(request.POST)
    if not form.is_valid():
        return _letter_page(request, case, letter, form, status=400)
    try:
        letter = services.update_letter(letter, by=member, **form.cleaned_data)
        if request.POST.get("action") == "send":
            services.send_letter(letter, by=member)
    except DomainError as exc:
        _refusal_on(form, exc)
        letter.refresh_from_db()
        return _letter_page(request, case, letter, form, status=exc.status)
    if request.POST.get("action") == "send":
        messages.success(request, _("The letter is marked as sent and kept on the case."))
    else:
        messages.success(request, _("Draft saved."))
    return redirect(_letter_url(letter))


@require_member("case.view")
def case_letter_print(request: HttpRequest, case_id: int, letter_id: int) -> HttpResponse:
    """The letter alone on the page, laid out for paper: letterhead, date, addressee, text."""
    case = queries.get_case(request.member, case_id)
    letter = _letter_of(case, letter_id)
    context = {"case": case, "letter": letter, "layout": letter_layout(letter)}
    return render(request, "casework/letter_print.html", context)


@require_member("case.view")
def case_letter_docx(request: HttpRequest, case_id: int, letter_id: int) -> HttpResponse:
    case = queries.get_case(request.member, case_id)
    letter = _letter_of(case, letter_id)
    response = HttpResponse(services.letter_docx(letter), content_type=services.DOCX_CONTENT_TYPE)
    filename = f"{case.reference}-letter-{letter.pk}.docx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# ---------------------------------------------------------------- email from a case


def _email_addresses(case: Case) -> dict[str, str]:
    """Where an email to each recipient of the case goes by default."""
    agency_email = case.agency.email if case.agency else ""
    return {
        LetterRecipient.AGENCY: agency_email,
        LetterRecipient.CONSTITUENT: primary_email(case.primary_person),
    }


def _email_form(case: Case, data=None) -> CaseEmailForm:
    addresses = _email_addresses(case)
    recipient = (
        LetterRecipient.AGENCY if addresses[LetterRecipient.AGENCY] else LetterRecipient.CONSTITUENT
    )
    initial = {"recipient": recipient, "to": addresses[recipient], "subject": case.subject}
    return CaseEmailForm(data, initial=initial, auto_id=EMAIL_FORM_IDS)


@require_member("case.edit")
def case_email(request: HttpRequest, case_id: int) -> HttpResponse:
    """Send an email from the case (the panel's form posts here); the page shows the form
    again, with what was typed, when the email is refused."""
    member = request.member
    if request.method != "POST":
        case = queries.get_case(member, case_id)
        form, status = _email_form(case), 200
    else:
        case = queries.case_for_change(member, case_id)
        form, status = _email_form(case, request.POST), 400
        if form.is_valid():
            try:
                email = services.send_case_email(case, by=member, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Email sent to %(to)s.") % {"to": email.to})
                return redirect(_case_url(case) + "#letters")
    context = {"case": case, "form": form, "addresses": _email_addresses(case)}
    return render(request, "casework/letter_email.html", context, status=status)


# ---------------------------------------------------------------- the case page's panel


def panel_context(member: Membership, case: Case) -> dict:
    """What casework/_panel_letters.html shows on the case page: the case's letters (drafts and
    sent) and emails, the library's letters to start one from, and the email form."""
    context = {
        "letters_letters": list(
            CaseLetter.objects.filter(case=case).select_related("by__user").order_by("-id")
        ),
        "letters_emails": list(case.emails.select_related("by__user").order_by("-sent_at", "-id")),
        "letters_can_write": member.can("case.edit"),
        "letters_can_manage": member.can("letter.manage"),
    }
    context["letters_count"] = len(context["letters_letters"]) + len(context["letters_emails"])
    if context["letters_can_write"]:
        office = member.office
        if not queries.letter_templates(office).exists():
            services.ensure_standard_letters(office)  # every office starts with the two
        context["letters_templates"] = list(queries.letter_templates(office, active_only=True))
        context["letters_email_form"] = _email_form(case)
        context["letters_addresses"] = _email_addresses(case)
    return context


urlpatterns = [
    path("letters/", letter_template_list, name="letter-template-list"),
    path("letters/new/", letter_template_create, name="letter-template-create"),
    path("letters/<int:letter_template_id>/", letter_template_edit, name="letter-template-edit"),
    path("<int:case_id>/letters/new/", case_letter_create, name="case-letter-create"),
    path("<int:case_id>/letters/<int:letter_id>/", case_letter_detail, name="case-letter-detail"),
    path(
        "<int:case_id>/letters/<int:letter_id>/print/",
        case_letter_print,
        name="case-letter-print",
    ),
    path("<int:case_id>/letters/<int:letter_id>/docx/", case_letter_docx, name="case-letter-docx"),
    path("<int:case_id>/email/", case_email, name="case-email"),
]
