"""Forms of the constituents pages. They check and shape what people type; the services write.

Contact points are validated here with the backend's normalizers (validation.py), so that a
message sits on the field that caused it and nothing typed is lost."""

import re
from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.core.forms import StyledFormMixin

from .models import (
    Channel,
    ContactKind,
    CustomField,
    CustomFieldType,
    Direction,
    InteractionKind,
    Organization,
    OrganizationKind,
    Person,
    Stance,
)
from .services import US_ZIP
from .validation import (
    AddressIn,
    EmailIn,
    PhoneIn,
    format_phone,
    normalize_email,
    normalize_phone,
)

# Preferred languages offered in the pickers (ISO 639-1 codes, plus sign language). A person
# imported with another code keeps it: the form adds their value to the choices.
LANGUAGE_CHOICES = [
    ("", _("—")),
    ("en", _("English")),
    ("es", _("Spanish")),
    ("zh", _("Chinese")),
    ("vi", _("Vietnamese")),
    ("tl", _("Tagalog")),
    ("ko", _("Korean")),
    ("ru", _("Russian")),
    ("ar", _("Arabic")),
    ("ht", _("Haitian Creole")),
    ("fr", _("French")),
    ("pt", _("Portuguese")),
    ("pl", _("Polish")),
    ("so", _("Somali")),
    ("am", _("Amharic")),
    ("bn", _("Bengali")),
    ("hi", _("Hindi")),
    ("ur", _("Urdu")),
    ("ja", _("Japanese")),
    ("de", _("German")),
    ("it", _("Italian")),
    ("asl", _("American Sign Language")),
]

# The office's call scripts. A simple list for now; an office-managed list comes later.
CALL_SCRIPTS = [
    ("", _("No script")),
    ("intake", _("New constituent intake")),
    ("issue-opinion", _("Opinion on an issue")),
    ("case-follow-up", _("Case follow-up")),
    ("event-invitation", _("Event invitation")),
    ("survey", _("Phone survey")),
]
OUTCOME_SUGGESTIONS = [
    _("Resolved on the call"),
    _("Left a message"),
    _("No answer"),
    _("Will call back"),
    _("Opened a case"),
    _("Referred to an agency"),
]
PRONOUN_SUGGESTIONS = ["she/her", "he/him", "they/them"]

# Interactions staff log by hand (later issues add kinds their own records create).
LOGGABLE_KINDS = [
    (value, label)
    for value, label in InteractionKind.choices
    if value in {"call", "walk_in", "email", "letter", "meeting", "note", "other"}
]

FLAG_FIELDS = [
    "do_not_email",
    "do_not_mail",
    "do_not_call",
    "do_not_text",
    "is_deceased",
    "is_vip",
    "is_out_of_district",
]
CONCERN_FIELDS = ["is_of_concern", "concern_reason"]
NAME_FIELDS = [
    "prefix",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "preferred_name",
    "salutation",
]
PERSONAL_FIELDS = ["birth_date", "birth_year", "language", "gender", "pronouns"]
CUSTOM_PREFIX = "custom_"


def tag_field(member, *, required: bool = False, label=None, keep=()) -> forms.Field:
    """The tags engineer's type-ahead picker, bound to the member's office's vocabulary."""
    from civicdesk.tags.forms import TagChoiceField

    field = TagChoiceField(label=label or _("Tags"), required=required)
    field.bind(member, keep=keep)
    return field


# ---------------------------------------------------------------- styling


class StyledForm(StyledFormMixin, forms.Form):
    """The core mixin's Bootstrap classes, also for the fields a form adds after __init__."""

    def style_added(self, names) -> None:
        for name in names:
            widget = self.fields[name].widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


# ---------------------------------------------------------------- the person form


