"""Pages of the constituents app: the people list, the person page and its quick actions, the
person form, households and the organization directory. Thin doors: reads go through
queries.py (and pages.py for what a page shows), writes through services.py."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from civicdesk.core.access import get_for_member, require_member
from civicdesk.core.errors import DomainError
from civicdesk.core.htmx import partial_or_page

from . import pages, panels, queries, services
from .forms import (
    CONTACT_KINDS,
    CUSTOM_PREFIX,
    OUTCOME_SUGGESTIONS,
    PRONOUN_SUGGESTIONS,
    AddressPositionForm,
    BulkTagForm,
    ConsentForm,
    CustomFieldEditForm,
    CustomFieldForm,
    ExternalIdForm,
    HouseholdForm,
    HouseholdMemberForm,
    InteractionForm,
    OrganizationFilterForm,
    OrganizationForm,
    PersonFilterForm,
    PersonForm,
    PersonTagsForm,
    PositionForm,
    RelationshipForm,
    contact_formsets,
)
from .models import CustomField, CustomFieldType, Household, Person
from .validation import format_phone, normalize_phone

PAGE_SIZE = 50
TIMELINE_SIZE = 20


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.boosted


def _person(request: HttpRequest, person_id: int, need: str) -> Person:
    """The office's person for an action on the person page (no "viewed" event: the page that
    shows the action recorded it)."""
    return get_for_member(request.member, Person.objects.all(), person_id, need=need)


def _back_to(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


# ---------------------------------------------------------------- the people list


@require_member("person.view")
def person_list(request: HttpRequest) -> HttpResponse:
    member = request.member
    district_groups = pages.district_choices(member.office)
    form = PersonFilterForm(
        request.GET or None,
        member=member,
        district_choices=district_groups,
        flag_choices=pages.flag_choices(member),
    )
    values = form.cleaned_or_default()
    order = values.get("order") or "name"
    try:
        page = queries.person_list(
            member.office,
            filter=pages.person_filter(values),
            order=order,
            after=values.get("after") or None,
            limit=PAGE_SIZE,
        )
    except queries.BadCursor:  # a stale or hand-made link: start from the top
        page = queries.person_list(
            member.office, filter=pages.person_filter(values), order=order, limit=PAGE_SIZE
        )
    people = pages.list_rows(page.items, member)
    template = "constituents/person_list.html"
    if _is_htmx(request):
        template += "#person-page" if values.get("after") else "#person-rows"
    context = {
        "form": form,
        "values": values,
        "district_groups": district_groups,
        "people": people,
        "page": page,
        "order": order,
        "sorts": pages.sort_links(request.GET, order),
        "next_url": pages.next_page_url(request.GET, page.next_cursor),
        "first_page_url": pages.first_page_url(request.GET),
        "is_filtered": pages.is_filtered(values),
        "bulk_form": BulkTagForm(member=member),
        "here": request.get_full_path(),
    }
    return render(request, template, context)


@require_POST
@require_member("person.bulk_tag")
def person_bulk_tag(request: HttpRequest) -> HttpResponse:
    member = request.member
    back = _back_to(request, reverse("constituents:person-list"))
    form = BulkTagForm(request.POST, member=member)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    person_ids = form.cleaned_data["person_ids"]
    tags = list(form.cleaned_data["tags"])
    tag_ids = [tag.pk for tag in tags]
    try:
        if form.cleaned_data["action"] == "tag":
            services.tag_people(member.office, person_ids=person_ids, tag_ids=tag_ids, by=member)
            text = ngettext(
                "Tagged %(n)s person with %(tags)s.",
                "Tagged %(n)s people with %(tags)s.",
                len(person_ids),
            )
        else:
            services.untag_people(member.office, person_ids=person_ids, tag_ids=tag_ids, by=member)
            text = ngettext(
                "Removed %(tags)s from %(n)s person.",
                "Removed %(tags)s from %(n)s people.",
                len(person_ids),
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        names = ", ".join(f"“{tag.name}”" for tag in tags)
        messages.success(request, text % {"n": len(person_ids), "tags": names})
    return redirect(back)


# ---------------------------------------------------------------- the person page


@require_member("person.view")
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    member = request.member
    person = queries.get_person(member, person_id)
    context = pages.person_page(member, person, timeline_size=TIMELINE_SIZE)
    context["interaction_form"] = InteractionForm()
    context["panels"] = panels.person_panels(member, person)
    if member.can("person.edit"):
        context.update(
            tags_form=PersonTagsForm(member=member),
            consent_form=ConsentForm(),
            external_id_form=ExternalIdForm(),
            position_form=PositionForm(member=member),
            relationship_form=RelationshipForm(member=member, person=person),
        )
    return render(request, "constituents/person_detail.html", context)


@require_GET
@require_member("person.view")
def person_timeline(request: HttpRequest, person_id: int) -> HttpResponse:
    """Older timeline entries, for the "Show older" button (an htmx swap)."""
    person = _person(request, person_id, "person.view")
    timeline = pages.timeline(person, before=request.GET.get("before") or None, size=TIMELINE_SIZE)
    context = {"person": person, "timeline": timeline}
    return render(request, "constituents/person_detail.html#timeline-page", context)


@require_POST
@require_member("interaction.log")
def interaction_log(request: HttpRequest, person_id: int) -> HttpResponse:
    """The quick "log a call / walk-in" form: with htmx, answers the new timeline entry (and a
    fresh form out of band); on an error, the form again with its messages."""
    member = request.member
    person = _person(request, person_id, "interaction.log")
    form = InteractionForm(request.POST)
    page_url = reverse("constituents:person-detail", args=[person.pk])
    interaction = None
    if form.is_valid():
        try:
            interaction = services.log_interaction(person, by=member, **form.cleaned_data)
        except ValidationError as exc:
            _service_errors(form, exc)
    if interaction is None:
        if _is_htmx(request):
            response = render(
                request,
                "constituents/person_detail.html#interaction-form",
                {
                    "person": person,
                    "interaction_form": form,
                    "outcome_suggestions": OUTCOME_SUGGESTIONS,
                },
            )
            return reswap(retarget(response, "#interaction-form"), "outerHTML")
        messages.error(request, _("The interaction was not logged: check the form."))
        return redirect(page_url)
    if not _is_htmx(request):
        messages.success(request, _("Logged."))
        return redirect(page_url)
    context = {
        "person": person,
        "entry": pages.timeline_entry(interaction),
        "interaction_form": InteractionForm(),
        "fresh_form": True,
        "outcome_suggestions": OUTCOME_SUGGESTIONS,
    }
    return render(request, "constituents/person_detail.html#interaction-logged", context)


@require_POST
@require_member("person.edit")
def person_tags(request: HttpRequest, person_id: int) -> HttpResponse:
    """Add tags to a person (the picker on the person page), or remove one (`remove=<tag id>`)."""
    member = request.member
    person = _person(request, person_id, "person.edit")
    if not member.can("tag.apply"):
        return render(request, "403.html", status=403)
    remove = request.POST.get("remove")
    form = PersonTagsForm(None if remove else request.POST, member=member)
    try:
        if remove:
            if not remove.isdigit():
                return HttpResponseBadRequest()
            services.untag_people(
                member.office, person_ids=[person.pk], tag_ids=[int(remove)], by=member
            )
        elif form.is_valid():
            tag_ids = [tag.pk for tag in form.cleaned_data["tags"]]
            services.tag_people(member.office, person_ids=[person.pk], tag_ids=tag_ids, by=member)
            form = PersonTagsForm(member=member)
    except DomainError as exc:
        form.add_error(None, exc.message)
    if not _is_htmx(request):
        for error in form.errors.get("tags", []) + form.non_field_errors():
            messages.error(request, error)
        return redirect("constituents:person-detail", person_id=person.pk)
    context = {"person": person, "tags": pages.person_tags(person), "tags_form": form}
    return render(request, "constituents/person_detail.html#person-tags", context)


@require_POST
@require_member("person.edit")
def address_position(request: HttpRequest, address_id: int) -> HttpResponse:
    """Correct the pin of an address (dragged on the person page's map)."""
    member = request.member
    address = queries.get_address(member, address_id, need="person.edit")
    form = AddressPositionForm(request.POST)
    if not form.is_valid():
        if _is_htmx(request):
            return HttpResponseBadRequest(_("The position is not valid."))
        messages.error(request, _("The position is not valid."))
        return redirect("constituents:person-detail", person_id=address.person_id)
    services.set_address_position(address, by=member, **form.cleaned_data)
    if not _is_htmx(request):
        messages.success(request, _("Pin moved; the districts were worked out again."))
        return redirect("constituents:person-detail", person_id=address.person_id)
    address = queries.address_with_districts(address)
    context = {
        "person": address.person,
        "address": pages.address_cards(member, [address])[0],
        "pin_saved": True,
    }
    return render(request, "constituents/person_detail.html#address-card", context)


def _small_form_action(request, person_id, form_class, action, success, form_kwargs=None):
    """A POST from one of the small "add" forms of the person page: run the service, then back
    to the page (the form's errors as a message: the forms are short)."""
    member = request.member
    person = _person(request, person_id, "person.edit")
    form = form_class(request.POST, **(form_kwargs(person) if form_kwargs else {}))
    if form.is_valid():
        try:
            action(member, person, form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(request, success)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
    return redirect(reverse("constituents:person-detail", args=[person.pk]) + "#more")


@require_POST
@require_member("person.edit")
def person_consent(request: HttpRequest, person_id: int) -> HttpResponse:
    def action(member, person, data):
        services.set_consent(person, by=member, **data)

    return _small_form_action(request, person_id, ConsentForm, action, _("Consent recorded."))


@require_POST
@require_member("person.edit")
def person_external_id(request: HttpRequest, person_id: int) -> HttpResponse:
    def action(member, person, data):
        services.add_external_id(person, by=member, system=data["system"], value=data["value"])

    return _small_form_action(request, person_id, ExternalIdForm, action, _("ID added."))


@require_POST
@require_member("person.edit")
def person_position(request: HttpRequest, person_id: int) -> HttpResponse:
    def action(member, person, data):
        services.add_position(
            person,
            by=member,
            stance=data["stance"],
            tag_id=data["tag_id"],
            bill_number=data["bill_number"].strip(),
            noted_on=data["noted_on"],
            source=data["source"],
        )

    return _small_form_action(
        request,
        person_id,
        PositionForm,
        action,
        _("Position noted."),
        form_kwargs=lambda person: {"member": request.member},
    )


@require_POST
@require_member("person.edit")
def person_relationship(request: HttpRequest, person_id: int) -> HttpResponse:
    """Add a relationship to a person or an organization, or remove one (`remove=<id>`)."""
    member = request.member
    remove = request.POST.get("remove")
    if remove:
        person = _person(request, person_id, "person.edit")
        relationship = person.relationships.filter(pk=remove if remove.isdigit() else 0).first()
        if relationship is None:
            return HttpResponseBadRequest()
        services.remove_relationship(relationship, by=member)
        messages.success(request, _("Relationship removed."))
        return redirect(reverse("constituents:person-detail", args=[person.pk]) + "#more")

    def action(member, person, data):
        services.add_relationship(
            person,
            by=member,
            kind=data["kind"].strip(),
            other_person=data["other_person"] or None,
            organization=data["organization"] or None,
            title=data["title"].strip(),
        )

    return _small_form_action(
        request,
        person_id,
        RelationshipForm,
        action,
        _("Relationship added."),
        form_kwargs=lambda person: {"member": member, "person": person},
    )


@require_POST
@require_member("person.delete")
def person_delete(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _person(request, person_id, "person.delete")
    if request.POST.get("confirm") != "delete":  # the button's form says so; nothing else does
        return HttpResponseBadRequest(_("Confirm the deletion with the Delete button."))
    name = person.display_name
    services.delete_person(person, by=request.member)
    messages.success(request, _("%(name)s was deleted.") % {"name": name})
    return redirect("constituents:person-list")


@require_GET
@require_member("person.view")
def person_search(request: HttpRequest) -> HttpResponse:
    """Type-ahead results for choosing people (household members, a related person)."""
    text = request.GET.get("q", "")[:100].strip()
    field = request.GET.get("field", "member_ids")
    if field not in {"member_ids", "other_person", "person_id"}:
        return HttpResponseBadRequest()
    exclude = {int(v) for v in request.GET.getlist("exclude") if v.isdigit()}
    hits = queries.search_people(request.member.office, text, limit=8) if len(text) >= 2 else []
    context = {
        "hits": [hit for hit in hits if hit.person.pk not in exclude],
        "field": field,
        "multiple": field == "member_ids",
        "q": text,
    }
    return render(request, "constituents/_person_choices.html", context)


# ---------------------------------------------------------------- create and edit


@require_member("person.edit")
def person_create(request: HttpRequest) -> HttpResponse:
    member = request.member
    form = PersonForm(request.POST or None, member=member)
    formsets = contact_formsets(request.POST or None)
    if request.method == "POST" and _all_valid(form, formsets):
        # Before adding, the people who look alike (panels.DUPLICATE_CHECKS), unless the
        # person confirmed with "Create anyway".
        if not request.POST.get("confirm_new"):
            similar = panels.similar_people(member.office, _draft(form, formsets))
            if similar:
                return _person_form_page(request, form, formsets, person=None, similar=similar)
        try:
            person = services.create_person(
                member.office,
                by=member,
                fields=form.person_fields(),
                emails=formsets["email"].inputs(),
                phones=formsets["phone"].inputs(),
                addresses=formsets["address"].inputs(),
                tag_ids=form.tag_ids(),
            )
        except ValidationError as exc:
            _service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": person.display_name})
            return redirect("constituents:person-detail", person_id=person.pk)
    return _person_form_page(request, form, formsets, person=None)


@require_member("person.edit")
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    """Edit a person. The form carries the version it was opened on: when someone else saved
    in between, the page says who and when, and keeps everything typed for a second save."""
    member = request.member
    person = queries.get_person(member, person_id, need="person.edit")
    data = request.POST.copy() if request.method == "POST" else None
    form = PersonForm(data, member=member, person=person)
    formsets = contact_formsets(data, person=person)
    conflict = None
    if request.method == "POST" and _all_valid(form, formsets):
        try:
            with transaction.atomic():
                services.update_person(
                    person,
                    by=member,
                    version=form.cleaned_data["version"] or 0,
                    fields=form.person_fields(),
                    emails=formsets["email"].inputs(),
                    phones=formsets["phone"].inputs(),
                    addresses=formsets["address"].inputs(),
                )
                added, removed = form.tag_changes()
                office, ids = member.office, [person.pk]
                if added:
                    services.tag_people(office, person_ids=ids, tag_ids=added, by=member)
                if removed:
                    services.untag_people(office, person_ids=ids, tag_ids=removed, by=member)
        except services.EditConflict as exc:
            opened_version = form.cleaned_data["version"] or 0
            stored = Person.objects.select_related("office").get(pk=person.pk)
            data["version"] = str(stored.version)
            form = PersonForm(data, member=member, person=stored)
            formsets = contact_formsets(data, person=stored)
            _all_valid(form, formsets)
            conflict = pages.conflict_notice(exc, stored, form, opened_version=opened_version)
        except ValidationError as exc:
            _service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("constituents:person-detail", person_id=person.pk)
    return _person_form_page(request, form, formsets, person=person, conflict=conflict)


def _service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (custom fields come keyed
    "custom.<key>"); what matches no field goes on top of the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        name = key.replace("custom.", CUSTOM_PREFIX, 1) if key.startswith("custom.") else key
        form.add_error(name if name in form.fields else None, errors)


def _all_valid(form, formsets: dict) -> bool:
    results = [form.is_valid(), *(fs.is_valid() for fs in formsets.values())]
    return all(results)


def _draft(form, formsets: dict) -> dict:
    """The person about to be created, as the duplicate checks compare it."""
    fields = form.person_fields()
    phones = []
    for item in formsets["phone"].inputs():
        try:
            phones.append(normalize_phone(item.number))
        except ValidationError:
            continue
    names = ("first_name", "middle_name", "last_name", "preferred_name", "birth_date",
             "birth_year", "gender")  # fmt: skip
    return {
        **{name: fields.get(name) for name in names},
        "emails": [item.email for item in formsets["email"].inputs()],
        "phones": phones,
        "addresses": [(a.line1, a.city, a.postcode) for a in formsets["address"].inputs()],
    }


def _person_form_page(
    request, form, formsets, *, person, conflict=None, similar=None
) -> HttpResponse:
    # 200 even with errors: a 4xx document makes browsers log a console error for a normal
    # "fix the form" moment.
    context = {
        "pronoun_suggestions": PRONOUN_SUGGESTIONS,
        "form": form,
        "formsets": formsets,
        "person": person,
        "conflict": conflict,
        "similar": similar,
        "has_errors": request.method == "POST" and not similar,
    }
    return render(request, "constituents/person_form.html", context)


@require_GET
@require_member("person.edit")
def contact_row(request: HttpRequest) -> HttpResponse:
    """One empty row of a contact formset ("Add another email"), with the formset's form count
    bumped out of band."""
    kind = request.GET.get("kind", "")
    if kind not in CONTACT_KINDS:
        return HttpResponseBadRequest(_("Unknown kind of row."))
    formset_class, prefix = CONTACT_KINDS[kind]
    try:
        index = max(0, int(request.GET.get(f"{prefix}-TOTAL_FORMS", "0")))
    except ValueError:
        index = 0
    index = min(index, 50)  # a person with more than fifty phone numbers is a typo
    formset = formset_class(prefix=prefix, initial=[{}] * (index + 1))
    row = formset.forms[index]
    context = {"row": row, "formset": formset, "kind": kind, "total": index + 1, "is_new": True}
    return render(request, "constituents/person_form.html#contact-row-added", context)


# ---------------------------------------------------------------- households


@require_member("person.view")
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    member = request.member
    household = queries.get_household(member, household_id)
    if request.method == "POST":
        return _household_change(request, household)
    context = {
        "household": household,
        "members": pages.household_members(household),
        "form": HouseholdForm(
            initial={"name": household.name, "joint_salutation": household.joint_salutation},
            member=member,
        ),
    }
    return render(request, "constituents/household_detail.html", context)


def _household_change(request: HttpRequest, household: Household) -> HttpResponse:
    member = request.member
    if not member.can("household.edit"):
        return render(request, "403.html", status=403)
    form = HouseholdMemberForm(request.POST)
    action = request.POST.get("action")
    if action not in {"add", "remove"} or not form.is_valid():
        messages.error(request, _("Choose a person first."))
        return redirect("constituents:household-detail", household_id=household.pk)
    person = Person.objects.for_office(member.office).filter(pk=form.cleaned_data["person_id"])
    person = person.first()
    if person is None:
        messages.error(request, _("That person is not in this office's records."))
    elif action == "add":
        services.add_to_household(household, by=member, person=person)
        messages.success(request, _("%(name)s joined the household.") % {"name": person})
    elif person.household_id == household.pk:
        services.remove_from_household(person, by=member)
        messages.success(request, _("%(name)s left the household.") % {"name": person})
    return redirect("constituents:household-detail", household_id=household.pk)


@require_POST
@require_member("household.edit")
def household_edit(request: HttpRequest, household_id: int) -> HttpResponse:
    """Rename the household or change how letters to it begin."""
    member = request.member
    household = queries.get_household(member, household_id, need="household.edit")
    form = HouseholdForm(request.POST, member=member)
    if form.is_valid():
        fields = {k: form.cleaned_data[k] for k in ("name", "joint_salutation")}
        try:
            services.update_household(household, by=member, fields=fields)
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(request, _("Changes saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("constituents:household-detail", household_id=household.pk)


@require_POST
@require_member("household.edit")
def household_delete(request: HttpRequest, household_id: int) -> HttpResponse:
    """Dissolve the household: its members keep their records, no longer grouped."""
    member = request.member
    household = queries.get_household(member, household_id, need="household.edit")
    name = household.name
    services.delete_household(household, by=member)
    messages.success(
        request,
        _("The household “%(name)s” was dissolved; its members keep their records.")
        % {"name": name},
    )
    return redirect("constituents:person-list")


@require_member("household.edit")
def household_create(request: HttpRequest, person_id: int) -> HttpResponse:
    """Start a household with a person (and, optionally, the people who live with them)."""
    member = request.member
    person = _person(request, person_id, "household.edit")
    if person.household_id:
        messages.info(request, _("%(name)s already belongs to a household.") % {"name": person})
        return redirect("constituents:household-detail", household_id=person.household_id)
    initial = pages.household_defaults(person)
    form = HouseholdForm(request.POST or None, initial=initial, member=member)
    if request.method == "POST" and form.is_valid():
        ids = [person.pk, *(i for i in form.cleaned_data["member_ids"] if i != person.pk)]
        try:
            household = services.create_household(
                member.office,
                by=member,
                name=form.cleaned_data["name"],
                joint_salutation=form.cleaned_data["joint_salutation"],
                member_ids=ids,
            )
        except ValidationError as exc:
            _service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Household “%(name)s” started.") % {"name": household})
            return redirect("constituents:household-detail", household_id=household.pk)
    chosen = pages.chosen_people(member, form["member_ids"].value() or [])
    context = {"person": person, "form": form, "chosen": chosen}
    return render(request, "constituents/household_form.html", context)


# ---------------------------------------------------------------- organizations


@require_member("organization.view")
def organization_list(request: HttpRequest) -> HttpResponse:
    form = OrganizationFilterForm(request.GET or None)
    form.is_valid()
    values = getattr(form, "cleaned_data", {})
    organizations = queries.organization_list(
        request.member.office, kind=values.get("kind") or None, text=values.get("q") or ""
    )
    template = partial_or_page(request, "constituents/organization_list.html", "organization-rows")
    context = {
        "form": form,
        "organizations": pages.with_phone_display(organizations),
        "is_filtered": bool(values.get("kind") or values.get("q")),
    }
    return render(request, template, context)


@require_member("organization.view")
def organization_detail(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = queries.get_organization(request.member, organization_id)
    pages.with_phone_display([organization])
    context = {"organization": organization, "contacts": pages.organization_contacts(organization)}
    return render(request, "constituents/organization_detail.html", context)


@require_member("organization.edit")
def organization_create(request: HttpRequest) -> HttpResponse:
    member = request.member
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.create_organization(
                member.office, by=member, fields=form.cleaned_data
            )
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": organization})
            return redirect("constituents:organization-detail", organization_id=organization.pk)
    return render(request, "constituents/organization_form.html", {"form": form})


@require_member("organization.edit")
def organization_edit(request: HttpRequest, organization_id: int) -> HttpResponse:
    member = request.member
    organization = queries.get_organization(member, organization_id, need="organization.edit")
    initial = {name: getattr(organization, name) for name in OrganizationForm.base_fields}
    initial["phone"] = format_phone(organization.phone) if organization.phone else ""
    form = OrganizationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(organization, by=member, fields=form.cleaned_data)
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("constituents:organization-detail", organization_id=organization.pk)
    context = {"form": form, "organization": organization}
    return render(request, "constituents/organization_form.html", context)


@require_POST
@require_member("organization.edit")
def organization_delete(request: HttpRequest, organization_id: int) -> HttpResponse:
    member = request.member
    organization = queries.get_organization(member, organization_id, need="organization.edit")
    name = organization.name
    services.delete_organization(organization, by=member)
    messages.success(request, _("%(name)s was deleted.") % {"name": name})
    return redirect("constituents:organization-list")


# ---------------------------------------------------------------- custom fields


def _custom_field_rows(member) -> list[dict]:
    fields = CustomField.objects.for_office(member.office).order_by("position", "label")
    choice_types = (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE)
    return [
        {
            "field": field,
            "has_choices": field.field_type in choice_types,
            "form": CustomFieldEditForm(
                initial={"label": field.label, "choices": "\n".join(field.choices)},
                auto_id=f"field-{field.pk}-%s",
            ),
        }
        for field in fields
    ]


@require_member("customfield.manage")
def custom_field_list(request: HttpRequest) -> HttpResponse:
    """The office's custom fields, with a form to add one."""
    member = request.member
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            field = services.define_custom_field(
                member.office,
                by=member,
                key=form.cleaned_data["key"],
                label=form.cleaned_data["label"],
                field_type=form.cleaned_data["field_type"],
                choices=form.cleaned_data["choices"],
            )
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("The field “%(label)s” was added.") % {"label": field})
            return redirect("constituents:custom-field-list")
    context = {"form": form, "rows": _custom_field_rows(member)}
    return render(request, "constituents/custom_field_list.html", context)


@require_POST
@require_member("customfield.manage")
def custom_field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    """Change a field's label and choices, or deactivate / reactivate it (`active=0|1`)."""
    member = request.member
    field = get_for_member(member, CustomField.objects.all(), field_id, need="customfield.manage")
    active = request.POST.get("active")
    try:
        if active in {"0", "1"}:
            services.update_custom_field(field, by=member, is_active=active == "1")
            text = (
                _("“%(label)s” is back on the person form.")
                if active == "1"
                else _("“%(label)s” is no longer on the person form; its values are kept.")
            )
            messages.success(request, text % {"label": field.label})
        else:
            form = CustomFieldEditForm(request.POST)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            choice_types = (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE)
            changes = {"label": form.cleaned_data["label"]}
            if field.field_type in choice_types:
                changes["choices"] = form.cleaned_data["choices"]
            services.update_custom_field(field, by=member, **changes)
            messages.success(request, _("Changes saved."))
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("constituents:custom-field-list") + f"#field-{field.pk}")
