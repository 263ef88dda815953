"""Forms of the casework settings pages: a case type with its workflow matrix, a template with
its checklist steps, a team. They check and shape what people type; the services decide."""

from dataclasses import dataclass
from itertools import zip_longest

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.models import Membership, Office
from civicdesk.core.forms import StyledFormMixin

from . import queries
from .models import DEFAULT_TRANSITIONS, ActionKind, CaseStatus, CaseTemplate, CaseType, Team

# Kinds a checklist step may have. Status changes and assignments are what services write when
# the thing happens; as a to-do they would mean nothing.
STEP_KINDS = [(k, label) for k, label in ActionKind.choices
              if k not in {ActionKind.STATUS_CHANGE, ActionKind.ASSIGNMENT}]  # fmt: skip
MAX_STEPS = 50
MAX_DAYS = 365
BLANK_STEP_ROWS = 3  # rows to fill in without JavaScript


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class StyledForm(StyledFormMixin, forms.Form):
    pass


# ---------------------------------------------------------------- case types


def _flow(status: str) -> str:
    return f"flow_{status}"


class CaseTypeForm(StyledForm):
    """A case type and its workflow: one "may go to" checkbox list per status, drawn as a
    from × to matrix. Whether the workflow holds together is the service's call."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_sensitive = forms.BooleanField(
        label=_("Sensitive"), required=False,
        help_text=_("Only the case's assignee and managers see these cases (health, "
                    "immigration...)."),
    )  # fmt: skip
    needs_privacy_release = forms.BooleanField(
        label=_("Needs a privacy release"), required=False,
        help_text=_("A case cannot be sent to an agency until the constituent's signed release "
                    "is on file."),
    )  # fmt: skip
    target_days = forms.IntegerField(
        label=_("Days to resolve (target)"), required=False, min_value=1, max_value=3650,
        help_text=_("A new case of this type is due this many days after it opens, unless its "
                    "opener gives another date."),
    )  # fmt: skip
    is_active = forms.BooleanField(
        label=_("In use"), required=False, initial=True,
        help_text=_("A type no longer in use keeps its cases; new cases cannot choose it."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for status in CaseStatus:
            self.fields[_flow(status)] = forms.MultipleChoiceField(
                label=status.label, required=False, widget=forms.CheckboxSelectMultiple,
                choices=[(s.value, s.label) for s in CaseStatus if s != status],
            )  # fmt: skip

    @staticmethod
    def initial_for(case_type: CaseType | None) -> dict:
        if case_type is None:
            flows = DEFAULT_TRANSITIONS
            initial = {"is_active": True}
        else:
            flows = case_type.transitions or DEFAULT_TRANSITIONS
            initial = {name: getattr(case_type, name) for name in (
                "name", "description", "is_sensitive", "needs_privacy_release", "target_days",
                "is_active")}  # fmt: skip
        initial.update({_flow(s): list(flows.get(s, [])) for s in CaseStatus.values})
        return initial

    def fields_for_service(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in (
            "name", "description", "is_sensitive", "needs_privacy_release", "target_days",
            "is_active")}  # fmt: skip

    def transitions(self) -> dict[str, list[str]]:
        # Every status is named, even with nothing ticked: an empty workflow is refused by the
        # service instead of quietly becoming the default.
        return {s: list(self.cleaned_data.get(_flow(s)) or []) for s in CaseStatus.values}

    def matrix(self) -> list[dict]:
        """Rows (from) of cells (to) for the template, ticked as typed or as saved."""
        rows = []
        for source in CaseStatus:
            bound = self[_flow(source)]
            ticked = {str(v) for v in (bound.value() or [])}
            cells = [
                {"status": target.value, "label": target.label, "is_self": target == source,
                 "is_checked": target.value in ticked, "id": f"flow-{source.value}-{target.value}"}
                for target in CaseStatus
            ]  # fmt: skip
            rows.append({"status": source.value, "label": source.label, "name": bound.html_name,
                         "cells": cells, "errors": bound.errors})  # fmt: skip
        return rows


# ---------------------------------------------------------------- templates


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.display_name


class CaseTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CaseType) -> str:
        return str(obj) if obj.is_active else _("%(name)s (not in use)") % {"name": obj}


def caseworker_queryset(office: Office) -> QuerySet[Membership]:
    """Active staff who may work on cases, as a queryset (queries.caseworkers is a list)."""
    ids = [member.pk for member in queries.caseworkers(office)]
    return (
        Membership.objects.filter(pk__in=ids)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


class CaseTemplateForm(StyledForm):
    case_type = CaseTypeChoiceField(label=_("Case type"), queryset=CaseType.objects.none())
    name = forms.CharField(label=_("Name"), max_length=100)
    documents_needed = forms.CharField(
        label=_("Documents needed"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line. Each becomes a to-do on the case."),
    )  # fmt: skip
    documents_due_after_days = forms.IntegerField(
        label=_("Documents due after (days)"), min_value=0, max_value=MAX_DAYS, initial=7
    )
    default_assignee = MemberChoiceField(
        label=_("Default assignee"), required=False, queryset=Membership.objects.none(),
        empty_label=_("Nobody"),
        help_text=_("Takes a case this template is applied to, when the case has no one yet."),
    )  # fmt: skip
    default_team = forms.ModelChoiceField(
        label=_("Default team"), required=False, queryset=Team.objects.none(),
        empty_label=_("No team"), help_text=_("The queue a case goes to, when it has none yet."),
    )  # fmt: skip

    def __init__(self, *args, office: Office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_type"].queryset = queries.case_types(office)
        self.fields["default_assignee"].queryset = caseworker_queryset(office)
        self.fields["default_team"].queryset = Team.objects.for_office(office).order_by("name")

    @staticmethod
    def initial_for(template: CaseTemplate) -> dict:
        return {
            "case_type": template.case_type_id, "name": template.name,
            "documents_needed": "\n".join(template.documents_needed),
            "documents_due_after_days": template.documents_due_after_days,
            "default_assignee": template.default_assignee_id,
            "default_team": template.default_team_id,
        }  # fmt: skip

    def clean_documents_needed(self) -> list[str]:
        return _lines(self.cleaned_data["documents_needed"])


@dataclass
class StepRow:
    title: str = ""
    kind: str = ActionKind.TASK
    days: str = "0"
    error: str = ""


class StepsEditor:
    """The checklist steps of a template, posted as three parallel lists (step-title,
    step-kind, step-days), one entry per row in page order: rows can be added, removed and
    moved in the page without renumbering anything, and the order saved is the order shown.
    A row with no title is left out."""

    def __init__(self, data: QueryDict | None = None, *, steps=()):
        if data is None:
            self.rows = [StepRow(s.title, s.kind, str(s.due_after_days)) for s in steps]
            self.rows += [StepRow() for _row in range(BLANK_STEP_ROWS)]
        else:
            columns = zip_longest(data.getlist("step-title"), data.getlist("step-kind"),
                                  data.getlist("step-days"), fillvalue="")  # fmt: skip
            self.rows = [StepRow(t.strip(), k, d.strip()) for t, k, d in columns]
        self.error = ""
        self._steps: list[tuple[str, str, int]] | None = None

    kind_choices = STEP_KINDS

    def is_valid(self) -> bool:
        steps = []
        for row in self.rows:
            if not row.title:
                continue
            row.error = self._row_error(row)
            if not row.error:
                steps.append((row.title, row.kind, int(row.days or 0)))
        if len([row for row in self.rows if row.title]) > MAX_STEPS:
            self.error = _("A template has at most %(n)s steps.") % {"n": MAX_STEPS}
        if self.error or any(row.error for row in self.rows):
            return False
        self._steps = steps
        return True

    @staticmethod
    def _row_error(row: StepRow) -> str:
        if row.kind not in ActionKind.values:
            return str(_("Choose what kind of step this is."))
        if len(row.title) > 200:
            return str(_("Keep the step under 200 characters."))
        try:
            days = int(row.days or 0)
        except ValueError:
            return str(_("Say after how many days the step is due, as a number."))
        if not 0 <= days <= MAX_DAYS:
            return str(_("A step is due between 0 and %(n)s days after the case opens.")
                       % {"n": MAX_DAYS})  # fmt: skip
        return ""

    @property
    def steps(self) -> list[tuple[str, str, int]]:
        assert self._steps is not None, "call is_valid() first"
        return self._steps

    def rows_for_display(self) -> list[dict]:
        """Each row with the kinds it may choose: a kind outside STEP_KINDS (saved through the
        API) stays selectable on its own row, so that saving the page does not change it."""
        shown = []
        for row in self.rows:
            choices = list(STEP_KINDS)
            if row.kind not in dict(STEP_KINDS) and row.kind in ActionKind.values:
                choices.append((row.kind, ActionKind(row.kind).label))
            shown.append({"row": row, "choices": choices})
        return shown


# ---------------------------------------------------------------- teams


class MembersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.display_name} ({obj.get_role_display()})"


class TeamForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    members = MembersField(
        label=_("Members"), required=False, queryset=Membership.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Staff who can work on cases. The team's queue is theirs to share."),
    )  # fmt: skip

    def __init__(self, *args, office: Office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = caseworker_queryset(office)