class PersonForm(StyledForm):
    """Name, personal details, flags, custom fields and (on create) tags of a person."""

    prefix = forms.CharField(label=_("Prefix"), max_length=20, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    middle_name = forms.CharField(label=_("Middle name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    suffix = forms.CharField(label=_("Suffix"), max_length=20, required=False)
    preferred_name = forms.CharField(label=_("Preferred name"), max_length=100, required=False)
    salutation = forms.CharField(
        label=_("Salutation"),
        max_length=150,
        required=False,
        help_text=_("How letters greet them, e.g. “Dear Ms. Chen”."),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    birth_year = forms.IntegerField(
        label=_("Birth year"),
        required=False,
        min_value=1880,
        max_value=2100,
        help_text=_("When only the year is known."),
    )
    language = forms.ChoiceField(
        label=_("Preferred language"), choices=LANGUAGE_CHOICES, required=False
    )
    gender = forms.CharField(label=_("Gender"), max_length=40, required=False)
    pronouns = forms.CharField(
        label=_("Pronouns"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"list": "pronoun-suggestions"}),
    )
    do_not_email = forms.BooleanField(label=_("Do not email"), required=False)
    do_not_mail = forms.BooleanField(label=_("Do not mail"), required=False)
    do_not_call = forms.BooleanField(label=_("Do not call"), required=False)
    do_not_text = forms.BooleanField(label=_("Do not text"), required=False)
    is_deceased = forms.BooleanField(label=_("Deceased"), required=False)
    is_vip = forms.BooleanField(label=_("VIP"), required=False)
    is_out_of_district = forms.BooleanField(label=_("Out of district"), required=False)
    is_of_concern = forms.BooleanField(label=_("Person of concern"), required=False)
    concern_reason = forms.CharField(
        label=_("Reason for concern"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Seen only by managers and admins."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The tags the form was opened with: a save adds and removes only what this user changed.
    tags_before = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, member, person: Person | None = None, **kwargs):
        self.member = member
        self.person = person
        if person is not None and "initial" not in kwargs:
            kwargs["initial"] = person_initial(person)
        super().__init__(*args, **kwargs)
        if not member.can("person.view_concern"):
            for name in CONCERN_FIELDS:
                del self.fields[name]
        if person is None:
            del self.fields["version"]
            del self.fields["tags_before"]
        self.fields["tags"] = tag_field(member, keep=self.initial.get("tags", ()))
        language = self.data.get(self.add_prefix("language")) or self.initial.get("language")
        if language and language not in dict(LANGUAGE_CHOICES):
            self.fields["language"].choices = [*LANGUAGE_CHOICES, (language, language)]
        self.custom_fields = list(
            CustomField.objects.for_office(member.office).filter(is_active=True)
        )
        for custom in self.custom_fields:
            self.fields[CUSTOM_PREFIX + custom.key] = custom_form_field(custom)
        self.style_added(CUSTOM_PREFIX + custom.key for custom in self.custom_fields)

    # -------------------------------------------------------- groups, for the template

    def _bound(self, names):
        return [self[name] for name in names if name in self.fields]

    def name_fields(self):
        return self._bound(NAME_FIELDS)

    def personal_fields(self):
        return self._bound(PERSONAL_FIELDS)

    def flag_fields(self):
        return self._bound(FLAG_FIELDS)

    def concern_fields(self):
        return self._bound(CONCERN_FIELDS)

    def custom_bound_fields(self):
        return self._bound(CUSTOM_PREFIX + c.key for c in self.custom_fields)

    # -------------------------------------------------------- cleaning

    def clean(self):
        data = super().clean()
        if not any(data.get(n) for n in ("first_name", "last_name", "preferred_name")):
            self.add_error("last_name", _("Enter a first or last name."))
        born, year = data.get("birth_date"), data.get("birth_year")
        if born and year and born.year != year:
            self.add_error("birth_year", _("The birth year does not match the date of birth."))
        elif born:
            data["birth_year"] = born.year
        if born and born > timezone.localdate():
            self.add_error("birth_date", _("The date of birth is in the future."))
        if data.get("concern_reason") and not data.get("is_of_concern"):
            self.add_error(
                "is_of_concern", _("Tick “Person of concern” or clear the reason for concern.")
            )
        return data

    def person_fields(self) -> dict:
        """The cleaned values the services take as `fields`."""
        names = [*NAME_FIELDS, *PERSONAL_FIELDS, *FLAG_FIELDS, *CONCERN_FIELDS]
        fields = {name: self.cleaned_data[name] for name in names if name in self.fields}
        for name in ("prefix", "first_name", "middle_name", "last_name", "suffix"):
            fields[name] = fields[name].strip()
        if self.custom_fields:
            # The service applies these to the stored values: None or "" clears a field.
            fields["custom"] = {
                custom.key: self.cleaned_data.get(CUSTOM_PREFIX + custom.key)
                for custom in self.custom_fields
            }
        return fields

    def tag_ids(self) -> list[int]:
        return [tag.pk for tag in self.cleaned_data.get("tags") or []]

    def tag_changes(self) -> tuple[list[int], list[int]]:
        """(added, removed) tag ids, against the tags the form was opened with."""
        before = {int(v) for v in (self.cleaned_data.get("tags_before") or "").split(",") if v}
        after = set(self.tag_ids())
        return sorted(after - before), sorted(before - after)


def person_initial(person: Person) -> dict:
    initial = {
        name: getattr(person, name)
        for name in [*NAME_FIELDS, *PERSONAL_FIELDS, *FLAG_FIELDS, *CONCERN_FIELDS]
    }
    initial["version"] = person.version
    tags = [link.tag for link in person.tag_links.all()]
    initial["tags"] = tags
    initial["tags_before"] = ",".join(str(tag.pk) for tag in tags)
    for key, value in (person.custom or {}).items():
        initial[CUSTOM_PREFIX + key] = value
    return initial


def custom_form_field(field: CustomField) -> forms.Field:
    label, kind = field.label, field.field_type
    choices = [(str(c), str(c)) for c in field.choices or []]
    if kind == CustomFieldType.NUMBER:
        return forms.DecimalField(label=label, required=False)
    if kind == CustomFieldType.DATE:
        return forms.DateField(
            label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
    if kind == CustomFieldType.CHOICE:
        return forms.ChoiceField(label=label, required=False, choices=[("", "—"), *choices])
    if kind == CustomFieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            label=label, required=False, choices=choices, widget=forms.CheckboxSelectMultiple
        )
    if kind == CustomFieldType.YES_NO:
        return forms.NullBooleanField(
            label=label,
            required=False,
            widget=forms.Select(choices=[("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]),
        )
    return forms.CharField(label=label, required=False, max_length=500)


# ---------------------------------------------------------------- contact rows (formsets)


class ContactRowForm(StyledForm):
    """One repeatable row: an email, a phone or an address. A row left blank is dropped."""

    main_field = ""  # the field that makes the row count
    kind_default = ContactKind.HOME
    kind = forms.ChoiceField(label=_("Type"), choices=ContactKind.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].initial = self.kind_default
        self.is_primary = False  # set by the formset from the row's radio button

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get(self.main_field)

    @property
    def is_removed(self) -> bool:
        return bool(getattr(self, "cleaned_data", {}).get("DELETE"))


class EmailRowForm(ContactRowForm):
    main_field = "email"
    email = forms.CharField(
        label=_("Email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=ContactKind.choices)

    def clean_email(self):
        text = self.cleaned_data["email"].strip()
        return normalize_email(text) if text else ""

    def to_input(self) -> EmailIn:
        data = self.cleaned_data
        return EmailIn(email=data["email"], kind=data["kind"], is_primary=self.is_primary)


class PhoneRowForm(ContactRowForm):
    main_field = "number"
    kind_default = ContactKind.MOBILE
    number = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    extension = forms.CharField(label=_("Extension"), required=False, max_length=10)
    kind = forms.ChoiceField(label=_("Type"), choices=ContactKind.choices)

    def clean_number(self):
        text = self.cleaned_data["number"].strip()
        return normalize_phone(text) if text else ""

    def clean(self):
        data = super().clean()
        if data.get("extension") and not data.get("number") and "number" not in self.errors:
            self.add_error("number", _("Enter the number this extension belongs to."))
        return data

    def to_input(self) -> PhoneIn:
        data = self.cleaned_data
        return PhoneIn(
            number=data["number"],
            kind=data["kind"],
            is_primary=self.is_primary,
            extension=data["extension"].strip(),
        )


ADDRESS_TEXT_FIELDS = ["line1", "line2", "city", "region", "postcode", "country"]


class AddressRowForm(ContactRowForm):
    main_field = "line1"
    line1 = forms.CharField(
        label=_("Street address"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    line2 = forms.CharField(label=_("Apartment, suite, unit"), required=False, max_length=200)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    region = forms.CharField(label=_("State"), required=False, max_length=100)
    postcode = forms.CharField(label=_("ZIP code"), required=False, max_length=20)
    country = forms.CharField(label=_("Country"), required=False, max_length=2, initial="US")
    kind = forms.ChoiceField(label=_("Type"), choices=ContactKind.choices)

    def clean(self):
        data = super().clean()
        others = [data.get(n) for n in ("line2", "city", "postcode")]
        if not data.get("line1") and any(others):
            self.add_error("line1", _("Enter the street address, or clear this address."))
        country = (data.get("country") or "US").strip().upper()
        data["country"] = country
        if not re.fullmatch(r"[A-Z]{2}", country):
            self.add_error("country", _("Use the two-letter country code, e.g. US."))
        postcode = (data.get("postcode") or "").strip().upper()
        if country == "US" and postcode and not US_ZIP.fullmatch(postcode):
            self.add_error("postcode", _("“%(value)s” is not a ZIP code.") % {"value": postcode})
        return data

    def to_input(self) -> AddressIn:
        # An address whose text is unchanged keeps its stored position (and a hand-placed pin);
        # a new or changed one is geocoded by the service.
        data = self.cleaned_data
        return AddressIn(
            line1=data["line1"].strip(),
            line2=data["line2"].strip(),
            city=data["city"].strip(),
            region=data["region"].strip(),
            postcode=data["postcode"].strip().upper(),
            country=data["country"],
            kind=data["kind"],
            is_primary=self.is_primary,
        )


class ContactFormSet(forms.BaseFormSet):
    """Rows of one kind with a "primary" radio group (`<prefix>-primary` = the row's prefix)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.primary = self._primary_choice()

    def _primary_choice(self) -> str:
        if self.is_bound:
            return self.data.get(f"{self.prefix}-primary", "")
        for index, initial in enumerate(self.initial or []):
            if initial.get("is_primary"):
                return self.add_prefix(index)
        return self.add_prefix(0)

    @property
    def primary_name(self) -> str:
        return f"{self.prefix}-primary"

    def kept_forms(self) -> list[ContactRowForm]:
        """The rows to save: filled in and not removed, with exactly one primary."""
        kept = [f for f in self.forms if f.is_valid() and not f.is_blank and not f.is_removed]
        for form in kept:
            form.is_primary = form.prefix == self.primary
        if kept and not any(f.is_primary for f in kept):
            kept[0].is_primary = True
        return kept

    def inputs(self) -> list:
        return [form.to_input() for form in self.kept_forms()]


def contact_formset(form_class, prefix: str):
    return formset_factory(form_class, formset=ContactFormSet, extra=0, can_delete=True)


EmailFormSet = contact_formset(EmailRowForm, "emails")
PhoneFormSet = contact_formset(PhoneRowForm, "phones")
AddressFormSet = contact_formset(AddressRowForm, "addresses")

CONTACT_KINDS = {
    # kind of row -> (formset class, prefix, heading)
    "email": (EmailFormSet, "emails"),
    "phone": (PhoneFormSet, "phones"),
    "address": (AddressFormSet, "addresses"),
}


def contact_formsets(data=None, person: Person | None = None) -> dict:
    """The three formsets of the person form, filled from the person (or one blank row each)."""
    initial = contact_initial(person) if person is not None else {}
    formsets = {}
    for kind, (formset_class, prefix) in CONTACT_KINDS.items():
        rows = initial.get(kind) or [{}]
        formsets[kind] = formset_class(data, prefix=prefix, initial=rows)
    return formsets


def contact_initial(person: Person) -> dict:
    emails = sorted(person.emails.all(), key=lambda e: (not e.is_primary, e.pk))
    phones = sorted(person.phones.all(), key=lambda p: (not p.is_primary, p.pk))
    addresses = sorted(person.addresses.all(), key=lambda a: (not a.is_primary, a.pk))
    return {
        "email": [{"email": e.email, "kind": e.kind, "is_primary": e.is_primary} for e in emails],
        "phone": [
            {
                "number": format_phone(p.number),
                "extension": p.extension,
                "kind": p.kind,
                "is_primary": p.is_primary,
            }
            for p in phones
        ],
        "address": [address_initial(a) for a in addresses],
    }


def address_initial(address) -> dict:
    values = {name: getattr(address, name) for name in ADDRESS_TEXT_FIELDS}
    return {**values, "kind": address.kind, "is_primary": address.is_primary}


# ---------------------------------------------------------------- the people list


class PersonFilterForm(forms.Form):
    """The filters of the people list (all optional; an invalid value is ignored)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    district = forms.TypedChoiceField(
        label=_("District"), required=False, coerce=int, empty_value=None
    )
    tags = forms.Field(label=_("Tags"), required=False)
    tag_mode = forms.ChoiceField(
        label=_("Match"),
        required=False,
        choices=[
            ("any", _("any of these tags")),
            ("all", _("all of these tags")),
            ("none", _("none of these tags")),
        ],
    )
    flags = forms.MultipleChoiceField(
        label=_("Flags"), required=False, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(label=_("Language"), required=False, choices=LANGUAGE_CHOICES)
    order = forms.ChoiceField(
        required=False,
        choices=[
            ("name", "name"),
            ("-name", "-name"),
            ("updated", "updated"),
            ("-updated", "-updated"),
        ],
    )
    after = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, member, district_choices, flag_choices, **kwargs):
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("Any district")), *district_choices]
        self.fields["flags"].choices = flag_choices
        posted = self.data.getlist("tags") if hasattr(self.data, "getlist") else []
        # Filtering by a deprecated tag still finds the old records that carry it.
        keep = [int(v) for v in posted if str(v).isdigit()]
        self.fields["tags"] = tag_field(member, label=_("Tags"), keep=keep)

    def cleaned_or_default(self) -> dict:
        """The valid filters: an invalid one (a stale link, a removed tag) is left out."""
        self.is_valid()
        data = {name: self.fields[name].initial for name in self.fields}
        data.update(getattr(self, "cleaned_data", {}))
        return data


class BulkTagForm(forms.Form):
    person_ids = forms.TypedMultipleChoiceField(coerce=int, required=True)
    action = forms.ChoiceField(choices=[("tag", "tag"), ("untag", "untag")])

    def __init__(self, *args, member, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["tags"] = tag_field(member, required=True)
        self.fields["tags"].error_messages["required"] = _("Choose at least one tag.")
        self.fields["person_ids"].choices = [
            (value, value) for value in (self.data.getlist("person_ids") if self.data else [])
        ]
        self.fields["person_ids"].error_messages["required"] = _(
            "Select at least one person first."
        )


# ---------------------------------------------------------------- the person page


class InteractionForm(StyledForm):
    """The quick "log a call / walk-in" form on the person page."""

    kind = forms.ChoiceField(label=_("What"), choices=LOGGABLE_KINDS, initial="call")
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Direction.choices, initial=Direction.INBOUND
    )
    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    script = forms.ChoiceField(label=_("Script"), choices=CALL_SCRIPTS, required=False)
    outcome = forms.CharField(
        label=_("Outcome"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "outcome-suggestions"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault(
            "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        kwargs.setdefault("auto_id", "log_%s")
        super().__init__(*args, **kwargs)

    def clean_occurred_at(self):
        when = self.cleaned_data["occurred_at"]
        if when > timezone.now() + timedelta(minutes=5):
            raise ValidationError(_("This is in the future: log it once it has happened."))
        return when

    def clean(self):
        data = super().clean()
        if not data.get("subject") and not data.get("notes") and not self.errors:
            self.add_error("subject", _("Write a subject or a few notes."))
        return data


class PersonTagsForm(forms.Form):
    def __init__(self, *args, member, **kwargs):
        kwargs.setdefault("auto_id", "person_tags_%s")
        super().__init__(*args, **kwargs)
        self.fields["tags"] = tag_field(member, required=True, label=_("Add tags"))
        self.fields["tags"].error_messages["required"] = _("Choose a tag first.")


class AddressPositionForm(forms.Form):
    latitude = forms.FloatField(min_value=-90, max_value=90)
    longitude = forms.FloatField(min_value=-180, max_value=180)


class ConsentForm(StyledForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    is_granted = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("yes", _("Yes, may contact")), ("no", _("No, may not contact"))],
        coerce=lambda value: value == "yes",
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. signed card at town hall")}),
    )
    given_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"given_on": timezone.localdate()})
        kwargs.setdefault("auto_id", "consent_%s")
        super().__init__(*args, **kwargs)


class ExternalIdForm(StyledForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "external_%s")
        super().__init__(*args, **kwargs)

    system = forms.CharField(
        label=_("System"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. voter")}),
    )
    value = forms.CharField(label=_("ID"), max_length=100)


class PositionForm(StyledForm):
    stance = forms.ChoiceField(label=_("Position"), choices=Stance.choices)
    bill_number = forms.CharField(label=_("Bill number"), max_length=40, required=False)
    noted_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    source = forms.CharField(label=_("Source"), max_length=200, required=False)

    def __init__(self, *args, member, **kwargs):
        kwargs.setdefault("initial", {"noted_on": timezone.localdate()})
        kwargs.setdefault("auto_id", "position_%s")
        super().__init__(*args, **kwargs)
        self.fields["issue"] = tag_field(member, label=_("Issue"))
        self.order_fields(["stance", "issue", "bill_number", "noted_on", "source"])

    def clean(self):
        data = super().clean()
        issues = data.get("issue") or []
        if len(issues) > 1:
            self.add_error("issue", _("Choose one issue per position."))
        data["tag_id"] = issues[0].pk if issues else None
        if not data["tag_id"] and not data.get("bill_number") and "issue" not in self.errors:
            self.add_error("bill_number", _("Choose an issue or enter a bill number."))
        return data


class RelationshipForm(StyledForm):
    kind = forms.CharField(
        label=_("Relationship"),
        max_length=60,
        widget=forms.TextInput(attrs={"list": "relationship-suggestions"}),
    )
    other_person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    organization = forms.TypedChoiceField(
        label=_("Organization"), required=False, coerce=int, empty_value=None
    )
    title = forms.CharField(label=_("Title"), max_length=100, required=False)

    def __init__(self, *args, member, person: Person, **kwargs):
        kwargs.setdefault("auto_id", "relationship_%s")
        super().__init__(*args, **kwargs)
        self.member, self.person = member, person
        organizations = Organization.objects.for_office(member.office).filter(is_active=True)
        self.fields["organization"].choices = [
            ("", _("— a person instead —")),
            *organizations.order_by("name").values_list("pk", "name"),
        ]

    def clean(self):
        data = super().clean()
        other_id, org_id = data.get("other_person"), data.get("organization")
        if bool(other_id) == bool(org_id):
            raise ValidationError(_("Choose one person or one organization."))
        if other_id:
            people = Person.objects.for_office(self.member.office).exclude(pk=self.person.pk)
            data["other_person"] = people.filter(pk=other_id).first()
            if data["other_person"] is None:
                raise ValidationError(_("That person is not in this office's records."))
        if org_id:
            data["organization"] = Organization.objects.for_office(self.member.office).get(
                pk=org_id
            )
        return data


class HouseholdForm(StyledForm):
    name = forms.CharField(label=_("Household name"), max_length=200)
    joint_salutation = forms.CharField(
        label=_("Joint salutation"),
        max_length=200,
        required=False,
        help_text=_("How letters to the household begin, e.g. “Dear Mr. and Mrs. Okafor”."),
    )
    member_ids = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        values = self.data.getlist("member_ids") if self.data else []
        self.fields["member_ids"].choices = [(v, v) for v in values]

    def clean_member_ids(self):
        ids = self.cleaned_data["member_ids"]
        people = Person.objects.for_office(self.member.office).filter(pk__in=ids)
        return list(people.values_list("pk", flat=True))


class HouseholdMemberForm(forms.Form):
    person_id = forms.IntegerField()


# ---------------------------------------------------------------- organizations


class OrganizationForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganizationKind.choices)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_phone(self):
        text = self.cleaned_data["phone"].strip()
        return normalize_phone(text) if text else ""


class OrganizationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *OrganizationKind.choices]
    )


# ---------------------------------------------------------------- custom fields


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class CustomFieldForm(StyledForm):
    """Add a field to the office's people (the service checks the key and the choices)."""

    label = forms.CharField(label=_("Label"), max_length=100)
    key = forms.CharField(
        label=_("Key"),
        max_length=50,
        required=False,
        help_text=_("Used in imports, exports and the API; made from the label when left empty."),
    )
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a choice field: one choice per line."),
    )

    def clean_choices(self) -> list[str]:
        return _lines(self.cleaned_data["choices"])


class CustomFieldEditForm(StyledForm):
    label = forms.CharField(label=_("Label"), max_length=100)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One choice per line."),
    )

    def clean_choices(self) -> list[str]:
        return _lines(self.cleaned_data["choices"])
