"""Forms of the import wizard (upload, file shape, column mapping, fixing a failed row, renaming
a saved mapping) and the upload handler that streams a file to disk and stops at the size limit.
Choices are scoped to the member's office when the form is made."""

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.constituents.models import CustomField
from civicdesk.core.errors import DomainError
from civicdesk.core.forms import StyledFormMixin
from civicdesk.geo.models import DistrictLayer
from civicdesk.tabular.mapping import TARGETS, Mapping, is_target, target_label

from .models import DEFAULT_MATCH_RULES, MatchRule

NAME_TARGETS = ("first_name", "last_name", "full_name")
DELIMITERS = [
    ("\t", _("Tab")),
    (",", _("Comma (,)")),
    ("|", _("Pipe (|)")),
    (";", _("Semicolon (;)")),
]
ENCODINGS = [
    ("utf-8", _("UTF-8")),
    ("utf-8-sig", _("UTF-8 with a byte-order mark")),
    ("cp1252", _("Windows (CP1252)")),
    ("latin-1", _("Latin-1 (ISO 8859-1)")),
]
DATE_ORDERS = [
    ("", _("Detect from the file")),
    ("MDY", _("Month/day/year (03/31/1990)")),
    ("YMD", _("Year-month-day (1990-03-31, 19900331)")),
    ("DMY", _("Day/month/year (31/03/1990)")),
]


class StyledForm(StyledFormMixin, forms.Form):
    pass


# ---------------------------------------------------------------- the upload


def max_upload_bytes() -> int:
    return int(getattr(settings, "CIVICDESK_IMPORT_MAX_MB", 2048)) * 1024 * 1024


