"""Pages: district layers, one layer's map and people per district, importing a map in two steps.

Import: step 1 uploads the file (kept in the office's storage between the steps, named by a
token held in the person's session); step 2 picks the name and code properties among those
the file has, and the EPSG code when its coordinates are not longitude/latitude.
"""

import secrets
import time
from typing import Any

from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from civicdesk.core.access import require_member
from civicdesk.core.errors import DomainError
from civicdesk.jobs import queries as jobs_queries

from . import queries, services
from .errors import DistrictFileRefused
from .forms import LayerPropertiesForm, LayerUploadForm, guess_name_property, property_choices
from .geojson import declared_srid, load_collection

UPLOADS_KEY = "geo_uploads"
UPLOAD_MAX_AGE = 24 * 3600  # seconds an unfinished upload is kept
OUTLINE_MAX_AGE = 24 * 3600  # the page links outlines with the layer's version: see below


@require_member("district.view")
def layer_list(request: HttpRequest) -> HttpResponse:
    layers = queries.layer_list(request.member.office)
    return render(request, "geo/layer_list.html", {"layers": layers})


@require_GET
@require_member("district.view")
def layer_detail(request: HttpRequest, layer_id: int) -> HttpResponse:
    layer = queries.get_layer(request.member, layer_id)
    counts = queries.people_counts(layer)
    rows = [(district, counts.get(district.pk, 0)) for district in queries.district_list(layer)]
    # The latest re-assignment of addresses to this layer that this person may follow.
    job = (
        jobs_queries.job_list(request.member)
        .filter(kind=services.REASSIGN_JOB, params__layer_id=layer.pk)
        .first()
    )
    context = {"layer": layer, "rows": rows, "people_count": sum(counts.values()), "job": job}
    return render(request, "geo/layer_detail.html", context)


@require_GET
@require_member("district.view")
def layer_geojson(request: HttpRequest, layer_id: int) -> JsonResponse:
    """The layer's map (outlines simplified for drawing, people per district)."""
    layer = queries.get_layer(request.member, layer_id)
    return JsonResponse(queries.feature_collection(layer, simplified=True))


@require_GET
@require_member("district.view")
def district_outline(request: HttpRequest, layer_id: int, district_id: int) -> HttpResponse:
    """One district's outline, simplified for drawing (a GeoJSON Feature): the context the
    person page's maps draw around a pin, fetched after the page.

    Cached by the browser: a re-import gives the districts new ids, and the page adds the
    layer's version (`?v=`) to the URL, so the same URL always means the same shape."""
    layer = queries.get_layer(request.member, layer_id)
    response = JsonResponse(queries.district_outline(layer, district_id))
    response["ETag"] = f'"{district_id}-{queries.layer_version(layer)}"'
    patch_cache_control(response, private=True, max_age=OUTLINE_MAX_AGE)
    return get_conditional_response(request, etag=response["ETag"], response=response)


@require_POST
@require_member("district.manage")
def layer_delete(request: HttpRequest, layer_id: int) -> HttpResponse:
    layer = queries.get_layer(request.member, layer_id, need="district.manage")
    services.delete_layer(layer, by=request.member)
    messages.success(request, _("The layer “%(layer)s” is deleted.") % {"layer": layer.name})
    return redirect("geo:layer-list")


