"""Forms of the case's records panel: upload a document, record a privacy release, make a status
link. They only read what was typed; the services decide what is allowed and say why not
(`show_refusal` puts their message beside the field it is about)."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.constituents.models import Organization, OrganizationKind, Person
from civicdesk.core.errors import DomainError
from civicdesk.core.forms import StyledFormMixin

from .documents import ACCEPT_ATTRIBUTE
from .models import Case, ReleaseMethod
from .queries import case_people
from .services.links import MAX_DAYS

RELEASE_DAYS = 365  # a release form usually runs a year


class StyledForm(StyledFormMixin, forms.Form):
    # Ids unique on the case page, which holds other forms with fields named alike.
    id_prefix = "records"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)

    def show_refusal(self, exc: DomainError) -> None:
        """The service's message, beside the field it names (details["field"]) if the form
        has it, else at the top of the form."""
        field = exc.details.get("field") if isinstance(exc.details, dict) else None
        self.add_error(field if field in self.fields else None, exc.message)


def _file_field(label: str, *, required: bool) -> forms.FileField:
    # Empty files pass the form: the service refuses them with the same message as the API.
    return forms.FileField(
        label=label,
        required=required,
        allow_empty_file=True,
        error_messages={"required": _("Choose a file to upload.")},
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )


class _PersonChoice:
    """A "who" select over the case's people, shown only on a family's case."""

    def add_person_field(self, case: Case, label: str) -> None:
        self.people = {str(p.pk): p for p in case_people(case)}
        if len(self.people) > 1:
            self.fields["person"] = forms.ChoiceField(
                label=label,
                choices=[(pk, p.display_name) for pk, p in self.people.items()],
                initial=str(case.primary_person_id),
                widget=forms.Select(attrs={"class": "form-select"}),
            )

    def chosen_person(self) -> Person | None:
        return self.people.get(self.cleaned_data.get("person") or "")


class DocumentForm(StyledForm):
    id_prefix = "document"
    file = _file_field(_("File"), required=True)


class ReleaseForm(_PersonChoice, StyledForm):
    id_prefix = "release"
    method = forms.ChoiceField(
        label=_("How it was signed"),
        choices=ReleaseMethod.choices,
        initial=ReleaseMethod.UPLOAD,
        widget=forms.RadioSelect,
    )
    file = _file_field(_("The signed form"), required=False)
    signed_name = forms.CharField(
        label=_("Name as signed"),
        max_length=200,
        required=False,
        help_text=_("For a typed e-signature: the full name the constituent typed."),
    )
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        help_text=_("Leave empty if the release does not expire."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    agency = forms.ChoiceField(label=_("Agency it covers"), required=False)

    def __init__(self, *args, case: Case, **kwargs):
        today = timezone.localdate()
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("signed_on", today)
        kwargs["initial"].setdefault("expires_on", today + dt.timedelta(days=RELEASE_DAYS))
        kwargs["initial"].setdefault("agency", str(case.agency_id or ""))
        super().__init__(*args, **kwargs)
        agencies = Organization.objects.for_office(case.office_id).filter(is_active=True)
        if case.agency_id:
            agencies = agencies.filter(kind=OrganizationKind.AGENCY) | agencies.filter(
                pk=case.agency_id
            )
        else:
            agencies = agencies.filter(kind=OrganizationKind.AGENCY)
        self.agencies = {str(o.pk): o for o in agencies.order_by("name")}
        self.fields["agency"].choices = [("", _("Any agency of the case"))] + [
            (pk, o.name) for pk, o in self.agencies.items()
        ]
        self.add_person_field(case, _("Signed by"))

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "method": data["method"],
            "signed_on": data["signed_on"],
            "expires_on": data.get("expires_on"),
            "signed_name": data.get("signed_name") or "",
            "agency": self.agencies.get(data.get("agency") or ""),
            "person": self.chosen_person(),
            "upload": data.get("file") or None,
        }


class StatusLinkForm(_PersonChoice, StyledForm):
    id_prefix = "link"
    days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=MAX_DAYS, initial=30
    )
    send_email = forms.BooleanField(label=_("Email the link to them"), required=False, initial=True)

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_person_field(case, _("For"))

    def service_arguments(self) -> dict:
        return {
            "days": self.cleaned_data["days"],
            "send_email": self.cleaned_data["send_email"],
            "person": self.chosen_person(),
        }
