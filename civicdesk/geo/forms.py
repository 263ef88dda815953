"""The two steps of importing a district map: upload the file, then choose its properties."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicdesk.core.forms import StyledFormMixin

from .errors import DistrictFileRefused
from .geojson import load_collection, property_examples, property_paths
from .services import layer_slug

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class LayerNameMixin:
    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not layer_slug(name):
            raise forms.ValidationError(_("Give the layer a name with letters or digits."))
        return name


class LayerUploadForm(LayerNameMixin, StyledFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Layer name"),
        max_length=100,
        help_text=_(
            "For example Ward, Council district or Voting precinct. Importing a layer with the "
            "name of an existing one replaces its districts."
        ),
    )
    file = forms.FileField(
        label=_("District map (GeoJSON)"),
        help_text=_("A FeatureCollection with one Polygon or MultiPolygon feature per district."),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is over 50 MB; simplify the shapes first."))
        self.content = upload.read()
        try:
            self.collection = load_collection(self.content)
        except DistrictFileRefused as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload


def property_choices(collection: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, "path — example, example") for every property of the file."""
    choices = []
    for path in property_paths(collection):
        examples = property_examples(collection, path)
        label = f"{path} — {', '.join(examples)}" if examples else path
        choices.append((path, label[:120]))
    return choices


def guess_name_property(paths: list[str]) -> str:
    for path in paths:
        if path.rsplit(".", 1)[-1].lower() == "name":
            return path
    return next((path for path in paths if "name" in path.lower()), "")


class PropertyChoicesForm(forms.Form):
    """Sets the property choices right after the fields exist: StyledFormMixin validates a
    bound form in its own __init__, which must see them."""

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["name_property"].choices = choices
        self.fields["code_property"].choices = [("", _("— none —")), *choices]


class LayerPropertiesForm(LayerNameMixin, StyledFormMixin, PropertyChoicesForm):
    upload = forms.CharField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Layer name"), max_length=100)
    name_property = forms.ChoiceField(
        label=_("District name"),
        help_text=_("The property that holds each district's name, e.g. “Ward 8”."),
    )
    code_property = forms.ChoiceField(
        label=_("District code (optional)"),
        required=False,
        help_text=_("A short code or number, e.g. 8 or E05001107."),
    )
    srid = forms.IntegerField(
        label=_("EPSG code of the coordinates"),
        required=False,
        min_value=1,
        max_value=999999,
        help_text=_(
            "Only when the file's coordinates are not longitude/latitude: the code of its "
            "coordinate system, e.g. 26985 for Maryland State Plane (metres)."
        ),
    )
