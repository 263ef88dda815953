"""Pages of the tags app: the vocabulary, a tag's page with its admin forms and history, and
the picker's two endpoints (suggestions; creating a tag from the picker)."""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicdesk.core.access import require_member
from civicdesk.core.errors import DomainError
from civicdesk.core.htmx import partial_or_page

from . import queries, services
from .forms import TagAliasForm, TagCreateForm, TagEditForm, TagMergeForm, TagMoveForm
from .models import Tag, normalize

SAFE_ID = re.compile(r"[A-Za-z][\w-]{0,79}")


@require_member("tag.view")
def tag_list(request: HttpRequest) -> HttpResponse:
    office = request.member.office
    form = TagCreateForm(request.POST or None, office=office)
    status = 200
    if request.method == "POST":
        if not request.member.can("tag.create"):
            raise PermissionDenied
        if form.is_valid():
            try:
                tag = services.create_tag(office, by=request.member, **form.cleaned_data)
            except DomainError as exc:
                form.add_error("name", exc.message)
            else:
                messages.success(request, _("Tag “%(path)s” created.") % {"path": tag.path})
                return redirect("tags:tag-detail", tag_id=tag.pk)
        status = 400
    show = request.GET.get("show", "all")
    show = show if show in queries.SHOW_CHOICES else "all"
    q = request.GET.get("q", "").strip()[:100]
    context = {
        "rows": queries.tag_tree(office, show=show, text=q),
        "show": show,
        "q": q,
        "form": form,
    }
    template = partial_or_page(request, "tags/tag_list.html", "tag-tree")
    return render(request, template, context, status=status)


def _detail_forms(tag: Tag, data=None, action: str | None = None) -> dict:
    """The admin forms of a tag's page; only the one named by `action` is bound to `data`."""

    def bound(name: str):
        return data if action == name else None

    return {
        "edit_form": TagEditForm(
            bound("edit"), initial={"name": tag.name, "description": tag.description}
        ),
        "move_form": TagMoveForm(bound("move"), tag=tag, initial={"parent": tag.parent_id}),
        "alias_form": TagAliasForm(bound("alias_add")),
        "merge_form": TagMergeForm(bound("merge"), tag=tag),
    }


def _apply(request: HttpRequest, tag: Tag, action: str, forms: dict) -> str | None:
    """Run one admin action; returns the success message, or None when its form is invalid."""
    by = request.member
    if action == "edit" and forms["edit_form"].is_valid():
        data = forms["edit_form"].cleaned_data
        services.rename_tag(
            tag, name=data["name"], by=by, keep_old_name_as_alias=data["keep_old_name_as_alias"]
        )
        services.describe_tag(tag, description=data["description"], by=by)
        return _("Saved.")
    if action == "move" and forms["move_form"].is_valid():
        tag = services.move_tag(tag, parent=forms["move_form"].cleaned_data["parent"], by=by)
        return _("Moved: now %(path)s.") % {"path": tag.path}
    if action == "alias_add" and forms["alias_form"].is_valid():
        alias = services.add_alias(tag, alias=forms["alias_form"].cleaned_data["alias"], by=by)
        return _("“%(alias)s” now finds this tag.") % {"alias": alias.alias}
    if action == "alias_remove":
        alias = queries.get_alias(tag, request.POST.get("alias_id") or 0)
        services.remove_alias(alias, by=by)
        return _("Alias “%(alias)s” removed.") % {"alias": alias.alias}
    if action == "merge" and forms["merge_form"].is_valid():
        into = services.merge_tags(tag, forms["merge_form"].cleaned_data["into"], by=by)
        return _("Merged into %(path)s; its records carry that tag now.") % {"path": into.path}
    if action == "deprecate":
        services.deprecate_tag(tag, by=by)
        return _("Deprecated: hidden from pickers, kept on records.")
    if action == "restore":
        services.restore_tag(tag, by=by)
        return _("Restored: pickers offer it again.")
    return None


@require_member("tag.view")
def tag_detail(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = queries.get_tag(request.member, tag_id)
    action = request.POST.get("action", "")
    forms = _detail_forms(tag, request.POST if request.method == "POST" else None, action)
    status = 200
    if request.method == "POST":
        if not request.member.can("tag.manage"):
            raise PermissionDenied
        try:
            done = _apply(request, tag, action, forms)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("tags:tag-detail", tag_id=tag.pk)
        if done is not None:
            messages.success(request, done)
            return redirect("tags:tag-detail", tag_id=tag.pk)
        status = 400
    context = {
        "tag": tag,
        "aliases": tag.aliases.order_by("alias"),
        "children": tag.children.order_by("name"),
        "history": queries.tag_history(tag)[:200],
        **forms,
    }
    return render(request, "tags/tag_detail.html", context, status=status)


@require_member("tag.view")
def typeahead(request: HttpRequest) -> HttpResponse:
    """The picker's suggestions (tags/_suggestions.html) for ?q=. The picker also sends its id
    (`picker`), its field name (`field`) with the ids already chosen, and `create=0` when it
    must not offer to create a tag."""
    office = request.member.office
    text = request.GET.get("q", "")[:100]
    field = request.GET.get("field", "tags")
    picker = request.GET.get("picker", "")
    picker = picker if SAFE_ID.fullmatch(picker) else "tag-picker"
    chosen = [v for v in request.GET.getlist(field) if v.isdigit()]
    suggestions = queries.typeahead(office, text, limit=10, exclude=chosen)
    offer_create = (
        request.member.can("tag.create")
        and request.GET.get("create", "1") != "0"
        and bool(normalize(text))
        and queries.resolve_tag(office, text) is None
    )
    context = {
        "suggestions": suggestions,
        "q": " ".join(text.split()),
        "picker": picker,
        "offer_create": offer_create,
    }
    return render(request, "tags/_suggestions.html", context)


@require_POST
@require_member("tag.create")
def create_inline(request: HttpRequest) -> HttpResponse:
    """Answer a picker's "Create “xyz”" with the new tag's chip; "Parent › xyz" (or with ">")
    puts it under an existing tag. When the text already names a tag in use (or an alias of
    one), that tag's chip comes back instead. A refusal answers its reason as plain text."""
    office = request.member.office
    text = request.POST.get("name", "")
    field = request.POST.get("field", "tags")
    field = field if SAFE_ID.fullmatch(field) else "tags"
    tag = queries.resolve_tag(office, text)
    status = 200
    try:
        if tag is None or tag.is_deprecated:
            parent_path, name = queries.split_path(text)
            parent = queries.resolve_tag(office, parent_path) if parent_path else None
            if parent_path and parent is None:
                message = _("There is no tag “%(path)s” to put it under.") % {"path": parent_path}
                raise DomainError(message, code="tag_unknown")
            tag = services.create_tag(office, name=name, parent=parent, by=request.member)
            status = 201
    except DomainError as exc:
        return HttpResponse(
            exc.message, status=exc.status, content_type="text/plain; charset=utf-8"
        )
    return render(request, "tags/_chip.html", {"tag": tag, "name": field}, status=status)
