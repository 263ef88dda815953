"""Pages of duplicates: the review queue, one pair side by side (merge, not a duplicate, later),
the merge history with its Undo, and the office's settings with "Scan now". Thin doors: reads
through queries.py, writes through services."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicdesk.core.access import require_member
from civicdesk.core.errors import DomainError

from . import engine, queries, services
from .comparison import compare_people
from .forms import MergeForm, ThresholdForm
from .models import PairStatus

PAGE_SIZE = 50
TABS = (
    ("pending", gettext_lazy("To review")),
    ("later", gettext_lazy("Later")),
    ("decided", gettext_lazy("Decided")),
)
# Shown only to those who may see who is a person of concern, and why.
CONCERN_FIELDS = {"is_of_concern", "concern_reason"}


# ---------------------------------------------------------------- the queue


@require_member("dedupe.review")
def queue(request: HttpRequest) -> HttpResponse:
    office = request.member.office
    tab = request.GET.get("status", "pending")
    if tab not in queries.QUEUE_FILTERS:
        tab = "pending"
    page = Paginator(queries.pair_list(office, queue=tab), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counts = queries.queue_counts(office)
    context = {
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, label in TABS],
        "page": page,
        "settings": queries.settings_of(office),
        "shipped_percent": round(100 * engine.SHIPPED_THRESHOLD),
    }
    return render(request, "dedupe/queue.html", context)


# ---------------------------------------------------------------- one pair


def _hidden(member) -> set[str]:
    return set() if member.can("person.view_concern") else CONCERN_FIELDS


def _pair_page(request: HttpRequest, pair, form=None, *, status: int = 200) -> HttpResponse:
    member = request.member
    person_a, person_b = queries.pair_people(pair)
    context = {"pair": pair, "person_a": person_a, "person_b": person_b}
    if person_a is not None and person_b is not None:
        comparison = compare_people(person_a, person_b, pair.fields, hidden=_hidden(member))
        context.update(
            comparison=comparison,
            form=form or MergeForm(comparison=comparison),
            holdings=queries.holdings(person_a, person_b),
        )
        queries.record_pair_viewed(member, pair)
    merge = pair.merges.order_by("-at").first()
    context["merge"] = merge
    return render(request, "dedupe/pair_detail.html", context, status=status)


@require_member("dedupe.review")
def pair_detail(request: HttpRequest, pair_id: int) -> HttpResponse:
    return _pair_page(request, queries.get_pair(request.member, pair_id))


def _after_decision(request: HttpRequest, pair) -> HttpResponse:
    following = queries.next_pair(request.member.office, after=pair)
    if following is not None:
        return redirect("dedupe:pair-detail", pair_id=following.pk)
    return redirect("dedupe:queue")


@require_POST
@require_member("dedupe.review")
def pair_decide(request: HttpRequest, pair_id: int) -> HttpResponse:
    """Not a duplicate, later, or back to the queue; then the next pair to review."""
    member = request.member
    pair = queries.get_pair(member, pair_id)
    decision = request.POST.get("decision", "")
    try:
        services.decide_pair(pair, by=member, decision=decision)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("dedupe:pair-detail", pair_id=pair.pk)
    label = PairStatus(decision).label
    messages.success(request, _("Marked “%(decision)s”.") % {"decision": label})
    return _after_decision(request, pair)


@require_POST
@require_member("dedupe.review")
def pair_merge(request: HttpRequest, pair_id: int) -> HttpResponse:
    member = request.member
    pair = queries.get_pair(member, pair_id)
    person_a, person_b = queries.pair_people(pair)
    if person_a is None or person_b is None or not pair.is_open:
        messages.error(request, _("These two can no longer be merged from here."))
        return redirect("dedupe:pair-detail", pair_id=pair.pk)
    comparison = compare_people(person_a, person_b, pair.fields, hidden=_hidden(member))
    form = MergeForm(request.POST, comparison=comparison)
    if not form.is_valid():
        messages.error(request, _("Choose which record to keep, and whose value of each field."))
        return _pair_page(request, pair, form)
    survivor = person_a if form.cleaned_data["survivor"] == "a" else person_b
    other = person_b if survivor is person_a else person_a
    try:
        services.merge_pair(pair, by=member, survivor_id=survivor.pk, choices=form.choices())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("dedupe:pair-detail", pair_id=pair.pk)
    messages.success(
        request,
        _("Merged: %(other)s (#%(id)s) is now part of this record. The merge history can undo it.")
        % {"other": other.display_name, "id": other.pk},
    )
    return redirect("constituents:person-detail", person_id=survivor.pk)


# ---------------------------------------------------------------- merges


@require_member("dedupe.review")
def merge_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.merge_list(request.member.office), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "dedupe/merge_list.html", {"page": page})


@require_POST
@require_member("dedupe.review")
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    member = request.member
    merge = queries.get_merge(member, merge_id)
    try:
        person = services.undo_merge(merge, by=member)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The merge was undone: %(name)s is back as a record of their own.")
            % {"name": person.display_name},
        )
    return redirect("dedupe:merge-list")


# ---------------------------------------------------------------- settings


@require_member("dedupe.configure")
def settings_page(request: HttpRequest) -> HttpResponse:
    member = request.member
    settings = queries.settings_of(member.office)
    current = settings.auto_merge_threshold
    initial = {"percent": None if current is None else round(100 * current, 4)}
    form = ThresholdForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_auto_merge_threshold(member.office, by=member, threshold=form.threshold())
        except DomainError as exc:
            form.add_error("percent", exc.message)
        else:
            messages.success(request, _("The duplicate settings were saved."))
            return redirect("dedupe:settings")
    context = {
        "form": form,
        "settings": settings,
        "shipped_percent": round(100 * engine.SHIPPED_THRESHOLD),
    }
    return render(request, "dedupe/settings.html", context)


@require_POST
@require_member("dedupe.configure")
def scan(request: HttpRequest) -> HttpResponse:
    job = services.start_scan(request.member.office, by=request.member)
    return redirect(reverse("jobs:job-detail", args=[job.pk]))
