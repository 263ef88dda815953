"""Pages of the import wizard: the office's imports and saved mappings; upload (step 1); the
file's shape and the column mapping (step 2); the preview (step 3); the progress and summary
(step 4, polled by htmx); the failed rows, downloadable and fixable one by one.

`imports:batch-detail` shows the step a batch is at. Thin doors: writes go through services.py.
Every page needs `import.run`; another office's batch is a 404 like a missing one."""

import itertools
from dataclasses import asdict

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from civicdesk import audit
from civicdesk.core.access import get_for_member, require_member
from civicdesk.core.errors import DomainError
from civicdesk.core.htmx import partial_or_page
from civicdesk.tabular.mapping import PRESETS, Mapping, guess_mapping
from civicdesk.tabular.reading import FileShape, TableError, count_rows, read_rows

from . import forms, services
from .models import ImportBatch, ImportFailure, ImportState, SavedMapping

PERMISSION = "import.run"
SAMPLE_ROWS = 5
PREVIEW_ROWS = 20
FAILURES_PER_PAGE = 50
COUNT_ON_PAGE_BYTES = 256 * 1024 * 1024
ACTIVE_STATES = {ImportState.QUEUED, ImportState.RUNNING}
STATE_TONES = {
    ImportState.UPLOADED: "secondary",
    ImportState.MAPPED: "info",
    ImportState.QUEUED: "secondary",
    ImportState.RUNNING: "primary",
    ImportState.FINISHED: "success",
    ImportState.FAILED: "danger",
}
STEPS = [
    ("upload", gettext_lazy("Upload")),
    ("mapping", gettext_lazy("Columns")),
    ("preview", gettext_lazy("Preview")),
    ("import", gettext_lazy("Import")),
]


def _batches(office):
    return ImportBatch.objects.for_office(office).select_related("tag", "job", "started_by__user")


def _get_batch(request: HttpRequest, batch_id: int) -> ImportBatch:
    return get_for_member(
        request.member, _batches(request.member.office), batch_id, need=PERMISSION
    )


def _detail_url(batch: ImportBatch) -> str:
    return reverse("imports:batch-detail", args=[batch.pk])


def _steps(current: str) -> list[dict]:
    keys = [key for key, _label in STEPS]
    return [
        {"key": key, "label": label, "is_done": keys.index(key) < keys.index(current),
         "is_current": key == current}
        for key, label in STEPS
    ]  # fmt: skip


def _decorate(batch: ImportBatch) -> ImportBatch:
    """What the list and the progress partial show of a batch: percent, rate, the tone."""
    batch.tone = STATE_TONES.get(batch.state, "secondary")
    batch.is_active = batch.state in ACTIVE_STATES
    total = batch.rows_total
    if batch.state == ImportState.FINISHED:
        batch.percent = 100
    elif total:
        batch.percent = min(100, round(100 * batch.rows_done / total))
    else:
        batch.percent = 0
    batch.rate = None
    if batch.started_at and batch.rows_done:
        end = batch.finished_at or timezone.now()
        seconds = max((end - batch.started_at).total_seconds(), 0.001)
        batch.rate = round(batch.rows_done / seconds)
    batch.job_error = batch.job.error if batch.job_id and batch.job.error else ""
    return batch


# ---------------------------------------------------------------- the list


@require_member(PERMISSION)
def batch_list(request: HttpRequest) -> HttpResponse:
    office = request.member.office
    batches = [_decorate(batch) for batch in _batches(office).order_by("-created_at", "-pk")[:100]]
    context = {
        "batches": batches,
        "is_polling": any(batch.is_active for batch in batches),
        "saved_mappings": SavedMapping.objects.for_office(office).select_related(
            "created_by__user"
        ),
        "rename_form": forms.RenameMappingForm(),
    }
    return render(
        request, partial_or_page(request, "imports/batch_list.html", "batch-table"), context
    )


# ---------------------------------------------------------------- step 1: upload


@csrf_exempt  # checked just below, once the upload handler is in place (it must come first)
@require_member(PERMISSION)
def upload(request: HttpRequest) -> HttpResponse:
    handler = forms.limit_uploads(request) if request.method == "POST" else None
    return _upload(request, handler)