@require_member("district.manage")
def layer_import(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and "upload" in request.POST:
        return _choose_properties(request)
    form = LayerUploadForm(
        request.POST or None,
        request.FILES or None,
        initial={"name": request.GET.get("name", "")},
    )
    if request.method == "POST" and form.is_valid():
        token = _keep_upload(request, form.content, form.cleaned_data["file"].name)
        paths = [path for path, _label in property_choices(form.collection)]
        properties_form = LayerPropertiesForm(
            choices=property_choices(form.collection),
            initial={
                "upload": token,
                "name": form.cleaned_data["name"],
                "name_property": guess_name_property(paths),
                "srid": declared_srid(form.collection) or None,
            },
        )
        return _properties_page(
            request, properties_form, form.collection, _upload_name(request, token)
        )
    return render(request, "geo/layer_import.html", {"form": form, "step": 1})


def _choose_properties(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("upload", "")
    upload = _load_upload(request, token)
    if upload is None:
        messages.error(request, _("The uploaded file has expired; upload it again."))
        form = LayerUploadForm(initial={"name": request.POST.get("name", "")})
        return render(request, "geo/layer_import.html", {"form": form, "step": 1}, status=400)
    content, filename = upload
    collection = load_collection(content)
    form = LayerPropertiesForm(request.POST, choices=property_choices(collection))
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.import_layer(
                request.member.office,
                name=data["name"],
                source=collection,
                name_property=data["name_property"],
                code_property=data["code_property"],
                srid=data["srid"],
                filename=filename,
                by=request.member,
            )
        except DistrictFileRefused as exc:
            form.add_error(exc.field, exc.message)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            _drop_upload(request, token)
            _report_import(request, result)
            return redirect("geo:layer-detail", layer_id=result.layer.pk)
    return _properties_page(request, form, collection, filename)


def _properties_page(
    request: HttpRequest, form: LayerPropertiesForm, collection: dict[str, Any], filename: str
) -> HttpResponse:
    name = form["name"].value() or ""
    existing = (
        queries.layer_list(request.member.office).filter(slug=services.layer_slug(name)).first()
    )
    context = {
        "form": form,
        "step": 2,
        "filename": filename,
        "feature_count": len(collection["features"]),
        "declared_srid": declared_srid(collection),
        "looks_projected": _looks_projected(collection),
        "existing": existing,
    }
    return render(request, "geo/layer_import.html", context)


def _report_import(request: HttpRequest, result: services.LayerImport) -> None:
    message = ngettext(
        "Imported %(count)s district into “%(layer)s”.",
        "Imported %(count)s districts into “%(layer)s”.",
        result.district_count,
    ) % {"count": result.district_count, "layer": result.layer.name}
    if not result.is_new:
        message += " " + _("It replaces the %(count)s districts it had.") % {
            "count": result.replaced_count
        }
    if result.repaired_count:
        message += " " + _("%(count)s invalid shapes were repaired.") % {
            "count": result.repaired_count
        }
    if result.job is not None:
        message += " " + _("Addresses are being re-assigned in the background (see Jobs).")
    messages.success(request, message)


def _first_position(node: Any) -> list[float] | None:
    """The first [x, y] of a GeoJSON coordinates array, however deeply nested."""
    while isinstance(node, list) and node and isinstance(node[0], list):
        node = node[0]
    return node if isinstance(node, list) and len(node) >= 2 else None


def _looks_projected(collection: dict[str, Any]) -> bool:
    for feature in collection["features"][:20]:
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        position = _first_position((geometry or {}).get("coordinates"))
        if position and all(isinstance(value, int | float) for value in position[:2]):
            return abs(position[0]) > 180 or abs(position[1]) > 90
    return False


# ---------------------------------------------------------------- the file between the two steps


def _keep_upload(request: HttpRequest, content: bytes, filename: str) -> str:
    token = secrets.token_urlsafe(18)
    office_id = request.member.office_id
    path = default_storage.save(f"geo-uploads/{office_id}/{token}.geojson", ContentFile(content))
    uploads = request.session.get(UPLOADS_KEY, {})
    for key, upload in list(uploads.items()):  # unfinished imports of this session
        if time.time() - upload["at"] > UPLOAD_MAX_AGE:
            default_storage.delete(upload["path"])
            del uploads[key]
    uploads[token] = {
        "path": path,
        "filename": filename[:200],
        "office_id": office_id,
        "at": time.time(),
    }
    request.session[UPLOADS_KEY] = uploads
    return token


def _upload_name(request: HttpRequest, token: str) -> str:
    return request.session[UPLOADS_KEY][token]["filename"]


def _load_upload(request: HttpRequest, token: str) -> tuple[bytes, str] | None:
    upload = request.session.get(UPLOADS_KEY, {}).get(token)
    if upload is None or upload["office_id"] != request.member.office_id:
        return None
    try:
        with default_storage.open(upload["path"], "rb") as handle:
            return handle.read(), upload["filename"]
    except OSError:
        return None


def _drop_upload(request: HttpRequest, token: str) -> None:
    uploads = request.session.get(UPLOADS_KEY, {})
    upload = uploads.pop(token, None)
    if upload is not None:
        default_storage.delete(upload["path"])
        request.session[UPLOADS_KEY] = uploads
