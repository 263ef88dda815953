"""Forms of the case pages: open, edit, filter, change status, log and plan actions, assign.
Choices are scoped to the member's office when the form is made."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.constituents.models import Organization, OrganizationKind, Person
from civicdesk.core.forms import StyledFormMixin
from civicdesk.tags.forms import TagChoiceField

from . import queries
from .models import (
    LOGGABLE_KINDS,
    ActionKind,
    CasePriority,
    CaseStatus,
    Team,
)


class StyledForm(StyledFormMixin, forms.Form):
    pass


def _tag_field(member, *, keep=()) -> TagChoiceField:
    field = TagChoiceField(label=_("Tags"), required=False)
    field.bind(member, keep=keep)
    return field


def _member_choices(office, *, blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(str(m.pk), m.user.display_name) for m in queries.caseworkers(office)]


def _team_choices(office, *, blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(str(pk), name) for pk, name in queries.team_names(office)]


def _agency_choices(office) -> list[tuple[str, str]]:
    """Agencies first, then the rest of the directory."""
    organizations = Organization.objects.for_office(office).filter(is_active=True)
    agencies = [(str(o.pk), o.name) for o in organizations.filter(kind=OrganizationKind.AGENCY)]
    others = [
        (str(o.pk), o.name)
        for o in organizations.exclude(kind=OrganizationKind.AGENCY).order_by("name")
    ]
    choices: list = [("", _("No agency yet"))]
    if agencies:
        choices.append((_("Agencies"), sorted(agencies, key=lambda c: c[1].lower())))
    if others:
        choices.append((_("Other organizations"), others))
    return choices


class _OfficeChoices:
    """Turns the posted ids of the office-scoped selects back into objects (or None)."""

    office = None

    def _member(self, value):
        if not value:
            return None
        return next((m for m in queries.caseworkers(self.office) if str(m.pk) == value), None)

    def _team(self, value):
        return Team.objects.for_office(self.office).filter(pk=value).first() if value else None

    def _agency(self, value):
        if not value:
            return None
        return Organization.objects.for_office(self.office).filter(pk=value).first()


class CaseOpenForm(_OfficeChoices, StyledForm):
    """Open a case for a person (and members of their household)."""

    case_type = forms.ChoiceField(label=_("Type of case"))
    template = forms.ChoiceField(label=_("Template"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("What the constituent needs"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=CasePriority.choices, coerce=int,
        initial=CasePriority.NORMAL,
    )  # fmt: skip
    due_on = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    team = forms.ChoiceField(label=_("Team queue"), required=False)
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    family = forms.MultipleChoiceField(
        label=_("Also for"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, member, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.office = member.office
        self.person = person
        types = list(queries.case_types(member.office, active_only=True))
        self.fields["case_type"].choices = [("", _("Choose…"))] + [
            (str(t.pk), t.name) for t in types
        ]
        self.type_flags = {str(t.pk): t for t in types}
        self.fields["template"].choices = [("", _("No template"))] + [
            (str(t.pk), f"{t.case_type.name}: {t.name}")
            for t in queries.templates_for(member.office)
            if t.is_active and t.case_type.is_active
        ]
        self.fields["assignee"].choices = _member_choices(member.office, blank=_("Nobody yet"))
        self.fields["team"].choices = _team_choices(member.office, blank=_("No team"))
        self.fields["agency"].choices = _agency_choices(member.office)
        household = []
        if person.household_id:
            household = person.household.members.exclude(pk=person.pk).order_by("sort_name")
        self.fields["family"].choices = [(str(p.pk), p.display_name) for p in household]
        if not household:
            del self.fields["family"]
        self.fields["tags"] = _tag_field(member)
        if member.can("case.edit") and not self.is_bound:
            self.initial.setdefault("assignee", str(member.pk))

    def clean_template(self):
        value = self.cleaned_data.get("template")
        if not value:
            return None
        return next(t for t in queries.templates_for(self.office) if str(t.pk) == value)

    def clean(self):
        data = super().clean()
        template = data.get("template")
        if template is not None and str(template.case_type_id) != data.get("case_type"):
            self.add_error(
                "template",
                _("That template is for “%(type)s” cases.") % {"type": template.case_type.name},
            )
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        family_ids = {int(pk) for pk in data.get("family") or []}
        return {
            "case_type": self.type_flags[data["case_type"]],
            "template": data["template"],
            "subject": data["subject"],
            "description": data["description"],
            "priority": data["priority"],
            "due_on": data["due_on"],
            "assignee": self._member(data["assignee"]),
            "team": self._team(data["team"]),
            "agency": self._agency(data["agency"]),
            "family": list(Person.objects.for_office(self.office).filter(pk__in=family_ids)),
            "tag_ids": [tag.pk for tag in data["tags"]],
        }


class CaseEditForm(_OfficeChoices, StyledForm):
    """Edit what a case is about. `version` is the case's version when the form was opened."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    priority = forms.TypedChoiceField(label=_("Priority"), choices=CasePriority.choices, coerce=int)
    due_on = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    agency_contact = forms.ChoiceField(label=_("Agency contact"), required=False)
    agency_reference = forms.CharField(
        label=_("Agency's reference"), max_length=100, required=False
    )
    is_sensitive = forms.BooleanField(
        label=_("Sensitive: only the assignee and managers see this case"), required=False
    )

    def __init__(self, *args, member, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.office = member.office
        self.fields["agency"].choices = _agency_choices(member.office)
        contacts = Person.objects.for_office(member.office).filter(
            relationships__organization_id=case.agency_id
        ) if case.agency_id else Person.objects.none()  # fmt: skip
        self.contacts = {str(p.pk): p for p in contacts}
        self.fields["agency_contact"].choices = [("", _("Nobody in particular"))] + [
            (pk, p.display_name) for pk, p in self.contacts.items()
        ]
        if not member.can("case.view_sensitive"):
            del self.fields["is_sensitive"]
        self.fields["tags"] = _tag_field(member, keep=case.tags.all())

    @classmethod
    def initial_for(cls, case) -> dict:
        return {
            "version": case.version, "subject": case.subject, "description": case.description,
            "priority": case.priority, "due_on": case.due_on,
            "agency": str(case.agency_id or ""), "agency_contact": str(case.agency_contact_id or ""),
            "agency_reference": case.agency_reference, "is_sensitive": case.is_sensitive,
            "tags": list(case.tags.all()),
        }  # fmt: skip

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in ("subject", "description", "priority", "due_on", "agency_reference")
        }
        fields["agency"] = self._agency(data["agency"])
        fields["agency_contact"] = self.contacts.get(data["agency_contact"] or "")
        if "is_sensitive" in self.fields:
            fields["is_sensitive"] = data["is_sensitive"]
        return fields