@csrf_protect
def _upload(request: HttpRequest, handler) -> HttpResponse:
    form = forms.UploadForm()
    if request.method == "POST":
        try:
            forms.uploaded_file(request, handler)
        except DomainError as exc:
            form = forms.UploadForm(data={})
            form.is_valid()
            form.errors["file"] = form.error_class([exc.message])
            return _upload_page(request, form, status=exc.status)
        form = forms.UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                batch = services.create_batch(
                    request.member.office, by=request.member, uploaded=form.cleaned_data["file"]
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect(_detail_url(batch))
        return _upload_page(request, form, status=400)
    return _upload_page(request, form)


def _upload_page(request: HttpRequest, form, *, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "steps": _steps("upload"),
        "max_mb": forms.max_upload_bytes() // (1024 * 1024),
        "presets": list(PRESETS.values()),
    }
    return render(request, "imports/upload.html", context, status=status)


# ---------------------------------------------------------------- the batch, at its step


@require_member(PERMISSION)
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _get_batch(request, batch_id)
    if batch.state == ImportState.UPLOADED:
        return _mapping_page(request, batch)
    if batch.state == ImportState.MAPPED:
        return _preview_page(request, batch)
    return _progress_page(request, batch)


def _shape(batch: ImportBatch) -> FileShape:
    return FileShape.from_dict(batch.shape)


def _sample_rows(batch: ImportBatch) -> tuple[list[list[str]], str]:
    """The first rows of the file as read with its shape, and a problem reading it (or "")."""
    try:
        rows = list(itertools.islice(read_rows(batch.file.path, _shape(batch)), SAMPLE_ROWS))
    except (TableError, OSError) as exc:
        return [], str(exc)
    return [row.cells for row in rows], ""


def _starting_mapping(request: HttpRequest, batch: ImportBatch) -> tuple[Mapping, str, str]:
    """The mapping the form starts from, its `start` key and a note on where it comes from.
    ?start=preset:<key> | saved:<id> | guess; without it, the batch's own, else a guess."""
    start = request.GET.get("start") or request.POST.get("start") or ""
    kind, _colon, key = start.partition(":")
    if kind == "preset" and key in PRESETS:
        preset = PRESETS[key]
        return Mapping.from_dict(preset.mapping.to_dict()), start, preset.label
    if kind == "saved" and key.isascii() and key.isdigit():
        saved = SavedMapping.objects.for_office(batch.office).filter(pk=int(key)).first()
        if saved is not None:
            return Mapping.from_dict(saved.mapping), start, saved.name
    if batch.mapping and kind != "guess":
        return Mapping.from_dict(batch.mapping), "", _("the mapping chosen before")
    return guess_mapping(_shape(batch)), "guess", _("the column names")


def _shape_hint_differs(hint: dict, shape: dict) -> dict:
    """What a preset expects of the file that this file's detected shape is not (or {})."""
    wanted = {}
    header = hint.get("has_header", hint.get("header"))
    if header is not None and bool(header) != bool(shape.get("has_header")):
        wanted["has_header"] = "1" if header else "0"
    delimiter = hint.get("delimiter")
    if delimiter and shape.get("format") != "xlsx" and delimiter != shape.get("delimiter"):
        wanted["delimiter"] = delimiter
    return wanted


def _start_choices(batch: ImportBatch) -> list[tuple[str, list[tuple[str, str]]]]:
    """The "Start from" select: a guess, the batch's own mapping, the presets, the saved ones."""
    first = [("guess", _("A guess from the column names"))]
    if batch.mapping:
        first.append(("", _("The mapping chosen before")))
    groups = [
        ("", first),
        (_("Voter-file layouts"), [(f"preset:{key}", p.label) for key, p in PRESETS.items()]),
    ]
    saved = SavedMapping.objects.for_office(batch.office)
    if options := [(f"saved:{m.pk}", m.name) for m in saved]:
        groups.append((_("Saved mappings"), options))
    return groups


def _mapping_form(request: HttpRequest, batch: ImportBatch, mapping: Mapping, data=None):
    return forms.MappingForm(
        data,
        office=batch.office,
        columns=list(batch.shape.get("columns", [])),
        mapping=mapping,
        match_rules=forms.initial_match_rules(batch),
        tag_name=batch.tag.name if batch.tag_id else forms.default_tag_name(batch.filename),
    )


def _mapping_page(request, batch, *, form=None, shape_form=None, status=200) -> HttpResponse:
    mapping, start, source = _starting_mapping(request, batch)
    form = form or _mapping_form(request, batch, mapping)
    samples, read_problem = _sample_rows(batch)
    columns = [
        {
            "field": field,
            "also": also,
            "samples": [row[i] if i < len(row) else "" for row in samples],
        }
        for i, (field, also) in enumerate(form.column_fields())
    ]
    hint_form = None
    if start.startswith("preset:"):
        hint = PRESETS[start.removeprefix("preset:")].shape_hint or {}
        wanted = _shape_hint_differs(hint, batch.shape)
        if wanted:
            hint_form = {"values": wanted, "start": start}
    context = {
        "batch": batch,
        "steps": _steps("mapping"),
        "shape": batch.shape,
        "shape_form": shape_form or forms.ShapeForm(shape=batch.shape),
        "delimiter_label": dict(forms.DELIMITERS).get(batch.shape.get("delimiter"), ""),
        "encoding_label": dict(forms.ENCODINGS).get(batch.shape.get("encoding"), ""),
        "form": form,
        "columns": columns,
        "sample_count": len(samples),
        "read_problem": read_problem,
        "start": start,
        "start_source": source,
        "start_choices": _start_choices(batch),
        "hint_form": hint_form,
    }
    return render(request, "imports/batch_mapping.html", context, status=status)


@require_member(PERMISSION)
def batch_shape(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Read the file again with another header, delimiter or encoding (POST); GET shows step 2."""
    batch = _get_batch(request, batch_id)
    if request.method != "POST":
        return redirect(_detail_url(batch))
    if batch.state not in (ImportState.UPLOADED, ImportState.MAPPED):
        messages.error(request, _("This import has started: its file can no longer change."))
        return redirect(_detail_url(batch))
    shape_form = forms.ShapeForm(request.POST, shape=batch.shape)
    if not shape_form.is_valid():
        return _mapping_page(request, batch, shape_form=shape_form, status=400)
    try:
        services.change_shape(batch, by=request.member, **shape_form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_detail_url(batch))
    messages.success(request, _("The file was read again that way."))
    start = request.POST.get("start", "")
    query = f"?{urlencode({'start': start})}" if start else ""
    return redirect(reverse("imports:batch-mapping", args=[batch.pk]) + query)


@require_member(PERMISSION)
def batch_mapping(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Step 2 (again, from the preview): choose what each column is, then go to the preview."""
    batch = _get_batch(request, batch_id)
    if batch.state not in (ImportState.UPLOADED, ImportState.MAPPED):
        return redirect(_detail_url(batch))
    if request.method != "POST":
        return _mapping_page(request, batch)
    mapping, _start, _source = _starting_mapping(request, batch)
    form = _mapping_form(request, batch, mapping, data=request.POST)
    if not form.is_valid():
        return _mapping_page(request, batch, form=form, status=400)
    chosen = form.mapping()
    save_as = form.cleaned_data["save_as"].strip()
    try:
        with transaction.atomic():
            services.set_mapping(
                batch, by=request.member, mapping=chosen, match_rules=form.chosen_match_rules(),
                tag_name=form.cleaned_data["tag_name"].strip(),
            )  # fmt: skip
            if save_as:
                services.save_mapping(batch.office, by=request.member, name=save_as, mapping=chosen)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _mapping_page(request, batch, form=form, status=exc.status)
    if save_as:
        messages.success(request, _("Mapping saved as “%(name)s”.") % {"name": save_as})
    return redirect(_detail_url(batch))


# ---------------------------------------------------------------- step 3: preview


def _record_view(row) -> dict:
    record = asdict(row.record)
    name = " ".join(
        part for part in (record.get("first_name"), record.get("middle_name"),
                          record.get("last_name"), record.get("suffix")) if part
    ) or record.get("full_name", "")  # fmt: skip
    place = ", ".join(
        part for part in (record.get("line1"), record.get("line2"), record.get("city"),
                          " ".join(p for p in (record.get("region"), record.get("postcode")) if p))
        if part
    )  # fmt: skip
    born = record.get("birth_date") or record.get("birth_year") or ""
    return {
        "number": row.number,
        "name": name,
        "external_id": record.get("external_id", ""),
        "born": born,
        "email": record.get("email", ""),
        "phone": record.get("phone", ""),
        "place": place,
        "districts": record.get("districts") or {},
        "custom": record.get("custom") or {},
        "problems": list(row.problems),
        "match": row.match,
        "is_new": row.match == "new",
        "similar": list(row.similar or []),
    }


def _row_count(batch: ImportBatch) -> int | None:
    """The rows the import will read: known once counted; counted here for a file small enough
    to count while the page waits (a few seconds at most), else None ("all the rows")."""
    if batch.rows_total is not None:
        return batch.rows_total
    if batch.file_size > COUNT_ON_PAGE_BYTES:
        return None
    try:
        return count_rows(batch.file.path, _shape(batch))
    except (TableError, OSError):
        return None


def _preview_page(request: HttpRequest, batch: ImportBatch) -> HttpResponse:
    problem = ""
    try:
        rows = [_record_view(row) for row in services.preview(batch, limit=PREVIEW_ROWS)]
    except (DomainError, TableError) as exc:
        rows, problem = [], getattr(exc, "message", str(exc))
    audit.record(request.member, "import.previewed", batch)
    mapping = Mapping.from_dict(batch.mapping)
    context = {
        "batch": batch,
        "steps": _steps("preview"),
        "rows": rows,
        "problem": problem,
        "problem_count": sum(1 for row in rows if row["problems"]),
        "similar_count": sum(1 for row in rows if row["similar"]),
        "row_count": _row_count(batch),
        "mapped": [(target, ", ".join(sources)) for target, sources in mapping.columns.items()],
        "has_districts": any(row["districts"] for row in rows),
    }
    return render(request, "imports/batch_preview.html", context)


@require_POST
@require_member(PERMISSION)
def batch_start(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _get_batch(request, batch_id)
    try:
        services.start_import(batch, by=request.member)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_detail_url(batch))


@require_POST
@require_member(PERMISSION)
def batch_resume(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Queue a stopped import again: it goes on after the last rows it wrote."""
    batch = _get_batch(request, batch_id)
    try:
        services.resume_batch(batch, by=request.member)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_detail_url(batch))


# ---------------------------------------------------------------- step 4: progress and summary


def _progress_page(request: HttpRequest, batch: ImportBatch) -> HttpResponse:
    context = {
        "batch": _decorate(batch),
        "steps": _steps("import"),
        "people_url": (
            f"{reverse('constituents:person-list')}?{urlencode({'tags': batch.tag_id})}"
            if batch.tag_id
            else ""
        ),
        "can_view_people": request.member.can("person.view"),
    }
    template = partial_or_page(request, "imports/batch_progress.html", "batch-progress")
    return render(request, template, context)


# ---------------------------------------------------------------- failed rows


def _failure_rows(batch: ImportBatch, page_number, *, invalid=None) -> tuple:
    failures = ImportFailure.objects.filter(batch=batch).order_by("is_fixed", "row_number")
    page = Paginator(failures, FAILURES_PER_PAGE).get_page(page_number)
    columns = list(batch.shape.get("columns", []))
    rows = []
    for failure in page.object_list:
        form = invalid if invalid is not None and invalid.failure_id == failure.pk else None
        form = form or forms.FixRowForm(
            columns=columns, cells=list(failure.cells), prefix=f"f{failure.pk}"
        )
        rows.append({"failure": failure, "form": form})
    return page, rows


@require_member(PERMISSION)
def failure_list(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _get_batch(request, batch_id)
    return _failures_page(request, batch)


def _failures_page(request, batch, *, invalid=None, status=200) -> HttpResponse:
    page, rows = _failure_rows(batch, request.GET.get("page"), invalid=invalid)
    context = {
        "batch": _decorate(batch),
        "page": page,
        "rows": rows,
        "columns": list(batch.shape.get("columns", [])),
        "open_count": ImportFailure.objects.filter(batch=batch, is_fixed=False).count(),
    }
    return render(request, "imports/failure_list.html", context, status=status)


@require_member(PERMISSION)
def failure_download(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _get_batch(request, batch_id)
    content = services.failures_csv(batch)
    audit.record(request.member, "import.failures_downloaded", batch)
    stem = batch.filename.rsplit(".", 1)[0] or "import"
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_safe_name(stem)}-failed-rows.csv"'
    return response


def _safe_name(name: str) -> str:
    kept = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)
    return kept.strip("-.")[:80] or "import"


@require_POST
@require_member(PERMISSION)
def failure_fix(request: HttpRequest, batch_id: int, failure_id: int) -> HttpResponse:
    batch = _get_batch(request, batch_id)
    failure = get_object_or_404(ImportFailure.objects.filter(batch=batch), pk=failure_id)
    columns = list(batch.shape.get("columns", []))
    form = forms.FixRowForm(
        request.POST, columns=columns, cells=list(failure.cells), prefix=f"f{failure.pk}"
    )
    form.failure_id = failure.pk
    back = reverse("imports:failures", args=[batch.pk])
    if failure.is_fixed:
        messages.info(request, _("Row %(n)s was already imported.") % {"n": failure.row_number})
        return redirect(back)
    if not form.is_valid():
        return _failures_page(request, batch, invalid=form, status=400)
    try:
        retry = services.retry_failure(failure, by=request.member, cells=form.cells())
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _failures_page(request, batch, invalid=form, status=exc.status)
    failure.refresh_from_db()
    if failure.is_fixed:
        messages.success(request, _("Row %(n)s imported.") % {"n": failure.row_number})
        return redirect(back)
    again = ImportFailure.objects.filter(batch=retry).order_by("row_number").first()
    reason = again.reason if again is not None else _("it could not be imported")
    form.add_error(None, _("Still not imported: %(reason)s") % {"reason": reason})
    return _failures_page(request, batch, invalid=form, status=400)


# ---------------------------------------------------------------- saved mappings


def _get_saved(request: HttpRequest, mapping_id: int) -> SavedMapping:
    return get_for_member(request.member, SavedMapping.objects.all(), mapping_id, need=PERMISSION)


@require_POST
@require_member(PERMISSION)
def mapping_rename(request: HttpRequest, mapping_id: int) -> HttpResponse:
    saved = _get_saved(request, mapping_id)
    form = forms.RenameMappingForm(request.POST)
    back = reverse("imports:batch-list")
    if not form.is_valid():
        messages.error(request, _("Give the mapping a name of at most 100 characters."))
        return redirect(back)
    name = form.cleaned_data["name"].strip()
    taken = SavedMapping.objects.for_office(saved.office).filter(name=name).exclude(pk=saved.pk)
    if taken.exists():
        messages.error(request, _("Another mapping is already called “%(name)s”.") % {"name": name})
        return redirect(back)
    try:
        with transaction.atomic():
            _rename_mapping(saved, by=request.member, name=name)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Mapping renamed “%(name)s”.") % {"name": name})
    return redirect(back)


def _rename_mapping(saved: SavedMapping, *, by, name: str) -> None:
    """Rename through the services (audited): save under the new name, delete the old one."""
    if name == saved.name:
        return
    services.save_mapping(saved.office, by=by, name=name, mapping=saved.mapping)
    services.delete_mapping(saved, by=by)


@require_POST
@require_member(PERMISSION)
def mapping_delete(request: HttpRequest, mapping_id: int) -> HttpResponse:
    saved = _get_saved(request, mapping_id)
    name = saved.name
    services.delete_mapping(saved, by=request.member)
    messages.success(request, _("Mapping “%(name)s” deleted.") % {"name": name})
    return redirect("imports:batch-list")


urlpatterns = [
    path("", batch_list, name="batch-list"),
    path("upload/", upload, name="upload"),
    path("<int:batch_id>/", batch_detail, name="batch-detail"),
    path("<int:batch_id>/shape/", batch_shape, name="batch-shape"),
    path("<int:batch_id>/mapping/", batch_mapping, name="batch-mapping"),
    path("<int:batch_id>/start/", batch_start, name="batch-start"),
    path("<int:batch_id>/resume/", batch_resume, name="batch-resume"),
    path("<int:batch_id>/failures/", failure_list, name="failures"),
    path("<int:batch_id>/failures/download/", failure_download, name="failures-download"),
    path("<int:batch_id>/failures/<int:failure_id>/fix/", failure_fix, name="failure-fix"),
    path("mappings/<int:mapping_id>/rename/", mapping_rename, name="mapping-rename"),
    path("mappings/<int:mapping_id>/delete/", mapping_delete, name="mapping-delete"),
]
