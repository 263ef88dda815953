"""Forms of the vocabulary pages, and the tag picker other apps' forms use:

    from civicdesk.tags.forms import TagChoiceField

    class PersonForm(StyledFormMixin, forms.Form):
        tags = TagChoiceField(label=_("Tags"), required=False)

        def __init__(self, *args, member, **kwargs):
            self.member = member  # before super(): StyledFormMixin validates in its __init__
            super().__init__(*args, **kwargs)

`{{ form.tags }}` renders the picker (tags/_picker.html); `form.cleaned_data["tags"]` is a
list of Tag objects of the member's office, in the order chosen. A field added or configured
after super().__init__ calls `field.bind(member, keep=...)` instead of relying on form.member.
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.models import Membership
from civicdesk.core.forms import StyledFormMixin

from . import queries
from .models import Tag


class TagPicker(forms.Widget):
    """The type-ahead picker: a text input that asks `tags:typeahead`, and the chosen tags as
    chips, each posting a hidden input `<name>=<tag id>`."""

    template_name = "tags/_picker.html"
    allow_multiple_selected = True

    def __init__(self, attrs: dict[str, Any] | None = None, *, allow_create: bool = True):
        super().__init__(attrs)
        self.office = None
        self.can_create = False
        self.allow_create = allow_create

    def format_value(self, value: Any) -> list[str]:
        if value is None or value == "":
            return []
        values = [value] if isinstance(value, str | int | Tag) else list(value)
        return [str(v.pk if isinstance(v, Tag) else v) for v in values]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False  # no chips posted means "no tags", not "leave unchanged"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        chosen = queries.tags_by_ids(self.office, self.format_value(value)) if self.office else []
        context.update(
            name=name,
            input_id=widget_attrs.get("id") or f"id_{name}",
            chosen=chosen,
            can_create=self.can_create and self.allow_create,
            placeholder=widget_attrs.get("placeholder", ""),
            invalid="is-invalid" in widget_attrs.get("class", ""),
        )
        return context


class TagChoiceField(forms.ModelMultipleChoiceField):
    """Tag ids posted by the picker. Valid: tags of the member's office that are in use; a
    deprecated tag only if it is kept (already on the record: old records keep theirs).

    The member comes from `bind(member, keep=...)`, or else from the form's `member` attribute
    (then the field's initial value is what is kept). With neither, every id is refused."""

    widget = TagPicker
    default_error_messages = {
        "invalid_choice": _("That tag is not in this office's vocabulary."),
        "invalid_pk_value": _("“%(pk)s” is not a tag."),
        "deprecated": _("“%(tag)s” is deprecated; choose another tag."),
    }

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        super().__init__(queryset=Tag.objects.none(), **kwargs)
        self.kept_ids: set[int] = set()
        self.is_bound_explicitly = False

    def bind(self, member: Membership, *, keep: Iterable[Tag | int] = ()) -> None:
        """Scope the field to the member's office; `keep`: tags (or ids) the record already
        carries, which stay valid even if deprecated since."""
        self._scope(member, keep)
        self.is_bound_explicitly = True

    def _scope(self, member: Membership, keep: Iterable[Tag | int] | None) -> None:
        self.queryset = Tag.objects.for_office(member.office)
        self.kept_ids = {t.pk if isinstance(t, Tag) else int(t) for t in keep or ()}
        self.widget.office = member.office
        self.widget.can_create = member.can("tag.create")

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> Any:
        member = getattr(form, "member", None)
        if not self.is_bound_explicitly and member is not None:
            self._scope(member, form.get_initial_for_field(self, field_name))
        return super().get_bound_field(form, field_name)

    def clean(self, value: Any) -> list[Tag]:
        tags = super().clean(value)
        chosen = [] if not tags else list(tags)
        order = [str(v) for v in self.widget.format_value(value)]
        chosen.sort(key=lambda t: order.index(str(t.pk)) if str(t.pk) in order else 0)
        for tag in chosen:
            if tag.is_deprecated and tag.pk not in self.kept_ids:
                raise ValidationError(
                    self.error_messages["deprecated"], code="deprecated", params={"tag": tag.path}
                )
        return chosen


# ---------------------------------------------------------------- the vocabulary pages


class TagParentField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Tag) -> str:
        return obj.path


# The choices of a tag field depend on the office or the tag, and StyledFormMixin validates a
# bound form inside its own __init__: each form below sets its choices in a base class's
# __init__, which runs before the mixin looks (the mixin comes first in the bases).


class _TagCreateFields(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = TagParentField(
        label=_("Under"), queryset=Tag.objects.none(), required=False, empty_label=_("Top level")
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args: Any, office: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = queries.tag_options(office)


class TagCreateForm(StyledFormMixin, _TagCreateFields):
    pass


class TagEditForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    keep_old_name_as_alias = forms.BooleanField(
        label=_("Keep the old name as an alias"), required=False, initial=True
    )


class _TagMoveFields(forms.Form):
    parent = TagParentField(
        label=_("Move under"),
        queryset=Tag.objects.none(),
        required=False,
        empty_label=_("Top level"),
    )

    def __init__(self, *args: Any, tag: Tag, **kwargs: Any):
        super().__init__(*args, **kwargs)
        exclude = {tag.pk} | queries.descendant_ids(tag)
        self.fields["parent"].queryset = queries.tag_options(tag.office, exclude=exclude)


class TagMoveForm(StyledFormMixin, _TagMoveFields):
    pass


class TagAliasForm(StyledFormMixin, forms.Form):
    alias = forms.CharField(label=_("Alias"), max_length=100)


class _TagMergeFields(forms.Form):
    into = TagParentField(label=_("Merge into"), queryset=Tag.objects.none())

    def __init__(self, *args: Any, tag: Tag, **kwargs: Any):
        super().__init__(*args, **kwargs)
        exclude = {tag.pk} | queries.descendant_ids(tag)
        self.fields["into"].queryset = queries.tag_options(tag.office, exclude=exclude)


class TagMergeForm(StyledFormMixin, _TagMergeFields):
    pass