class CaseFilterForm(StyledForm):
    """The case list's filters (GET). Unknown values fall back to "any"."""

    queue = forms.ChoiceField(required=False, choices=[(q, q) for q in queries.QUEUES])
    q = forms.CharField(label=_("Reference, subject or constituent"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    case_type = forms.TypedChoiceField(label=_("Type"), required=False, coerce=int,
                                       empty_value=None)  # fmt: skip
    assignee = forms.TypedChoiceField(label=_("Assigned to"), required=False, coerce=int,
                                      empty_value=None)  # fmt: skip
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int,
                                      empty_value=None)  # fmt: skip
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        office = member.office
        self.fields["status"].choices = [("", _("Any status")), ("open", _("Any open status"))] + [
            (value, label) for value, label in CaseStatus.choices
        ]
        self.fields["case_type"].choices = [("", _("Any type"))] + [
            (t.pk, t.name) for t in queries.case_types(office)
        ]
        self.fields["assignee"].choices = [("", _("Anyone"))] + [
            (m.pk, m.user.display_name) for m in queries.caseworkers(office)
        ]
        self.fields["team"].choices = [("", _("Any team"))] + list(queries.team_names(office))
        self.fields["priority"].choices = [("", _("Any priority"))] + list(CasePriority.choices)

    def values(self) -> dict:
        """The cleaned filters; a field with a bad value counts as not given."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}

    def case_filter(self) -> queries.CaseFilter:
        v = self.values()
        return queries.CaseFilter(
            queue=v.get("queue") or "all", status=v.get("status") or "",
            case_type_id=v.get("case_type"), assignee_id=v.get("assignee"),
            team_id=v.get("team"), priority=v.get("priority"), text=v.get("q") or "",
        )  # fmt: skip


class StatusForm(StyledForm):
    # Any value is passed on: the service refuses an illegal change and says why.
    status = forms.CharField(label=_("New status"), widget=forms.Select)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    resolution = forms.CharField(
        label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to resolve or close: what was achieved for the constituent."),
    )  # fmt: skip
    is_public = forms.BooleanField(
        label=_("Show this update to the constituent"), required=False, initial=True
    )

    def __init__(self, *args, case, allowed: list[str], **kwargs):
        kwargs.setdefault("auto_id", "status_%s")
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.choices = [(s, CaseStatus(s).label) for s in allowed]


class ActionLogForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("What"), choices=[(k, ActionKind(k).label) for k in LOGGABLE_KINDS]
    )
    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    subject = forms.CharField(label=_("Summary"), max_length=200)
    body = forms.CharField(label=_("Details"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    is_public = forms.BooleanField(label=_("Show to the constituent"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "log_%s")
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault(
            "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)

    def clean_occurred_at(self):
        when = self.cleaned_data["occurred_at"]
        if when > timezone.now() + timedelta(minutes=5):
            raise ValidationError(_("This is in the future: plan it as a to-do instead."))
        return when


class ActionPlanForm(_OfficeChoices, StyledForm):
    subject = forms.CharField(label=_("To do"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), initial=ActionKind.TASK,
        choices=[(k, ActionKind(k).label) for k in LOGGABLE_KINDS],
    )  # fmt: skip
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    assignee = forms.ChoiceField(label=_("For"), required=False)

    def __init__(self, *args, member, **kwargs):
        kwargs.setdefault("auto_id", "plan_%s")
        super().__init__(*args, **kwargs)
        self.office = member.office
        self.fields["assignee"].choices = _member_choices(
            member.office, blank=_("The case's assignee")
        )

    def clean_due_on(self):
        due = self.cleaned_data["due_on"]
        if due < timezone.localdate() - timedelta(days=1):
            raise ValidationError(_("That date has passed: log what happened instead."))
        return due


class AssignForm(_OfficeChoices, StyledForm):
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    team = forms.ChoiceField(label=_("Team queue"), required=False)

    def __init__(self, *args, member, **kwargs):
        kwargs.setdefault("auto_id", "assign_%s")
        super().__init__(*args, **kwargs)
        self.office = member.office
        self.fields["assignee"].choices = _member_choices(member.office, blank=_("Nobody"))
        self.fields["team"].choices = _team_choices(member.office, blank=_("No team"))

    def clean_assignee(self):
        value = self.cleaned_data["assignee"]
        if value and self._member(value) is None:
            raise ValidationError(_("Choose someone who works on cases."))
        return value

    def chosen(self) -> dict:
        data = self.cleaned_data
        return {"assignee": self._member(data["assignee"]), "team": self._team(data["team"])}


class BulkAssignForm(AssignForm):
    case_ids = forms.TypedMultipleChoiceField(coerce=int, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the service refuses ids of other offices as a whole.
        self.fields["case_ids"].valid_value = lambda value: str(value).isdigit()
        self.fields["case_ids"].error_messages["required"] = _("Select cases first.")

    def clean(self):
        data = super().clean()
        # Leaving both empty would unassign every selected case: make that a deliberate choice.
        if not data.get("assignee") and not data.get("team") and not self.errors:
            raise ValidationError(_("Choose the staff member or the team to give the cases to."))
        return data
