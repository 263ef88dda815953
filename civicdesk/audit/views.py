"""Pages: browse and filter the audit log; start a verification of its chain."""

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from civicdesk.core.access import require_member
from civicdesk.core.forms import StyledFormMixin
from civicdesk.core.htmx import partial_or_page

from . import queries, services


class AuditFilterForm(StyledFormMixin, forms.Form):
    action = forms.CharField(required=False, label="Action")
    object_type = forms.CharField(required=False, label="Record type")
    object_id = forms.CharField(required=False, label="Record id")
    actor_id = forms.IntegerField(required=False, label="Staff member", widget=forms.Select)
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )


@require_member("audit.view")
def event_list(request: HttpRequest) -> HttpResponse:
    office = request.member.office
    form = AuditFilterForm(request.GET or None)
    form.fields["actor_id"].widget.choices = [("", "Anyone"), *queries.actor_choices(office)]
    filters = form.cleaned_data if form.is_valid() else {}
    events = queries.event_list(office, **{k: v for k, v in filters.items() if v not in (None, "")})
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    template = partial_or_page(request, "audit/event_list.html", "event-rows")
    context = {"form": form, "page": page, "actions": queries.action_names(office)}
    return render(request, template, context)


@require_POST
@require_member("audit.verify")
def start_verification(request: HttpRequest) -> HttpResponse:
    job = services.start_verification(by=request.member)
    return redirect("jobs:job-detail", job_id=job.pk)
