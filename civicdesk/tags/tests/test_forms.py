"""The picker as other apps' forms use it: TagChoiceField and its widget."""

from django import forms
from django.http import QueryDict
from django.urls import reverse

from civicdesk.core.forms import StyledFormMixin
from civicdesk.tags.forms import TagChoiceField
from civicdesk.tags.services import deprecate_tag


class IssueForm(StyledFormMixin, forms.Form):
    """What another app writes to let staff pick tags: the field reads `form.member`."""

    tags = TagChoiceField(label="Issues")

    def __init__(self, *args, member, **kwargs):
        self.member = member
        super().__init__(*args, **kwargs)


class BoundIssueForm(forms.Form):
    """The other way: bind the field explicitly, with the tags to keep."""

    def __init__(self, *args, member, keep=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"] = TagChoiceField(label="Issues")
        self.fields["tags"].bind(member, keep=keep)


def posted(*ids) -> QueryDict:
    data = QueryDict(mutable=True)
    data.setlist("tags", [str(i) for i in ids])
    return data


def test_chosen_ids_come_back_as_tags_in_the_order_chosen(alice, street_repair, housing):
    form = IssueForm(posted(housing.pk, street_repair.pk), member=alice)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["tags"] == [housing, street_repair]


def test_no_chips_means_no_tags(alice, street_repair):
    form = IssueForm(posted(), member=alice)

    assert form.is_valid()
    assert form.cleaned_data["tags"] == []


def test_another_offices_tag_is_refused(alice, street_repair, ward2_tag):
    form = IssueForm(posted(street_repair.pk, ward2_tag.pk), member=alice)

    assert not form.is_valid()
    assert form.errors["tags"] == ["That tag is not in this office's vocabulary."]


def test_junk_is_refused(alice):
    form = IssueForm(posted("drop table"), member=alice)

    assert form.errors["tags"] == ["“drop table” is not a tag."]


def test_a_deprecated_tag_is_refused_unless_the_record_already_had_it(alice, adam, parking):
    deprecate_tag(parking, by=adam)

    new_record = IssueForm(posted(parking.pk), member=alice)
    old_record = IssueForm(posted(parking.pk), member=alice, initial={"tags": [parking]})

    assert new_record.errors["tags"] == [
        "“Transportation › Parking” is deprecated; choose another tag."
    ]
    assert old_record.is_valid()
    assert old_record.cleaned_data["tags"] == [parking]


def test_an_explicitly_bound_field_keeps_what_it_is_told(alice, adam, parking, street_repair):
    deprecate_tag(parking, by=adam)

    kept = BoundIssueForm(posted(parking.pk, street_repair.pk), member=alice, keep=[parking.pk])
    not_kept = BoundIssueForm(posted(parking.pk), member=alice)

    assert kept.is_valid()
    assert kept.cleaned_data["tags"] == [parking, street_repair]
    assert not not_kept.is_valid()


def test_an_unbound_field_accepts_nothing(street_repair):
    class Unbound(forms.Form):
        tags = TagChoiceField()

    assert not Unbound(posted(street_repair.pk)).is_valid()


def test_the_widget_renders_the_picker_with_chips(alice, street_repair):
    html = str(IssueForm(member=alice, initial={"tags": [street_repair]})["tags"])

    assert 'id="id_tags"' in html
    assert 'role="combobox"' in html
    assert f'hx-get="{reverse("tags:typeahead")}"' in html
    assert 'hx-include="#id_tags-chips"' in html
    assert 'role="listbox"' in html
    assert f'<input type="hidden" name="tags" value="{street_repair.pk}">' in html
    assert "Transportation › Street repair" in html
    assert 'src="/static/tags/picker.js"' in html
    assert "data-create-url" not in html  # alice may not create tags
    assert '"create": "0"' in html


def test_the_widget_offers_creating_to_managers(manny):
    html = str(IssueForm(member=manny)["tags"])

    assert f'data-create-url="{reverse("tags:create-inline")}"' in html
    assert '"create": "1"' in html


def test_the_label_points_at_the_text_box(alice):
    form = IssueForm(member=alice)

    assert form["tags"].id_for_label == "id_tags"


def test_the_widget_takes_a_queryset_as_initial(alice, ward1, street_repair, parking):
    from civicdesk.tags.models import Tag

    html = str(IssueForm(member=alice, initial={"tags": Tag.objects.filter(pk=parking.pk)})["tags"])

    assert f'name="tags" value="{parking.pk}"' in html
    assert f'value="{street_repair.pk}"' not in html