class ImportTooBig(DomainError):
    code = "import_too_big"
    status = 413

    def __init__(self):
        limit = max_upload_bytes() // (1024 * 1024)
        super().__init__(
            str(_("The file is larger than the limit of %(mb)s MB. Split it into parts.")
                % {"mb": limit})
        )  # fmt: skip


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Writes the upload to a temporary file as it arrives (never whole in memory), and stops
    keeping it once it passes the limit: the rest of the body is read and thrown away, so the
    browser still gets the page that says why."""

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.is_too_big = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.is_too_big = True
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


def limit_uploads(request) -> LimitedUploadHandler | None:
    """Put the limiting handler on a request whose body is not read yet; None if it was (the
    size is then checked on the file Django kept)."""
    handler = LimitedUploadHandler(request, limit=max_upload_bytes())
    try:
        request.upload_handlers = [handler]
    except AttributeError:  # "You cannot set the upload handlers after the upload..."
        return None
    return handler


def uploaded_file(request, handler: LimitedUploadHandler | None, name: str = "file"):
    """The file posted as `name`, or None. Raises ImportTooBig past the limit."""
    upload = request.FILES.get(name)
    if (handler is not None and handler.is_too_big) or (
        upload is not None and upload.size > max_upload_bytes()
    ):
        raise ImportTooBig
    return upload


class UploadForm(StyledForm):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV, tab-separated, pipe-delimited or Excel (.xlsx), with or without a "
                    "header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.tab,.txt,.psv,.dat,.xlsx"}),
        error_messages={"required": _("Choose a file to import."),
                        "empty": _("The file is empty: there is nothing to import.")},
    )  # fmt: skip


# ---------------------------------------------------------------- step 2: shape and mapping


class ShapeForm(StyledForm):
    has_header = forms.TypedChoiceField(
        label=_("First row"),
        choices=[("1", _("holds the column names")), ("0", _("is already a person"))],
        coerce=lambda value: value == "1",
    )
    delimiter = forms.ChoiceField(label=_("Columns separated by"), choices=DELIMITERS)
    encoding = forms.ChoiceField(label=_("Text encoding"), choices=ENCODINGS)

    def __init__(self, *args, shape: dict, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "has_header": "1" if shape.get("has_header") else "0",
                "delimiter": shape.get("delimiter", ","),
                "encoding": shape.get("encoding", "utf-8"),
            },
        )
        super().__init__(*args, **kwargs)
        if shape.get("format") == "xlsx":  # a spreadsheet has cells, not separators
            del self.fields["delimiter"]
            del self.fields["encoding"]
        else:
            for name, choices in (("delimiter", DELIMITERS), ("encoding", ENCODINGS)):
                detected = shape.get(name)
                if detected and detected not in dict(choices):
                    self.fields[name].choices = [(detected, detected), *choices]


def target_choices(office, *, also: tuple[str, ...] = ()) -> list:
    """What a column can become: the person's fields, districts (the office's layers and the
    usual voter-file ones) and custom values (the office's custom fields and the usual ones),
    grouped. `also`: targets a preset or saved mapping names beyond these, kept so that
    choosing it loses nothing without saying so."""
    person = [(k, v) for k, v in TARGETS.items() if not k.startswith(("district:", "custom:"))]
    layers = DistrictLayer.objects.for_office(office).order_by("name")
    districts = [(f"district:{layer.slug}", f"{layer.name}") for layer in layers]
    fields = CustomField.objects.for_office(office).filter(is_active=True)
    custom = [(f"custom:{field.key}", field.label) for field in fields]
    known = {key for key, _label in person + districts + custom}
    usual = [t for t in TARGETS if t.startswith(("district:", "custom:"))]
    for target in [*usual, *also]:
        if not target or target in known or not is_target(target):
            continue
        group = districts if target.startswith("district:") else custom
        group.append((target, target_label(target)))
        known.add(target)
    choices: list = [("", _("Don't import")), (_("Person"), person)]
    if districts:
        choices.append((_("Districts"), districts))
    if custom:
        choices.append((_("Other values (custom fields)"), custom))
    return choices


def default_tag_name(filename: str) -> str:
    return f"Import {filename} {timezone.localdate():%Y-%m-%d}"[:100]


class MappingForm(StyledForm):
    """One select per file column (`col_0`, `col_1`...), then how rows find existing people,
    the batch's tag and the optional name to save the mapping under."""

    id_system = forms.CharField(
        label=_("The id column's system"), max_length=50,
        help_text=_('Names where the ids come from, e.g. "voter" for a voter file: an id is '
                    "unique within its system."),
    )  # fmt: skip
    date_order = forms.ChoiceField(
        label=_("Dates are written"), choices=DATE_ORDERS, required=False
    )
    match_rules = forms.MultipleChoiceField(
        label=_("A row is the same person as an existing one when these match (tried in order)"),
        choices=MatchRule.choices, widget=forms.CheckboxSelectMultiple, required=False,
    )  # fmt: skip
    tag_name = forms.CharField(
        label=_("Tag every imported person with"), max_length=100,
        help_text=_("Find the people of this import later by this tag."),
    )  # fmt: skip
    save_as = forms.CharField(
        label=_("Save this mapping as"), max_length=100, required=False,
        help_text=_("Optional: offer this mapping again for the next file of this layout."),
    )  # fmt: skip

    def __init__(self, *args, office, columns: list[str], mapping: Mapping,
                 match_rules: list[str], tag_name: str, **kwargs):  # fmt: skip
        self.columns = columns
        self.base = mapping
        # A column may feed several fields (NJ's one column for both state districts): the
        # select shows the first; the others follow it while it stays chosen.
        self.targets_of: dict[str, list[str]] = {}
        for target, sources in mapping.columns.items():
            for source in sources:
                self.targets_of.setdefault(source, []).append(target)
        kwargs.setdefault(
            "initial",
            {
                "id_system": mapping.id_system or "import",
                "date_order": mapping.date_order,
                "match_rules": match_rules,
                "tag_name": tag_name,
                **{
                    f"col_{i}": self.targets_of.get(column, [""])[0]
                    for i, column in enumerate(columns)
                },
            },
        )
        super().__init__(*args, **kwargs)
        choices = target_choices(office, also=tuple(mapping.columns))
        for i, column in enumerate(columns):
            field = forms.ChoiceField(label=column, choices=choices, required=False)
            field.widget.attrs["class"] = "form-select form-select-sm"
            self.fields[f"col_{i}"] = field
        # Ordered as MatchRule, whatever order they were ticked in.
        self.fields["match_rules"].choices = MatchRule.choices

    def column_fields(self) -> list[tuple[forms.BoundField, list[str]]]:
        """Each column's select, with the fields it also feeds while the select is unchanged."""
        return [
            (self[f"col_{i}"], [target_label(t) for t in self.targets_of.get(column, [])[1:]])
            for i, column in enumerate(self.columns)
        ]

    def clean(self):
        data = super().clean()
        targets = {data.get(f"col_{i}") for i in range(len(self.columns))}
        if not targets & set(NAME_TARGETS):
            raise forms.ValidationError(
                _("Choose the column that holds a name (first, last or full name): every "
                  "person needs one.")
            )  # fmt: skip
        return data

    def mapping(self) -> Mapping:
        """The chosen mapping. Several columns to one field are joined in the order the preset or
        saved mapping gave them (house number, then street), else in the file's order."""
        data = self.cleaned_data
        columns: dict[str, list[str]] = {}
        for i, column in enumerate(self.columns):
            target = data.get(f"col_{i}")
            if not target:
                continue
            base = self.targets_of.get(column, [])
            for each in base if base[:1] == [target] else [target]:
                columns.setdefault(each, []).append(column)
        for target, sources in columns.items():
            order = self.base.columns.get(target, [])
            sources.sort(key=lambda s: order.index(s) if s in order else len(order))
        return Mapping(
            columns=columns, id_system=data["id_system"], date_order=data.get("date_order") or ""
        )

    def chosen_match_rules(self) -> list[str]:
        chosen = set(self.cleaned_data["match_rules"])
        return [rule for rule in MatchRule.values if rule in chosen]


def initial_match_rules(batch) -> list[str]:
    return list(batch.match_rules) if batch.match_rules else [str(r) for r in DEFAULT_MATCH_RULES]


# ---------------------------------------------------------------- failed rows, saved mappings


class FixRowForm(StyledForm):
    """The cells of a failed row, one text box per file column, to correct and import again."""

    def __init__(self, *args, columns: list[str], cells: list[str], **kwargs):
        width = max(len(columns), len(cells))
        names = [columns[i] if i < len(columns) else f"Column {i + 1}" for i in range(width)]
        kwargs.setdefault(
            "initial", {f"cell_{i}": cells[i] if i < len(cells) else "" for i in range(width)}
        )
        super().__init__(*args, **kwargs)
        for i, name in enumerate(names):
            self.fields[f"cell_{i}"] = forms.CharField(
                label=name, required=False, strip=False, max_length=10_000
            )
            self.fields[f"cell_{i}"].widget.attrs["class"] = "form-control form-control-sm"
        self.width = width

    def cells(self) -> list[str]:
        return [self.cleaned_data.get(f"cell_{i}", "") for i in range(self.width)]


class RenameMappingForm(StyledForm):
    name = forms.CharField(label=_("New name"), max_length=100)
